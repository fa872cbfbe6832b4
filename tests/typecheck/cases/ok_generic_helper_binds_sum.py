"""A generic helper over K accepts a sum for K (it binds K := In + H)."""
from typing import TypeVar, reveal_type

from shapely_nn import Add, Tensor, transpose

B = TypeVar("B", bound=int)
N = TypeVar("N", bound=int)
K = TypeVar("K", bound=int)
In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)


def linear(x: Tensor[B, K], w: Tensor[N, K]) -> Tensor[B, N]:
    return x @ transpose(w)


def use(x: Tensor[B, Add[In, H]], w: Tensor[H, Add[H, In]]) -> Tensor[B, H]:
    reveal_type(linear(x, w))  # N: Revealed type is "shapely_nn._tensor.Tensor[B, H]"
    return linear(x, w)
