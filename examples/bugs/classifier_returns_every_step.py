"""Many-to-one classifier that returns a prediction per step.

The classifier must read the final hidden state [B, H], not the sequence [T, B, H].
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn.models import LSTMClassifier

T = TypeVar("T", bound=int)
B = TypeVar("B", bound=int)


def logits(
    model: LSTMClassifier[L[10], L[20], L[3]], xs: Tensor[T, B, L[10]]
) -> Tensor[B, L[3]]:
    return model.classifier(model.lstm(xs))  # E: Return value Tensor[T, B, 3] does not match the declared Tensor[B, 3]: rank 3, expected rank 2  [shape]
