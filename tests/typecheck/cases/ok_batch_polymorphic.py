"""Layers are polymorphic in any number of leading batch dims."""
from typing import Literal as L, TypeVar, TypeVarTuple, reveal_type

from shapely_nn import Tensor
from shapely_nn.layers import Linear

B = TypeVar("B", bound=int)
T = TypeVar("T", bound=int)
S = TypeVarTuple("S")


def apply(lin: Linear[L[16], L[4]], a: Tensor[L[16]], b: Tensor[B, T, L[16]], c: Tensor[*S, L[16]]) -> None:
    reveal_type(lin(a))  # N: Revealed type is "shapely_nn._tensor.Tensor[Literal[4]]"
    reveal_type(lin(b))  # N: Revealed type is "shapely_nn._tensor.Tensor[B, T, Literal[4]]"
    reveal_type(lin(c))  # N: Revealed type is "shapely_nn._tensor.Tensor[*S, Literal[4]]"
