"""Encoder input size differs from the embedding size.

The embedding produces 64 features, the encoder was built for 128.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn.layers import Embedding, Linear

B = TypeVar("B", bound=int)
T = TypeVar("T", bound=int)


def encode(ids: Tensor[B, T]) -> None:
    embed = Embedding(1000, 64, rng=0)
    encoder = Linear(128, 256, rng=1)
    encoder(embed(ids))  # E: Linear[128, 256] expects last dim In = 128, got 64 in argument "x" (Tensor[B, T, 64])  [shape]
