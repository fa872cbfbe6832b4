"""Linear layer sized for the wrong hidden size.

The encoder produces 32 features but the head was built for 64.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn.layers import Linear

B = TypeVar("B", bound=int)


def head(h: Tensor[B, L[32]]) -> None:
    proj = Linear(64, 10, rng=0)
    proj(h)  # E: Linear[64, 10] expects last dim In = 64, got 32 in argument "x" (Tensor[B, 32])  [shape]
