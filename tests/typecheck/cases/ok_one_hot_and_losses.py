"""one_hot and a cross-entropy over matching vocabularies."""
from typing import Literal as L, TypeVar, reveal_type

from shapely_nn import Tensor, log_softmax, one_hot, sum_
from shapely_nn.layers import Linear

B = TypeVar("B", bound=int)


def loss(h: Tensor[B, L[256]], ids: Tensor[B]) -> Tensor[()]:
    head = Linear(256, 1000, rng=0)
    targets = one_hot(ids, 1000)
    reveal_type(targets)  # N: Revealed type is "shapely_nn._tensor.Tensor[B, Literal[1000]]"
    return -sum_(log_softmax(head(h)) * targets)
