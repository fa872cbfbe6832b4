"""Concatenating tensors of different ranks.

A per-step vector joined with a whole sequence.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import concat

B = TypeVar("B", bound=int)
T = TypeVar("T", bound=int)


def join(step: Tensor[B, L[8]], seq: Tensor[B, T, L[8]]) -> None:
    concat([step, seq])  # E: concat: tensor 1 has shape [B, T, 8] of rank 3, tensor 0 has [B, 8]  [shape]
