"""Attention heads do not divide the embedding size.

Multi-head attention splits the embedding into equal heads.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn.layers import MultiHeadAttention

def build() -> None:
    MultiHeadAttention(64, 5, rng=0)  # E: "MultiHeadAttention" needs Heads to divide Embed, got Embed = 64 and Heads = 5  [shape]
