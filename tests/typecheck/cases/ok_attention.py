"""Multi-head attention and a transformer encoder layer."""
from typing import Literal as L, TypeVar, reveal_type

from shapely_nn import Tensor
from shapely_nn.layers import MultiHeadAttention, TransformerEncoderLayer

B = TypeVar("B", bound=int)


def attend(q: Tensor[B, L[10], L[64]], kv: Tensor[B, L[20], L[64]], mask: Tensor[L[10], L[20]]) -> None:
    mha = MultiHeadAttention(64, 8, rng=0)
    reveal_type(mha)  # N: Revealed type is "shapely_nn.layers._mha.MultiHeadAttention[Literal[64], Literal[8]]"
    reveal_type(mha(q, kv, kv, attn_mask=mask))  # N: Revealed type is "shapely_nn._tensor.Tensor[B, Literal[10], Literal[64]]"
    enc = TransformerEncoderLayer(64, 4, 256, rng=0)
    reveal_type(enc(q))  # N: Revealed type is "shapely_nn._tensor.Tensor[B, Literal[10], Literal[64]]"
