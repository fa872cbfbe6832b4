"""Normalising by a mean without keepdims.

x.mean(-1) is [B]; subtracting it from [B, H] needs keepdims and explicit broadcasting.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn import sub

B = TypeVar("B", bound=int)
H = TypeVar("H", bound=int)


def centre(x: Tensor[B, H]) -> None:
    sub(x, x.mean(-1))  # E: sub: shapes differ in rank: left [B, H] has rank 2, right [B] has rank 1 (broadcasting is explicit: use broadcast_to or broadcast=True)  [shape]
