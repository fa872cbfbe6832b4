"""Reshape into rows that do not divide the size.

64 features cannot be viewed as rows of 3.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor

B = TypeVar("B", bound=int)


def rows(x: Tensor[B, L[64]]) -> None:
    x.reshape(-1, 3)  # E: reshape: cannot reshape [B, 64] (64*B elements) into [-1, 3]: 64*B is not a multiple of 3  [shape]
