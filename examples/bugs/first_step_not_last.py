"""Indexing the batch instead of the last step.

outputs[0] drops the batch axis of [B, T, H], not the time axis.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor

def head(last: Tensor[L[32], L[128]]) -> None: ...


def classify(outputs: Tensor[L[32], L[50], L[128]]) -> None:
    head(outputs[0])  # E: "head" expects dim 0 = 32, got 50 in argument "last" (Tensor[50, 128])  [shape]
