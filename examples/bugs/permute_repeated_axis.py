"""Permutation with a repeated axis.

[0, 2, 2] is not a permutation of three axes.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import permute

B = TypeVar("B", bound=int)
T = TypeVar("T", bound=int)
E = TypeVar("E", bound=int)


def to_time_major(x: Tensor[B, T, E]) -> None:
    permute(x, [0, 2, 2])  # E: permute: axes [0, 2, 2] are not a permutation of 0..2  [shape]
