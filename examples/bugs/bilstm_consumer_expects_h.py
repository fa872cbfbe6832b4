"""Consumer of a Bi-LSTM expects H instead of 2H.

A bidirectional LSTM concatenates both directions: its output is [T, H + H].
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import Add
from shapely_nn.layers import Linear

T = TypeVar("T", bound=int)
H = TypeVar("H", bound=int)


def classify(outputs: Tensor[T, Add[H, H]], head: Linear[H, L[5]]) -> None:
    head(outputs)  # E: Linear[H, 5] expects last dim In = H, got 2*H in argument "x" (Tensor[T, 2*H])  [shape]
