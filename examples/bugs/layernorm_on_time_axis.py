"""Transpose before a layer norm.

After transpose the last axis is time, not features.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import transpose
from shapely_nn.layers import LayerNorm

B = TypeVar("B", bound=int)


def norm(x: Tensor[B, L[50], L[64]], ln: LayerNorm[L[64]]) -> None:
    ln(transpose(x))  # E: LayerNorm[64] expects last dim D = 64, got 50 in argument "x" (Tensor[B, 64, 50])  [shape]
