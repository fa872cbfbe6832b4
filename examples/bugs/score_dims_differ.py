"""Query and key projections of different widths.

Dot-product scores need the same feature size D.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor

B = TypeVar("B", bound=int)
T = TypeVar("T", bound=int)
S = TypeVar("S", bound=int)
D = TypeVar("D", bound=int)


def scores(q: Tensor[B, T, D], k: Tensor[B, S, D]) -> None: ...


def run(q: Tensor[L[4], L[10], L[64]], k: Tensor[L[4], L[12], L[32]]) -> None:
    scores(q, k)  # E: "scores" expects dim 2 D = 64 (bound by argument "q"), got 32 in argument "k" (Tensor[4, 12, 32])  [shape]
