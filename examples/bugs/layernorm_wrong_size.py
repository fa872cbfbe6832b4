"""LayerNorm over the wrong feature size.

The normalised size must be the last dim.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn.layers import LayerNorm

B = TypeVar("B", bound=int)
T = TypeVar("T", bound=int)


def norm(x: Tensor[B, T, L[128]]) -> None:
    ln = LayerNorm(64)
    ln(x)  # E: LayerNorm[64] expects last dim D = 64, got 128 in argument "x" (Tensor[B, T, 128])  [shape]
