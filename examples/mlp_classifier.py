"""A two-layer MLP classifier on flattened 28x28 images, typed end to end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal as L, TypeVar

from shapely_nn import Tensor, log_softmax, one_hot, relu, reshape, sum_
from shapely_nn.layers import Linear

B = TypeVar("B", bound=int)


@dataclass(frozen=True)
class MLP:
    """784 -> 128 -> 10."""

    hidden: Linear[L[784], L[128]]
    out: Linear[L[128], L[10]]

    def __call__(self, x: Tensor[B, L[784]]) -> Tensor[B, L[10]]:
        """Log-probabilities of the 10 classes."""
        return log_softmax(self.out(relu(self.hidden(x))))


def build() -> MLP:
    """A seeded MLP."""
    return MLP(Linear(784, 128, rng=0), Linear(128, 10, rng=1))


def loss(model: MLP, image: Tensor[L[28], L[28]], label: Tensor[L[1]]) -> Tensor[()]:
    """Negative log-likelihood of one image."""
    flat = reshape(image, [1, 784])
    return -sum_(model(flat) * one_hot(label, 10))
