"""Summing over an axis that does not exist.

Pooling over time on a tensor that has already lost its time axis.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import sum_

B = TypeVar("B", bound=int)
H = TypeVar("H", bound=int)


def pool(h: Tensor[B, H]) -> None:
    sum_(h, axis=2)  # E: sum: axis 2 is out of range for [B, H] (rank 2)  [shape]
