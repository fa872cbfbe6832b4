"""GRU hidden state of the wrong size.

The previous hidden state comes from a 64-unit layer, the cell has 32 units.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn.layers import GRUCell

B = TypeVar("B", bound=int)


def step(cell: GRUCell[L[16], L[32]], x: Tensor[B, L[16]], h: Tensor[B, L[64]]) -> None:
    cell(x, h)  # E: GRUCell[16, 32] expects last dim H = 32, got 64 in argument "h" (Tensor[B, 64])  [shape]
