"""enum: value and name types, Literal narrowing of members, auto, member."""

import enum
from enum import Enum, IntEnum, auto


class Color(Enum):
    RED = 1
    GREEN = "g"


class Level(IntEnum):
    LOW = auto()
    HIGH = auto()


reveal_type(Color.RED.value)
reveal_type(Color.GREEN.value)
reveal_type(Color.RED.name)
reveal_type(Level.LOW.value)


def describe(c: Color) -> str:
    if c is Color.RED:
        reveal_type(c)
        return "red"
    reveal_type(c)
    return c.value


class Flags(enum.Flag):
    A = enum.auto()
    B = enum.auto()


reveal_type(Flags.A | Flags.B)
reveal_type(Color["RED"])
Color.BLUE
