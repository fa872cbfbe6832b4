"""Batched matmul with different batch dims.

The right operand's batch must equal the left's.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import matmul

def bmm(a: Tensor[L[4], L[10], L[8]], b: Tensor[L[3], L[8], L[5]]) -> None:
    matmul(a, b)  # E: matmul: batch dims differ: left [4, 10, 8] has [4], right [3, 8, 5] has [3] (a right operand of rank 2 is shared across the batch)  [shape]
