"""Reshape checks sizes and infers one -1, also over symbolic sizes."""
from typing import Literal as L, TypeVar, reveal_type

from shapely_nn import Tensor, reshape

B = TypeVar("B", bound=int)
T = TypeVar("T", bound=int)


def view(image: Tensor[L[28], L[28]], x: Tensor[B, T, L[64]]) -> None:
    reveal_type(reshape(image, [784]))  # N: Revealed type is "shapely_nn._tensor.Tensor[Literal[784]]"
    reveal_type(image.reshape(4, -1))  # N: Revealed type is "shapely_nn._tensor.Tensor[Literal[4], Literal[196]]"
    reveal_type(x.reshape(-1, 64))  # N: Revealed type is "shapely_nn._tensor.Tensor[shapely_nn_dims.Mul[B, T], Literal[64]]"
    reveal_type(x.reshape(-1, 32))  # N: Revealed type is "shapely_nn._tensor.Tensor[shapely_nn_dims.Mul[Literal[2], B, T], Literal[32]]"
