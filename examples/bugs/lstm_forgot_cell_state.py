"""LSTM cell input missing the cell state.

The seed's LSTM cell takes [x; h; c] of size In + H + H; only [x; h] was passed.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import Add, concat
from shapely_nn.layers import Linear

B = TypeVar("B", bound=int)
In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)


def lstm_step(
    gates: Linear[Add[In, H, H], Add[H, H]], x: Tensor[B, In], h: Tensor[B, H], c: Tensor[B, H]
) -> None:
    gates(concat([x, h]))  # E: Linear[2*H + In, 2*H] expects last dim In = 2*H + In, got H + In in argument "x" (Tensor[B, H + In])  [shape]
