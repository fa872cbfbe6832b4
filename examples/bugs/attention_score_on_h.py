"""Attention score layer fed the decoder state alone.

The AttentionLSTM scores [d_t; e_s]: its weights read H + H features.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn.models import AttentionLSTM

B = TypeVar("B", bound=int)


def score(model: AttentionLSTM[L[10], L[20], L[3]], d_t: Tensor[B, L[20]]) -> None:
    model.attention_weights(d_t)  # E: Linear[40, 1] expects last dim In = 40, got 20 in argument "x" (Tensor[B, 20])  [shape]
