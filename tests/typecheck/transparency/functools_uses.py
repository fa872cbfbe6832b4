"""functools: partial is checked argument by argument, total_ordering fills comparisons."""

import functools
from functools import partial, total_ordering


def scale(x: int, factor: float, name: str = "") -> float:
    return x * factor


half = partial(scale, factor=0.5)
reveal_type(half)
reveal_type(half(3))
half("3")
partial(scale, "x")
partial(scale, 1)(2, 3)
functools.partial(scale, 1)(2.0, name=4)


@total_ordering
class Version:
    def __init__(self, n: int) -> None:
        self.n = n

    def __lt__(self, other: "Version") -> bool:
        return self.n < other.n

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self.n == other.n


reveal_type(Version(1) >= Version(2))
Version(1) > 3


@functools.lru_cache(maxsize=None)
def fib(n: int) -> int:
    return n if n < 2 else fib(n - 1) + fib(n - 2)


reveal_type(fib(10))
fib("10")


@functools.singledispatch
def show(x: object) -> str:
    return "object"


@show.register
def _(x: int) -> str:
    return "int"


reveal_type(show(3))
