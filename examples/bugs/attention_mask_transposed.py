"""Attention mask with query and key axes swapped.

attn_mask is [Tq, Tk].
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn.layers import MultiHeadAttention

B = TypeVar("B", bound=int)


def attend(
    mha: MultiHeadAttention[L[64], L[8]],
    q: Tensor[B, L[10], L[64]],
    kv: Tensor[B, L[20], L[64]],
    mask: Tensor[L[20], L[10]],
) -> None:
    mha(q, kv, kv, attn_mask=mask)  # E: MultiHeadAttention[64, 8] expects dim 0 Tq = 10 (bound by argument "query"), got 20 in argument "attn_mask" (Tensor[20, 10])  [shape]
