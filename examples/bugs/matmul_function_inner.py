"""matmul with mismatched inner dims.

Queries of size 64 against keys of size 32.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import matmul

def scores(q: Tensor[L[8], L[64]], k: Tensor[L[32], L[8]]) -> None:
    matmul(q, k)  # E: matmul: inner dims differ: left [8, 64] has 64 at axis -1, right [32, 8] has 32 at axis -2  [shape]
