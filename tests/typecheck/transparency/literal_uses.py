"""Literal types: narrowing, int arithmetic on literals, tuple multiplication, len."""

from typing import Final, Literal

Mode = Literal["r", "w"]


def open_it(mode: Mode) -> int:
    if mode == "r":
        reveal_type(mode)
        return 0
    reveal_type(mode)
    return 1


open_it("x")
WIDTH: Final = 3
reveal_type(WIDTH)
reveal_type(2**8)
reveal_type(2**-1)
reveal_type(-WIDTH)
reveal_type(+WIDTH)
reveal_type((1, "a") * 2)
reveal_type(len((1, 2, 3)))
n: Literal[4] = 4
reveal_type(n * 2)
x: Literal[1, 2] = 3
