"""Language model step declared to return the hidden size.

The projection maps the hidden state back to vocabulary logits.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn.models import LSTMLanguageModel

T = TypeVar("T", bound=int)
B = TypeVar("B", bound=int)


def logits(model: LSTMLanguageModel[L[64], L[20]], onehot: Tensor[T, B, L[64]]) -> None:
    hidden = model.layers(model.embedding(onehot))
    out: Tensor[T, B, L[20]] = model.output_projection(hidden)  # E: Assigned value Tensor[T, B, 64] does not match the declared Tensor[T, B, 20]: dim 2 is 64, expected 20  [shape]
