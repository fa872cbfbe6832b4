"""RNN cell applied to x instead of [x; h].

The cell's weight takes the concatenated input and previous hidden state.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import Add
from shapely_nn.layers import Linear

B = TypeVar("B", bound=int)
In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)


def rnn_step(cell: Linear[Add[In, H], H], x: Tensor[B, In], h: Tensor[B, H]) -> None:
    cell(x)  # E: Linear[H + In, H] expects last dim In = H + In, got In in argument "x" (Tensor[B, In])  [shape]
