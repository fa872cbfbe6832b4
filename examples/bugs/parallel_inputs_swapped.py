"""Encoder-decoder pair called with its inputs swapped.

(encoder @ decoder) takes (source, target) in that order.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn.layers import Linear

B = TypeVar("B", bound=int)


def run(src: Tensor[B, L[12]], tgt: Tensor[B, L[10]]) -> None:
    pair = Linear(12, 16, rng=0) @ Linear(10, 16, rng=1)
    pair((tgt, src))  # E: Parallel[12, 16, 10, 16] expects last dim In = 12, got 10 in argument "xs" (Tensor[B, 10])  [shape]
