"""Stacking states of different sizes.

stack needs every tensor to have the same shape.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import Add, stack

B = TypeVar("B", bound=int)
H = TypeVar("H", bound=int)


def collect(h1: Tensor[B, H], h2: Tensor[B, Add[H, H]]) -> None:
    stack([h1, h2])  # E: stack: tensor 1 has shape [B, 2*H], tensor 0 has [B, H]: all must be equal  [shape]
