"""Stacked block that changes the width.

stack(block, n) feeds each copy into the next, so a block must map X to X.
"""

from shapely_nn.layers import Linear, ReLU
from shapely_nn.modules import stack


def build() -> None:
    encoder = stack(lambda g: Linear(16, 32, rng=g) >> ReLU(), 2, rng=0)  # E: stack needs a block that keeps its width (Module[X, X]), got Chain[16, 32, SameLead]: it maps 16 features to 32  [shape]
