"""Permutation for the wrong rank.

A [B, T, E] tensor needs three axes in the permutation.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import permute

B = TypeVar("B", bound=int)
T = TypeVar("T", bound=int)
E = TypeVar("E", bound=int)


def swap(x: Tensor[B, T, E]) -> None:
    permute(x, [1, 0])  # E: permute: [B, T, E] has rank 3, got 2 axes [1, 0]  [shape]
