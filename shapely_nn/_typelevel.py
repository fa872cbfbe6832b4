"""Type-level dims read into runtime dims: ``annotation_dim`` turns ``Literal[64]``, a TypeVar
or ``Add``/``Mul``/``FloorDiv`` (defined in ``shapely_nn_dims``) into the normal form of ``_dims``.
"""

from __future__ import annotations

import typing
from typing import Any

from shapely_nn._dims import Dim, DimLike, add, floordiv, mul
from shapely_nn_dims import Add, FloorDiv, Mul


class Wildcard:
    """Any single size (an ``int`` or ``Any`` annotation): matches, binds nothing."""

    def __repr__(self) -> str:
        return "*"


WILDCARD = Wildcard()


class AnnotationError(TypeError):
    """A ``Tensor[...]`` annotation that is not a valid shape."""


def annotation_dim(ann: Any) -> DimLike | Wildcard:
    """Read one dim annotation: ``Literal[64]``, a TypeVar, ``Add[...]``, ``int`` or ``Any``."""
    if ann is int or ann is Any:
        return WILDCARD
    if isinstance(ann, typing.TypeVar):
        return Dim(ann.__name__)
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is typing.Literal:
        if len(args) == 1 and isinstance(args[0], int) and not isinstance(args[0], bool):
            if args[0] < 0:
                raise AnnotationError(f"a dim must be non-negative, got Literal[{args[0]}]")
            return args[0]
        raise AnnotationError(f"a literal dim must be one int, got {ann!r}")
    if origin in (Add, Mul, FloorDiv):
        if not args:
            raise AnnotationError(f"{origin.__name__}[] needs at least one dim")
        parts = [annotation_dim(a) for a in args]
        if any(isinstance(p, Wildcard) for p in parts):
            return WILDCARD
        dims = [p for p in parts if not isinstance(p, Wildcard)]
        if origin is Add:
            return add(*dims)
        if origin is Mul:
            return mul(*dims)
        if len(dims) != 2 or not isinstance(dims[1], int):
            raise AnnotationError("FloorDiv takes a dim and a literal divisor: FloorDiv[E, L[4]]")
        quotient = floordiv(dims[0], dims[1])
        if quotient is None:
            # Not divisible in normal form: keep it as an opaque atom of its own.
            return Dim(f"FloorDiv_{abs(hash(ann))}")
        return quotient
    raise AnnotationError(f"not a dim: {ann!r} (use Literal[n], a TypeVar, Add, Mul or int)")
