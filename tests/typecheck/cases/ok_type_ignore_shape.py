"""A shape error can be silenced by its code."""
from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn.layers import Linear

B = TypeVar("B", bound=int)


def known_mismatch(x: Tensor[B, L[32]]) -> None:
    Linear(64, 10, rng=0)(x)  # type: ignore[shape]
