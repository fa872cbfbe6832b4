"""Generic classes, TypeVarTuple, ParamSpec, properties and inference without shapes."""

from collections.abc import Callable
from typing import Generic, ParamSpec, TypeVar, TypeVarTuple, Unpack

T = TypeVar("T")
N = TypeVar("N", bound=int)
Ts = TypeVarTuple("Ts")
P = ParamSpec("P")


class Box(Generic[T]):
    def __init__(self, item: T) -> None:
        self.item = item

    def get(self) -> T:
        return self.item

    def map(self, f: Callable[[T], N]) -> "Box[N]":
        return Box(f(self.item))


reveal_type(Box(1))
reveal_type(Box("a").get())
reveal_type(Box("abc").map(len))
Box(1).map(str)


def args(*xs: Unpack[Ts]) -> tuple[Unpack[Ts]]:
    return xs


reveal_type(args(1, "a", 2.0))


def logged(f: Callable[P, T]) -> Callable[P, T]:
    return f


@logged
def add(a: int, b: int) -> int:
    return a + b


reveal_type(add)
add(1, "2")
d: dict[str, list[int]] = {}
reveal_type(d.get("a"))
reveal_type(d.setdefault("a", []))
reveal_type(d.pop("a", None))
xs = [1, 2, 3]
reveal_type(sorted(xs, key=lambda v: -v))
reveal_type(max(xs, default=None))
reveal_type(dict(zip(["a"], [1])))
reveal_type(len(xs))
