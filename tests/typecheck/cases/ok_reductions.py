"""Reductions remove or keep the reduced axes."""
from typing import TypeVar, reveal_type

from shapely_nn import Tensor, argmax, logsumexp, max_, mean, sum_

B = TypeVar("B", bound=int)
V = TypeVar("V", bound=int)


def reduce(x: Tensor[B, V]) -> None:
    reveal_type(sum_(x))  # N: Revealed type is "shapely_nn._tensor.Tensor[()]"
    reveal_type(sum_(x, axis=-1))  # N: Revealed type is "shapely_nn._tensor.Tensor[B]"
    reveal_type(mean(x, axis=0, keepdims=True))  # N: Revealed type is "shapely_nn._tensor.Tensor[Literal[1], V]"
    reveal_type(max_(x, axis=(0, 1)))  # N: Revealed type is "shapely_nn._tensor.Tensor[()]"
    reveal_type(argmax(x))  # N: Revealed type is "shapely_nn._tensor.Tensor[B]"
    reveal_type(logsumexp(x))  # N: Revealed type is "shapely_nn._tensor.Tensor[B]"
    reveal_type(x.sum(-1, keepdims=True))  # N: Revealed type is "shapely_nn._tensor.Tensor[B, Literal[1]]"
    reveal_type(x.mean())  # N: Revealed type is "shapely_nn._tensor.Tensor[()]"
