"""One-hot with zero classes.

A vocabulary of size 0 is a configuration bug.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import one_hot

B = TypeVar("B", bound=int)


def encode(ids: Tensor[B]) -> None:
    one_hot(ids, 0)  # E: one_hot: num_classes must be positive, got 0  [shape]
