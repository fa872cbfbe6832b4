"""Broadcasting only where it is asked for."""
from typing import Literal as L, TypeVar, reveal_type

from shapely_nn import Tensor, add, broadcast_to, div

B = TypeVar("B", bound=int)


def scale(x: Tensor[B, L[64]], bias: Tensor[L[64]], norm: Tensor[B, L[1]]) -> None:
    reveal_type(add(x, bias, broadcast=True))  # N: Revealed type is "shapely_nn._tensor.Tensor[B, Literal[64]]"
    reveal_type(div(x, norm, broadcast=True))  # N: Revealed type is "shapely_nn._tensor.Tensor[B, Literal[64]]"
    reveal_type(broadcast_to(bias, [8, 64]))  # N: Revealed type is "shapely_nn._tensor.Tensor[Literal[8], Literal[64]]"
    reveal_type(add(x, x))  # N: Revealed type is "shapely_nn._tensor.Tensor[B, Literal[64]]"
