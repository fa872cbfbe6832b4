"""Layers: one file each, forward and backward side by side."""

from shapely_nn.layers._base import GradRecord, Layer
from shapely_nn.layers._linear import Linear, LinearGrads

__all__ = ["GradRecord", "Layer", "Linear", "LinearGrads"]
