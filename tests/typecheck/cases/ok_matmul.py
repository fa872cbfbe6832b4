"""Matrix products with literal, symbolic and batched dims."""
from typing import Literal as L, TypeVar, reveal_type

from shapely_nn import Tensor, matmul

B = TypeVar("B", bound=int)
T = TypeVar("T", bound=int)


def project(x: Tensor[B, T, L[64]], w: Tensor[L[64], L[10]]) -> None:
    reveal_type(x @ w)  # N: Revealed type is "shapely_nn._tensor.Tensor[B, T, Literal[10]]"
    reveal_type(matmul(x, w))  # N: Revealed type is "shapely_nn._tensor.Tensor[B, T, Literal[10]]"
    reveal_type(matmul(x[0], w))  # N: Revealed type is "shapely_nn._tensor.Tensor[T, Literal[10]]"
