"""Per-step outputs stacked on the batch axis.

stack(axis=1) gives [B, T, H], the decoder wants time-major [T, B, H].
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import stack

T = TypeVar("T", bound=int)
B = TypeVar("B", bound=int)
H = TypeVar("H", bound=int)


def decoder(states: Tensor[T, L[32], H]) -> None: ...


def run(h0: Tensor[L[32], L[64]], h1: Tensor[L[32], L[64]]) -> None:
    decoder(stack([h0, h1], axis=1))  # E: "decoder" expects dim 1 = 32, got 2 in argument "states" (Tensor[32, 2, 64])  [shape]
