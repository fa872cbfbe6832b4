"""Layers composed in the wrong order.

An MLP 784 -> 128 -> 10 applied as second(first(x)) the wrong way round.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn.layers import Linear

B = TypeVar("B", bound=int)


def mlp(x: Tensor[B, L[784]]) -> None:
    first = Linear(784, 128, rng=0)
    second = Linear(128, 10, rng=1)
    first(second(x))  # E: Linear[128, 10] expects last dim In = 128, got 784 in argument "x" (Tensor[B, 784])  [shape]
