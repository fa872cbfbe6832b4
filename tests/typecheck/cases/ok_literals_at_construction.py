"""Constructors keep literal sizes, so a later mismatch is caught."""
from typing import Literal as L, TypeVar, reveal_type

from shapely_nn import Tensor
from shapely_nn.layers import Embedding, LayerNorm, Linear

B = TypeVar("B", bound=int)


def build(n: int, x: Tensor[B, L[3]]) -> None:
    reveal_type(Linear(3, 4, rng=0))  # N: Revealed type is "shapely_nn.layers._linear.Linear[Literal[3], Literal[4]]"
    reveal_type(Embedding(1000, 64, rng=0))  # N: Revealed type is "shapely_nn.layers._embedding.Embedding[Literal[1000], Literal[64]]"
    reveal_type(LayerNorm(16))  # N: Revealed type is "shapely_nn.layers._layernorm.LayerNorm[Literal[16]]"
    reveal_type(Linear(n, 4, rng=0))  # N: Revealed type is "shapely_nn.layers._linear.Linear[int, Literal[4]]"
    reveal_type(Linear(3, 4, rng=0)(x))  # N: Revealed type is "shapely_nn._tensor.Tensor[B, Literal[4]]"
