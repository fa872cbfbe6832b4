"""The seeds' LSTM cell: input [In + H + H], output [H + H]."""
from typing import TypeVar, reveal_type

from shapely_nn import Add, Tensor, concat, sigmoid, split, tanh
from shapely_nn.layers import Linear

B = TypeVar("B", bound=int)
In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)


def lstm_cell(
    gates: Linear[Add[In, H, H], Add[H, H]], x: Tensor[B, In], h: Tensor[B, H], c: Tensor[B, H]
) -> Tensor[B, Add[H, H]]:
    xhc = concat([x, h, c])
    reveal_type(xhc)  # N: Revealed type is "shapely_nn._tensor.Tensor[B, shapely_nn_dims.Add[shapely_nn_dims.Mul[Literal[2], H], In]]"
    z = gates(xhc)
    reveal_type(z)  # N: Revealed type is "shapely_nn._tensor.Tensor[B, shapely_nn_dims.Mul[Literal[2], H]]"
    return tanh(z) * sigmoid(z)
