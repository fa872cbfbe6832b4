"""Guards: the seeds' proof-like preconditions as checks with clear messages.

Two forms of each precondition, one rule behind both:

* validators for annotations, checked by beartype under ``@shapechecked`` or ``check_package``:
  ``def f(seq_len: Positive, embed: Annotated[int, divisible_by(4)])``
  (``Positive``, ``NonNegative``,
  ``NonZero``, ``divisible_by(k)``, ``below(n)``, ``token_ids(vocab)``);
* ``require_*`` functions for preconditions that relate several values at run time
  (``embed_dim % heads == 0``, ids below a vocabulary size known only from a layer). They raise
  ``GuardError`` naming the precondition and the value, and are switched off by nothing: they
  guard the semantics, not the annotations.

Each rule is a ``reason_*`` function returning ``None`` or the message; the callers raise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np

if TYPE_CHECKING:
    # Type checkers need not read beartype (hundreds of modules in every user's mypy run):
    # ``Is[...]`` is ``Annotated`` metadata, opaque to them.
    Is: Any
else:
    from beartype.vale import Is

__all__ = [
    "GuardError",
    "NonNegative",
    "NonZero",
    "Positive",
    "below",
    "describe",
    "divisible_by",
    "reason_divisible",
    "reason_ids_in_range",
    "reason_index",
    "reason_nonnegative",
    "reason_nonzero",
    "reason_number_type",
    "reason_positive",
    "reason_open_rate",
    "reason_rate",
    "reason_size_type",
    "require_divisible",
    "require_flag",
    "require_ids_in_range",
    "require_index",
    "require_nonzero",
    "require_int",
    "require_nonnegative",
    "require_nonnegative_number",
    "require_positive",
    "require_positive_number",
    "require_open_rate",
    "require_rate",
    "require_size",
    "token_ids",
]


class GuardError(ValueError):
    """A precondition of the seeds (nonzero length, id in range, divisibility) does not hold."""


# ---- rules --------------------------------------------------------------------------------


def reason_positive(name: str, value: int) -> str | None:
    """``value > 0``."""
    return None if value > 0 else f"{name} > 0 does not hold: {name} = {value}"


def reason_nonnegative(name: str, value: int) -> str | None:
    """``value >= 0``."""
    return None if value >= 0 else f"{name} >= 0 does not hold: {name} = {value}"


def reason_nonzero(name: str, value: int) -> str | None:
    """``value != 0``."""
    return None if value != 0 else f"{name} != 0 does not hold: {name} = 0"


def describe(value: object) -> str:
    """What a value is, for messages: ``bool True``, ``numpy.ndarray of shape (2, 3) ...``."""
    if value is None:
        return "None"
    kind = type(value)
    name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
    if isinstance(value, np.ndarray):
        return f"numpy.ndarray of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, int | float | str | bool):
        return f"{name} {value!r}"
    if isinstance(value, list | tuple):
        return f"{name} of length {len(value)}"
    return name


def reason_size_type(name: str, value: Any) -> str | None:
    """``value`` is an ``int`` (a NumPy integer too) and not a ``bool``: sizes, lengths, counts."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        return None
    hint = (
        "; a bool is not a size, a count or an index" if isinstance(value, bool | np.bool_) else ""
    )
    return f"{name} must be an int, got {describe(value)}{hint}"


def reason_number_type(name: str, value: Any) -> str | None:
    """``value`` is a finite real number and not a ``bool``: rates, learning rates, scales."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        hint = "; a bool is not a number here" if isinstance(value, bool | np.bool_) else ""
        return f"{name} must be a real number, got {describe(value)}{hint}"
    if isinstance(value, np.complexfloating) or not np.isfinite(value):
        return f"{name} must be a finite real number, got {value!r}"
    return None


def reason_rate(name: str, value: float) -> str | None:
    """``0 <= value <= 1`` (a probability such as a dropout rate)."""
    return None if 0 <= value <= 1 else f"0 <= {name} <= 1 does not hold: {name} = {value}"


def reason_open_rate(name: str, value: float) -> str | None:
    """``0 < value < 1`` (a probability that may be neither bound: a target acceptance)."""
    return None if 0 < value < 1 else f"0 < {name} < 1 does not hold: {name} = {value}"


def reason_divisible(name: str, value: int, divisor_name: str, divisor: int) -> str | None:
    """``value % divisor == 0`` (and ``divisor > 0``)."""
    if divisor <= 0:
        return f"{divisor_name} > 0 does not hold: {divisor_name} = {divisor}"
    if value % divisor:
        return (
            f"{name} % {divisor_name} == 0 does not hold: {name} = {value}, "
            f"{divisor_name} = {divisor}, remainder {value % divisor}"
        )
    return None


def reason_index(name: str, index: int, size: int) -> str | None:
    """``0 <= index < size``."""
    if 0 <= index < size:
        return None
    return f"0 <= {name} < {size} does not hold: {name} = {index}"


def reason_ids_in_range(name: str, ids: Any, vocab: int) -> str | None:
    """Every id in ``[0, vocab)``; names the first offender and its position."""
    from shapely_nn._tensor import Tensor  # the tensor core imports the guards, not back

    array = np.asarray(ids.numpy() if isinstance(ids, Tensor) else ids)
    if array.dtype.kind not in "iu":
        return f"{name} must be integer token ids, got dtype {array.dtype}"
    if array.size == 0:
        return None
    bad = (array < 0) | (array >= vocab)
    if not bad.any():
        return None
    position = tuple(int(i) for i in np.argwhere(bad)[0])
    where = position[0] if len(position) == 1 else position
    return (
        f"every id in {name} must be in [0, {vocab}): {name}[{where}] = {array[position]}"
        f" ({int(bad.sum())} out of range)"
    )


def _raise(reason: str | None) -> None:
    if reason is not None:
        raise GuardError(reason)


def require_positive(**values: int) -> None:
    """``GuardError`` unless every named value is ``> 0``: ``require_positive(seq_len=t)``."""
    for name, value in values.items():
        _raise(reason_positive(name, value))


def _raise_type(reason: str | None) -> None:
    if reason is not None:
        raise TypeError(reason)


def require_int(**values: Any) -> None:
    """``TypeError`` unless every named value is an ``int`` and not a ``bool``: axes, indices."""
    for name, value in values.items():
        _raise_type(reason_size_type(name, value))


def require_size(**values: Any) -> None:
    """Every named value is an ``int > 0`` (not a ``bool``): sizes, lengths, counts, steps.

    ``TypeError`` for a value that is not an int (``True``, ``2.5``, ``"8"``, ``None``),
    ``GuardError`` (``max_len > 0 does not hold: max_len = -1``) for one that is ``<= 0``.
    """
    require_int(**values)
    for name, value in values.items():
        _raise(reason_positive(name, value))


def require_rate(**values: Any) -> None:
    """Every named value is a real number in ``[0, 1]`` (not a ``bool``): dropout rates."""
    for name, value in values.items():
        _raise_type(reason_number_type(name, value))
        _raise(reason_rate(name, value))


def require_open_rate(**values: Any) -> None:
    """Every named value is a real number strictly between 0 and 1: a target acceptance."""
    for name, value in values.items():
        _raise_type(reason_number_type(name, value))
        _raise(reason_open_rate(name, value))


def require_flag(**values: Any) -> None:
    """``TypeError`` unless every named value is ``True`` or ``False`` (NumPy's bool too)."""
    for name, value in values.items():
        if not isinstance(value, bool | np.bool_):
            # bool("no") is True: a switch must not read a word or a number as "on"
            raise TypeError(f"{name} must be True or False, got {describe(value)}")


def require_positive_number(**values: Any) -> None:
    """Every named value is a finite real number ``> 0`` (not a ``bool``): lr, eps, scales."""
    for name, value in values.items():
        _raise_type(reason_number_type(name, value))
        _raise(reason_positive(name, value))


def require_nonnegative(**values: Any) -> None:
    """Every named value is an ``int >= 0`` (not a ``bool``): seeds, start indices."""
    require_int(**values)
    for name, value in values.items():
        _raise(reason_nonnegative(name, value))


def require_nonnegative_number(**values: Any) -> None:
    """Every named value is a finite real number ``>= 0`` (not a ``bool``): momentum, decay."""
    for name, value in values.items():
        _raise_type(reason_number_type(name, value))
        _raise(reason_nonnegative(name, value))


def require_nonzero(**values: int) -> None:
    """``GuardError`` unless every named value is ``!= 0``: ``require_nonzero(max_len=n)``."""
    for name, value in values.items():
        _raise(reason_nonzero(name, value))


def require_divisible(name: str, value: int, divisor_name: str, divisor: int) -> None:
    """``GuardError`` unless ``value % divisor == 0``: ``embed_dim % heads == 0``."""
    _raise(reason_divisible(name, value, divisor_name, divisor))


def require_index(name: str, index: int, size: int) -> None:
    """``GuardError`` unless ``0 <= index < size``."""
    _raise(reason_index(name, index, size))


def require_ids_in_range(ids: Any, vocab: int, name: str = "ids") -> None:
    """``GuardError`` unless every token id is in ``[0, vocab)``."""
    _raise(reason_ids_in_range(name, ids, vocab))


# ---- validators for annotations -----------------------------------------------------------


@dataclass(frozen=True)
class _Validator:
    """A named predicate, so beartype's message reads ``Is[positive]``, not a lambda."""

    text: str
    test: Any

    def __call__(self, value: Any) -> bool:
        return bool(self.test(value))

    def __repr__(self) -> str:
        return self.text


Positive = Annotated[int, Is[_Validator("positive (> 0)", lambda n: n > 0)]]
"""An ``int`` that must be ``> 0`` (sizes, sequence lengths)."""

NonNegative = Annotated[int, Is[_Validator("non-negative (>= 0)", lambda n: n >= 0)]]
"""An ``int`` that must be ``>= 0``."""

NonZero = Annotated[int, Is[_Validator("nonzero (!= 0)", lambda n: n != 0)]]
"""An ``int`` that must be ``!= 0`` (the seeds' ``maxLen != 0``)."""


def divisible_by(k: int) -> Any:
    """Validator for ``Annotated[int, divisible_by(k)]``: a multiple of ``k``."""
    return Is[_Validator(f"divisible by {k}", lambda n: n % k == 0)]


def below(n: int) -> Any:
    """Validator for ``Annotated[int, below(n)]``: an index in ``[0, n)``."""
    return Is[_Validator(f"in [0, {n})", lambda i: 0 <= i < n)]


def token_ids(vocab: int) -> Any:
    """Validator for ``Annotated[Tensor[T], token_ids(vocab)]``: every id in ``[0, vocab)``."""
    text = f"token ids in [0, {vocab})"
    return Is[_Validator(text, lambda t: reason_ids_in_range("ids", t, vocab) is None)]
