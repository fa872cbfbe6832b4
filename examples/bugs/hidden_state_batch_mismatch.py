"""Initial hidden state built for another batch size.

h0 was allocated for a batch of 1 (inference) and reused in training.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn.layers import GRUCell

def step(cell: GRUCell[L[16], L[32]], x: Tensor[L[64], L[16]], h0: Tensor[L[1], L[32]]) -> None:
    cell(x, h0)  # E: GRUCell[16, 32] expects dim 0 = 64 (bound by argument "x"), got 1 in argument "h" (Tensor[1, 32])  [shape]
