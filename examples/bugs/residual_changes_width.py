"""Residual connection around a layer that changes the width.

x + f(x) needs f to keep the feature size.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn.layers import Linear

B = TypeVar("B", bound=int)


def block(x: Tensor[B, L[64]]) -> None:
    expand = Linear(64, 128, rng=0)
    x + expand(x)  # E: "+" expects dim 1 = 64 (bound by the left operand), got 128 in the right operand (Tensor[B, 128])  [shape]
