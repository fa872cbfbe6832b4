"""Layer applied to a fully reduced scalar.

sum_ without an axis reduces every axis.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import sum_
from shapely_nn.layers import Linear

B = TypeVar("B", bound=int)


def pooled(h: Tensor[B, L[64]]) -> None:
    head = Linear(64, 2, rng=0)
    head(sum_(h))  # E: Linear[64, 2] expects a tensor of rank >= 1 (Tensor[*Batch, In]) in argument "x", got rank 0 (Tensor[()])  [shape]
