"""Concatenating features along the batch axis.

concat(axis=0) needs equal feature sizes; the features were meant to be joined.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import concat

B = TypeVar("B", bound=int)


def join(word: Tensor[B, L[100]], char: Tensor[B, L[25]]) -> None:
    concat([word, char], axis=0)  # E: concat: dims off the concat axis 0 must agree: tensor 0 [B, 100] has 100 at axis 1, tensor 1 [B, 25] has 25  [shape]
