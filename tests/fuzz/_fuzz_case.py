"""``Case``: how the bad-input fuzz makes a good call of a public name (see ``_fuzz_cases``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from _fuzz_kinds import Kind

Args = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """A good call of a public name and the arguments the fuzz may replace.

    ``label`` is how the callee names itself in a shape or dtype message (default: the key up
    to a parenthesis); ``aliases`` are other words that name an argument in a message (a
    message about ``x``'s dtype may say "input"); ``covers`` are the public names the case
    stands for (default: its key); ``none_ok`` are arguments whose documented default is
    ``None`` (an initial state, a mask), so ``None`` is not a bad value there; ``known``
    names a finding in a file this suite's owners do not edit (the bad-value test is then a
    strict xfail, so the fix is noticed); ``examples`` is how many random bad values
    hypothesis tries (``None``: the suite's default; fewer for a call that samples).
    """

    run: Callable[[Args], Any]
    good: Callable[[], Args]
    kinds: Mapping[str, Kind]
    label: str | None = None
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    covers: tuple[str, ...] = ()
    known: str | None = None
    none_ok: tuple[str, ...] = ()
    examples: int | None = None

    def callee(self, key: str) -> str:
        """The name the callee uses for itself in messages ("" for a model: its parts speak)."""
        return self.label if self.label is not None else key.split("(")[0].split(".")[0]
