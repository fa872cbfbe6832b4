"""Dim arithmetic in one normal form, shared by the runtime binder and the mypy plugin.

A dim is an integer polynomial over named atoms (``B``, ``In``, ``H``): a constant plus a
sum of coefficient x monomial, terms sorted, zero coefficients dropped. Two dims are equal
exactly when their normal forms are equal, so ``In + H == H + In`` and ``2 * (N + 3) ==
2 * N + 6`` hold structurally. This module imports only the standard library, because the
mypy plugin imports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# A monomial is a sorted tuple of atom names (with repeats for powers); () is the constant.
Monomial = tuple[str, ...]
Terms = tuple[tuple[Monomial, int], ...]


def _normalise(pairs: Iterable[tuple[Monomial, int]]) -> Terms:
    acc: dict[Monomial, int] = {}
    for mono, coeff in pairs:
        key = tuple(sorted(mono))
        acc[key] = acc.get(key, 0) + coeff
    # Higher-degree terms first, then by name: "H*T + In + 2" reads naturally.
    return tuple(
        sorted(((m, c) for m, c in acc.items() if c != 0), key=lambda t: (-len(t[0]), t[0]))
    )


class Dim:
    """A symbolic tensor dimension: an atom such as ``Dim("B")`` or arithmetic over atoms."""

    __slots__ = ("_hash", "_terms")
    _terms: Terms
    _hash: int

    def __init__(self, name: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"Dim: name must be a str, got {type(name).__name__} {name!r}")
        if not name.isidentifier():
            raise ValueError(f"a dim name must be an identifier, got {name!r}")
        self._set((((name,), 1),))

    def _set(self, terms: Terms) -> None:
        object.__setattr__(self, "_terms", terms)
        object.__setattr__(self, "_hash", hash(terms))

    @classmethod
    def from_terms(cls, pairs: Iterable[tuple[Monomial, int]]) -> DimLike:
        """Build the normal form of a sum of terms; a constant comes back as a plain ``int``."""
        terms = _normalise(pairs)
        if not terms:
            return 0
        if len(terms) == 1 and terms[0][0] == ():
            return terms[0][1]
        out = cls.__new__(cls)
        out._set(terms)
        return out

    @property
    def terms(self) -> Terms:
        """The normal form: ``((monomial, coefficient), ...)``."""
        return self._terms

    @property
    def names(self) -> frozenset[str]:
        """Every atom name this dim mentions."""
        return frozenset(n for mono, _ in self._terms for n in mono)

    @property
    def atom(self) -> str | None:
        """The name if this dim is a single atom (``B``), else ``None``."""
        if len(self._terms) == 1:
            mono, coeff = self._terms[0]
            if coeff == 1 and len(mono) == 1:
                return mono[0]
        return None

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError("Dim is immutable")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Dim):
            return self._terms == other._terms
        return NotImplemented

    def __hash__(self) -> int:
        return self._hash

    def __add__(self, other: DimLike) -> DimLike:
        return Dim.from_terms(terms_of(self) + terms_of(other))

    __radd__ = __add__

    def __sub__(self, other: DimLike) -> DimLike:
        return Dim.from_terms(terms_of(self) + tuple((m, -c) for m, c in terms_of(other)))

    def __rsub__(self, other: DimLike) -> DimLike:
        return Dim.from_terms(terms_of(other) + tuple((m, -c) for m, c in self._terms))

    def __mul__(self, other: DimLike) -> DimLike:
        return Dim.from_terms(
            (m1 + m2, c1 * c2) for m1, c1 in terms_of(self) for m2, c2 in terms_of(other)
        )

    __rmul__ = __mul__

    def __floordiv__(self, other: int) -> DimLike:
        divided = floordiv(self, other)
        if divided is None:
            raise ValueError(f"{self!r} is not known to be divisible by {other}")
        return divided

    def __repr__(self) -> str:
        return format_dim(self)


DimLike = int | Dim


def terms_of(d: DimLike) -> Terms:
    """The normal-form terms of an ``int`` or a ``Dim``."""
    if isinstance(d, Dim):
        return d.terms
    return (((), d),) if d else ()


def add(*dims: DimLike) -> DimLike:
    """Normal form of a sum of dims."""
    return Dim.from_terms(t for d in dims for t in terms_of(d))


def mul(*dims: DimLike) -> DimLike:
    """Normal form of a product of dims."""
    acc: tuple[tuple[Monomial, int], ...] = (((), 1),)
    for d in dims:
        acc = tuple((m1 + m2, c1 * c2) for m1, c1 in acc for m2, c2 in terms_of(d))
    return Dim.from_terms(acc)


def floordiv(d: DimLike, k: int) -> DimLike | None:
    """``d // k`` when every coefficient of ``d`` is divisible by ``k``, else ``None``."""
    if k <= 0:
        return None
    if isinstance(d, int):
        return d // k
    if any(c % k for _, c in d.terms):
        return None
    return Dim.from_terms((m, c // k) for m, c in d.terms)


def evaluate(d: DimLike, env: Mapping[str, int]) -> int | None:
    """The value of ``d`` under ``env``, or ``None`` if an atom is unbound."""
    if isinstance(d, int):
        return d
    total = 0
    for mono, coeff in d.terms:
        value = coeff
        for name in mono:
            bound = env.get(name)
            if bound is None:
                return None
            value *= bound
        total += value
    return total


def substitute(d: DimLike, env: Mapping[str, int]) -> DimLike:
    """``d`` with every bound atom replaced by its value; unbound atoms stay symbolic."""
    if isinstance(d, int):
        return d
    out: list[tuple[Monomial, int]] = []
    for mono, coeff in d.terms:
        kept: list[str] = []
        for name in mono:
            bound = env.get(name)
            if bound is None:
                kept.append(name)
            else:
                coeff *= bound
        out.append((tuple(kept), coeff))
    return Dim.from_terms(out)


def solve(d: Dim, value: int, env: Mapping[str, int]) -> tuple[str, int] | str | None:
    """Solve ``d == value`` for its one unbound atom, if that atom appears linearly.

    Returns ``(name, solution)``, or a reason string when no non-negative integer solves
    it, or ``None`` when it cannot be solved yet (several unknowns, or a non-linear one).
    """
    unknown = [n for n in d.names if n not in env]
    if len(unknown) != 1:
        return None
    name = unknown[0]
    coeff = 0
    rest = 0
    for mono, c in d.terms:
        if mono.count(name) > 1:
            return None
        partial = c
        for atom in mono:
            if atom != name:
                partial *= env[atom]
        if name in mono:
            coeff += partial
        else:
            rest += partial
    if coeff == 0:
        return None
    remainder = value - rest
    if remainder % coeff or remainder // coeff < 0:
        return f"no size {name} makes {format_dim(d)} equal {value}"
    return name, remainder // coeff


def format_dim(d: DimLike) -> str:
    """Human form: ``In + 2*H``, ``H*T``, ``64``."""
    if isinstance(d, int):
        return str(d)
    parts: list[str] = []
    for mono, coeff in d.terms:
        body = "*".join(mono)
        if not body:
            text = str(abs(coeff))
        elif abs(coeff) == 1:
            text = body
        else:
            text = f"{abs(coeff)}*{body}"
        if not parts:
            parts.append(text if coeff > 0 else f"-{text}")
        else:
            parts.append(f"+ {text}" if coeff > 0 else f"- {text}")
    return " ".join(parts)
