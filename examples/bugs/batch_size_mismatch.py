"""Prediction and target from different batches.

A batch of 32 predictions compared with 16 targets.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor

B = TypeVar("B", bound=int)
N = TypeVar("N", bound=int)


def mse(pred: Tensor[B, N], target: Tensor[B, N]) -> None: ...


def evaluate(pred: Tensor[L[32], L[10]], target: Tensor[L[16], L[10]]) -> None:
    mse(pred, target)  # E: "mse" expects dim 0 B = 32 (bound by argument "pred"), got 16 in argument "target" (Tensor[16, 10])  [shape]
