"""Type-level dims: ``Add``, ``Mul``, ``FloorDiv`` and their reading into runtime dims.

``Add[In, H]`` is a dim in a ``Tensor[...]`` annotation. The classes subclass ``int`` so that
mypy accepts them where a size TypeVar (``bound=int``) is expected; they are never
instantiated. At run time ``annotation_dim`` turns such an annotation into the shared normal
form of ``_dims``.

To mypy with the plugin they are precise (the plugin's type-analyze hook normalises them). To
every other checker (pyright, Pylance, basedpyright) they are gradual, ``Any``: those cannot
do the arithmetic, so ``Add[L[32], L[32]]`` against ``L[64]`` would be a false error there.
``_gradual_elsewhere`` does it with a difference between the checkers: pyright applies a class
decorator's declared return type to the class name, mypy keeps the class (python/mypy#3135).
"""

from __future__ import annotations

import typing
from typing import Any, Generic, TypeVarTuple

from shapely_nn._dims import Dim, DimLike, add, floordiv, mul

_Ts = TypeVarTuple("_Ts")


class _DimArith(int):
    """Base of the type-level arithmetic dims; never instantiated."""

    def __new__(cls, *args: object, **kwargs: object) -> _DimArith:
        raise TypeError(f"{cls.__name__}[...] is a type-level dim, not a value")


def _gradual_elsewhere(cls: type[_DimArith]) -> Any:
    """The class itself, typed ``Any``: gradual for pyright, unchanged for mypy and at run time."""
    return cls


@_gradual_elsewhere
class Add(_DimArith, Generic[*_Ts]):
    """Type-level sum of dims: ``Tensor[Add[In, H]]`` is a vector of size ``In + H``."""


@_gradual_elsewhere
class Mul(_DimArith, Generic[*_Ts]):
    """Type-level product of dims: ``Tensor[Mul[L[4], Out]]``."""


@_gradual_elsewhere
class FloorDiv(_DimArith, Generic[*_Ts]):
    """Type-level exact division by a literal: ``FloorDiv[E, L[4]]`` is ``E // 4``."""


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
