"""Broadcasting a bias of the wrong size.

A bias of 10 cannot broadcast to 20 features.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import broadcast_to

def tile(bias: Tensor[L[10]]) -> None:
    broadcast_to(bias, [32, 20])  # E: broadcast_to: axis -1 of [10] is 10, target [32, 20] has 20 (only a dim of 1 broadcasts)  [shape]
