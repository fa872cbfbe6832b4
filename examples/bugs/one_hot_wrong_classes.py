"""One-hot targets with the wrong number of classes.

Labels one-hot encoded over 10 classes, logits over 11.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import one_hot

B = TypeVar("B", bound=int)


def loss(log_probs: Tensor[B, L[11]], labels: Tensor[B]) -> None:
    log_probs * one_hot(labels, 10)  # E: "*" expects dim 1 = 11 (bound by the left operand), got 10 in the right operand (Tensor[B, 10])  [shape]
