"""The objects a ``.qvr`` value can have, and the rule for feeding one into a morphism.

A value's type is a product of parts; a part is a ``FinSet n`` (ids in ``[0, n)``), a
``Real n`` (a vector of ``n`` features) or the log-probabilities of a ``Categorical`` over a
``FinSet``. A product of ``Real`` parts flowing into a ``Real`` object is their concatenation
(the sizes must add up); anything else must agree part by part.
"""

from __future__ import annotations

from dataclasses import dataclass

FINSET = "FinSet"
REAL = "Real"


@dataclass(frozen=True)
class Part:
    """One factor of a type: a named ``FinSet``/``Real`` of a size, maybe a distribution."""

    name: str
    kind: str
    size: int
    categorical: bool = False

    def sized(self) -> str:
        """``Real 16``."""
        return f"{self.kind} {self.size}"


Type = tuple[Part, ...]


def all_real(t: Type) -> bool:
    """Every part is a ``Real`` vector."""
    return all(p.kind == REAL and not p.categorical for p in t)


def show(t: Type) -> str:
    """``Latent (Real 16)``, ``Latent * Latent (Real 32)``, ``Source * Target (FinSet 32 *
    FinSet 32)``, ``Categorical over Target (FinSet 32)``."""
    if len(t) == 1 and t[0].categorical:
        return f"Categorical over {t[0].name} ({t[0].sized()})"
    names = " * ".join(p.name for p in t)
    if all_real(t):
        return f"{names} (Real {sum(p.size for p in t)})"
    sized = " * ".join(f"Categorical {p.sized()}" if p.categorical else p.sized() for p in t)
    return f"{names} ({sized})"


def flows(out: Type, into: Type) -> bool | None:
    """Can a value of type ``out`` feed an input of type ``into``?

    ``None``: no. ``True``: yes, after joining the ``Real`` parts (a ``Concat``). ``False``:
    yes, as it is.
    """
    if any(p.categorical for p in out):
        return None  # log-probabilities are only observed or returned
    if len(into) == 1 and into[0].kind == REAL:
        if all_real(out) and sum(p.size for p in out) == into[0].size:
            return len(out) > 1
        return None
    if len(out) != len(into):
        return None
    same = all(a.kind == b.kind and a.size == b.size for a, b in zip(out, into, strict=True))
    return False if same else None


def same_object(declared: Type, got: Type) -> bool:
    """Does a value of type ``got`` have the declared type (a Categorical counts as its set)?"""
    if all_real(declared) and all_real(got):
        return sum(p.size for p in declared) == sum(p.size for p in got)
    if len(declared) != len(got):
        return False
    return all(a.kind == b.kind and a.size == b.size for a, b in zip(declared, got, strict=True))
