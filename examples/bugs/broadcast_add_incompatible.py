"""Explicit broadcasting with a mismatched bias.

Broadcasting only stretches dims of size 1.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import add

B = TypeVar("B", bound=int)


def shift(x: Tensor[B, L[64]], bias: Tensor[L[32]]) -> None:
    add(x, bias, broadcast=True)  # E: add: cannot broadcast at axis -1: left [B, 64] has 64, right [32] has 32  [shape]
