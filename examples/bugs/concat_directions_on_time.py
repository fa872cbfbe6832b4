"""Bi-directional outputs joined on the time axis.

Joining forward and backward states along axis 0 doubles T instead of H.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import Add, concat
from shapely_nn.layers import Linear

T = TypeVar("T", bound=int)
H = TypeVar("H", bound=int)


def combine(fwd: Tensor[T, H], bwd: Tensor[T, H], head: Linear[Add[H, H], L[5]]) -> None:
    head(concat([fwd, bwd], axis=0))  # E: Linear[2*H, 5] expects last dim In = 2*H, got H in argument "x" (Tensor[2*T, H])  [shape]
