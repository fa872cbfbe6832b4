"""transpose, permute, .T and take."""
from typing import Literal as L, TypeVar, reveal_type

from shapely_nn import Tensor, permute, take, transpose

B = TypeVar("B", bound=int)
T = TypeVar("T", bound=int)
E = TypeVar("E", bound=int)


def axes(x: Tensor[B, T, E], table: Tensor[L[100], E], ids: Tensor[B, T]) -> None:
    reveal_type(transpose(x))  # N: Revealed type is "shapely_nn._tensor.Tensor[B, E, T]"
    reveal_type(transpose(x, 0, 1))  # N: Revealed type is "shapely_nn._tensor.Tensor[T, B, E]"
    reveal_type(x.T)  # N: Revealed type is "shapely_nn._tensor.Tensor[B, E, T]"
    reveal_type(permute(x, [1, 0, 2]))  # N: Revealed type is "shapely_nn._tensor.Tensor[T, B, E]"
    reveal_type(take(table, ids))  # N: Revealed type is "shapely_nn._tensor.Tensor[B, T, E]"
