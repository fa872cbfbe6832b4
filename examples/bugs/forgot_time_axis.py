"""Sequence model given a single step.

The encoder expects [B, T, E]; a [B, E] step was passed.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor

B = TypeVar("B", bound=int)
T = TypeVar("T", bound=int)
E = TypeVar("E", bound=int)


def encoder(x: Tensor[B, T, E]) -> None: ...


def run(step: Tensor[L[32], L[16]]) -> None:
    encoder(step)  # E: "encoder" expects a tensor of rank 3 (Tensor[B, T, E]) in argument "x", got rank 2 (Tensor[32, 16])  [shape]
