"""FloorDiv by a literal: splitting an embedding into heads."""
from typing import Literal as L, TypeVar, reveal_type

from shapely_nn import FloorDiv, Mul, Tensor

E = TypeVar("E", bound=int)
H = TypeVar("H", bound=int)


def heads(x: Tensor[Mul[L[4], H]], y: Tensor[FloorDiv[Mul[L[4], H], L[4]]], z: Tensor[FloorDiv[E, L[4]]]) -> Tensor[H]:
    reveal_type(z)  # N: Revealed type is "shapely_nn._tensor.Tensor[shapely_nn_dims.FloorDiv[E, Literal[4]]]"
    return y
