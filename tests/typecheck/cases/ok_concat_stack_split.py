"""Joining and cutting along axes."""
from typing import Literal as L, TypeVar, TypeVarTuple, reveal_type

from shapely_nn import Tensor, concat, split, stack

B = TypeVar("B", bound=int)
H = TypeVar("H", bound=int)
S = TypeVarTuple("S")


def join(a: Tensor[B, L[3]], b: Tensor[B, L[4]], h: Tensor[*S, H]) -> None:
    reveal_type(concat([a, b]))  # N: Revealed type is "shapely_nn._tensor.Tensor[B, Literal[7]]"
    reveal_type(concat((a, a), axis=0))  # N: Revealed type is "shapely_nn._tensor.Tensor[shapely_nn_dims.Mul[Literal[2], B], Literal[3]]"
    reveal_type(concat([h, h, h]))  # N: Revealed type is "shapely_nn._tensor.Tensor[*S, shapely_nn_dims.Mul[Literal[3], H]]"
    reveal_type(stack([a, a, a]))  # N: Revealed type is "shapely_nn._tensor.Tensor[Literal[3], B, Literal[3]]"
    reveal_type(stack([a, a], axis=-1))  # N: Revealed type is "shapely_nn._tensor.Tensor[B, Literal[3], Literal[2]]"
    reveal_type(split(b, [2, 2]))  # N: Revealed type is "list[shapely_nn._tensor.Tensor[B, Literal[2]]]"
