"""Indexing drops axis 0; slicing keeps it with an unknown size."""
from typing import Literal as L, TypeVar, reveal_type

from shapely_nn import Tensor

T = TypeVar("T", bound=int)
B = TypeVar("B", bound=int)


def last(outputs: Tensor[T, B, L[128]]) -> Tensor[B, L[128]]:
    reveal_type(outputs[1:])  # N: Revealed type is "shapely_nn._tensor.Tensor[Any, B, Literal[128]]"
    return outputs[-1]
