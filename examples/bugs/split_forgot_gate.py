"""Splitting LSTM gates into three instead of four.

An LSTM's fused gate projection has 4 * 128 = 512 features.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import split

B = TypeVar("B", bound=int)


def gates(z: Tensor[B, L[512]]) -> None:
    split(z, [128, 128, 128])  # E: split: sizes [128, 128, 128] add up to 384, but axis -1 of [B, 512] has 512  [shape]
