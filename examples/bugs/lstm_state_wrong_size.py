"""LSTM state whose cell part has the wrong size.

The state (h, c) must both be [B, H].
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn.layers import LSTMCell

B = TypeVar("B", bound=int)


def step(
    cell: LSTMCell[L[8], L[16]], x: Tensor[B, L[8]], h: Tensor[B, L[16]], c: Tensor[B, L[8]]
) -> None:
    cell(x, (h, c))  # E: LSTMCell[8, 16] expects last dim H = 16, got 8 in argument "state" (Tensor[B, 8])  [shape]
