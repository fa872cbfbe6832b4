"""Interop: export to PyTorch (more to come: save/load, diagrams, .qvr)."""

from shapely_nn.io._torch import to_torch

__all__ = ["to_torch"]
