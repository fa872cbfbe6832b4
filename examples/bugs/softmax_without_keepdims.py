"""Normalising by a sum without keepdims.

x / x.sum(-1) divides [B, V] by [B].
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor

B = TypeVar("B", bound=int)
V = TypeVar("V", bound=int)


def normalise(x: Tensor[B, V]) -> None:
    x / x.sum(-1)  # E: "/" expects dims [B, V] from dim 0 (bound by the left operand), got [B] in the right operand (Tensor[B])  [shape]
