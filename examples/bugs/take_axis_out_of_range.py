"""Gathering along an axis that does not exist.

An embedding table has two axes.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import take

V = TypeVar("V", bound=int)
E = TypeVar("E", bound=int)
B = TypeVar("B", bound=int)


def lookup(table: Tensor[V, E], ids: Tensor[B]) -> None:
    take(table, ids, axis=2)  # E: take: axis 2 is out of range for [V, E] (rank 2)  [shape]
