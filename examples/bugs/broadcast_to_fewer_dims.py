"""Broadcasting to a target with fewer dims.

broadcast_to can add leading dims, never drop them.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import broadcast_to

def tile(x: Tensor[L[2], L[3], L[4]]) -> None:
    broadcast_to(x, [3, 4])  # E: broadcast_to: [2, 3, 4] has more dims than the target [3, 4]  [shape]
