"""RNN cell fed features of the wrong size.

The cell expects 10 input features.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn.layers import RNNCell

B = TypeVar("B", bound=int)


def step(cell: RNNCell[L[10], L[20]], x: Tensor[B, L[12]]) -> None:
    cell(x)  # E: RNNCell[10, 20] expects last dim In = 10, got 12 in argument "x" (Tensor[B, 12])  [shape]
