"""RNN, GRU and LSTM cells with literal sizes."""
from typing import Literal as L, TypeVar, reveal_type

from shapely_nn import Tensor
from shapely_nn.layers import GRUCell, LSTMCell, RNNCell

B = TypeVar("B", bound=int)


def steps(
    rnn: RNNCell[L[8], L[16]],
    gru: GRUCell[L[8], L[16]],
    lstm: LSTMCell[L[8], L[16]],
    x: Tensor[B, L[8]],
    h: Tensor[B, L[16]],
) -> None:
    reveal_type(rnn(x, h))  # N: Revealed type is "shapely_nn._tensor.Tensor[B, Literal[16]]"
    reveal_type(gru(x))  # N: Revealed type is "shapely_nn._tensor.Tensor[B, Literal[16]]"
    reveal_type(lstm(x, (h, h)))  # N: Revealed type is "tuple[shapely_nn._tensor.Tensor[B, Literal[16]], shapely_nn._tensor.Tensor[B, Literal[16]]]"
