"""str.format and %-formatting checks, overloads, protocols, constrained generics."""

from typing import AnyStr, Protocol, TypeVar, overload

"{} {}".format(1)
"{0} {name}".format(1, nme=2)
"{:d}".format("x")
"%d %s" % (1,)
"%(a)d" % {"a": "x"}


@overload
def parse(x: int) -> str: ...
@overload
def parse(x: str) -> int: ...
def parse(x: int | str) -> int | str:
    return str(x) if isinstance(x, int) else int(x)


reveal_type(parse(1))
reveal_type(parse("1"))
parse(1.0)


class Closer(Protocol):
    def close(self) -> None: ...


class File:
    def close(self) -> None:
        pass


class Door:
    def close(self, force: bool) -> None:
        pass


def shut(c: Closer) -> None:
    c.close()


shut(File())
shut(Door())

Num = TypeVar("Num", int, float)
Small = TypeVar("Small", bound=int)


def double(x: Num) -> Num:
    return x * 2


def ident(x: Small) -> Small:
    return x


def concat(a: AnyStr, b: AnyStr) -> AnyStr:
    return a + b


reveal_type(double(2))
reveal_type(double(2.5))
double("2")
reveal_type(concat("a", "b"))
concat("a", b"b")
reveal_type(ident(True))
reveal_type(len([1, 2]))
