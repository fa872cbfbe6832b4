"""Reshape to a size with a typo.

28 * 28 is 784, not 748.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import reshape

def flatten(image: Tensor[L[28], L[28]]) -> None:
    reshape(image, [1, 748])  # E: reshape: cannot reshape [28, 28] (784 elements) into [1, 748] (748 elements)  [shape]
