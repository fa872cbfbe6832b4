"""Reshape with two inferred dims.

Only one dim can be -1.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import reshape

def view(x: Tensor[L[6], L[4]]) -> None:
    reshape(x, [-1, -1])  # E: reshape: at most one -1 is allowed, got [-1, -1]  [shape]
