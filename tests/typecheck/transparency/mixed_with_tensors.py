"""A module that imports shapely_nn: its lines without shapes read as in plain mypy."""

import functools
from typing import Literal as L, TypedDict, TypeVar

from shapely_nn import Tensor, zeros

B = TypeVar("B", bound=int)


class Batch(TypedDict, total=False):
    ids: Tensor[L[2], L[3]]
    weight: float


def take(batch: Batch) -> float:
    reveal_type(batch.get("weight"))
    reveal_type(batch.get("ids"))
    batch.pop("weight")
    return batch.get("weight", 1.0)


def width(x: Tensor[B, L[3]], scale: int) -> int:
    return 3 * scale


w = functools.partial(width, zeros(2, 3))
reveal_type(w)
w("3")
cache: dict[str, Tensor[L[2], L[3]]] = {}
reveal_type(cache.get("x"))
reveal_type(len(cache))
