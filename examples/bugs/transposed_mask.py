"""Padding mask with batch and time swapped.

The mask is [T, B] while the scores are [B, T].
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor

B = TypeVar("B", bound=int)
T = TypeVar("T", bound=int)


def masked_mean(scores: Tensor[B, T], mask: Tensor[B, T]) -> None: ...


def step(scores: Tensor[L[32], L[50]], mask: Tensor[L[50], L[32]]) -> None:
    masked_mean(scores, mask)  # E: "masked_mean" expects dim 0 B = 32 (bound by argument "scores"), got 50 in argument "mask" (Tensor[50, 32])  [shape]
