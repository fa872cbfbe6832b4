"""Transposing an axis that does not exist.

A matrix has axes 0 and 1 only.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import transpose

B = TypeVar("B", bound=int)
T = TypeVar("T", bound=int)


def flip(x: Tensor[B, T]) -> None:
    transpose(x, 0, 2)  # E: transpose: axis 2 is out of range for [B, T] (rank 2)  [shape]
