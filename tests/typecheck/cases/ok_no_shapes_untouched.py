"""Code without tensors type-checks exactly as without the plugin."""
from typing import TypeVar, reveal_type

T = TypeVar("T")
N = TypeVar("N", bound=int)


def first(xs: list[T]) -> T:
    return xs[0]


def double(n: N) -> int:
    return n * 2


reveal_type(first([1, 2]))  # N: Revealed type is "int"
reveal_type(double(3))  # N: Revealed type is "int"
