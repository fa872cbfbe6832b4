"""Attention keys with a different embedding size.

Query, key and value share the embedding size E.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn.layers import MultiHeadAttention

B = TypeVar("B", bound=int)
Tq = TypeVar("Tq", bound=int)
Tk = TypeVar("Tk", bound=int)


def attend(
    mha: MultiHeadAttention[L[64], L[8]], q: Tensor[B, Tq, L[64]], kv: Tensor[B, Tk, L[32]]
) -> None:
    mha(q, kv, kv)  # E: MultiHeadAttention[64, 8] expects last dim Embed = 64, got 32 in argument "key" (Tensor[B, Tk, 32])  [shape]
