"""``QvrError``: everything wrong with a ``.qvr`` program, located by line and column."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pos:
    """A 1-based ``line`` and ``col`` in the program text."""

    line: int
    col: int

    def __str__(self) -> str:
        return f"line {self.line}, col {self.col}"


class QvrError(ValueError):
    """A ``.qvr`` program that cannot be loaded; the message starts with ``line L, col C:``.

    ``line`` and ``col`` are ``None`` for errors about the whole file (it cannot be read).
    """

    def __init__(self, message: str, pos: Pos | None = None) -> None:
        self.line = pos.line if pos is not None else None
        self.col = pos.col if pos is not None else None
        self.reason = message
        super().__init__(f"{pos}: {message}" if pos is not None else message)
