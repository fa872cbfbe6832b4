"""A small transformer encoder for classification, typed over the batch and sequence length."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal as L, TypeVar

from shapely_nn import Tensor, log_softmax, mean
from shapely_nn.layers import Embedding, LayerNorm, Linear, TransformerEncoderLayer

B = TypeVar("B", bound=int)
T = TypeVar("T", bound=int)


@dataclass(frozen=True)
class Classifier:
    """Embed 64, 4 heads, feed-forward 256, 3 classes."""

    embed: Embedding[L[1000], L[64]]
    layer: TransformerEncoderLayer[L[64], L[4], L[256]]
    norm: LayerNorm[L[64]]
    head: Linear[L[64], L[3]]

    def __call__(self, ids: Tensor[B, T]) -> Tensor[B, L[3]]:
        """Class log-probabilities from mean-pooled encodings."""
        h = self.norm(self.layer(self.embed(ids)))
        return log_softmax(self.head(mean(h, axis=1)))


def build() -> Classifier:
    """A seeded classifier."""
    return Classifier(
        Embedding(1000, 64, rng=0),
        TransformerEncoderLayer(64, 4, 256, rng=1),
        LayerNorm(64),
        Linear(64, 3, rng=2),
    )
