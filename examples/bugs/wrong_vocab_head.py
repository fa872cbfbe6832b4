"""Output head sized for the wrong vocabulary.

The targets are one-hot over 5000 words, the head predicts 1000.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import log_softmax, one_hot
from shapely_nn.layers import Linear

B = TypeVar("B", bound=int)
V = TypeVar("V", bound=int)


def nll(log_probs: Tensor[B, V], targets: Tensor[B, V]) -> None: ...


def loss(h: Tensor[B, L[256]], ids: Tensor[B]) -> None:
    head = Linear(256, 1000, rng=0)
    nll(log_softmax(head(h)), one_hot(ids, 5000))  # E: "nll" expects dim 1 V = 1000 (bound by argument "log_probs"), got 5000 in argument "targets" (Tensor[B, 5000])  [shape]
