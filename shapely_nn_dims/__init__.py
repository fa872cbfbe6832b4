"""The type-level dims ``Add``, ``Mul`` and ``FloorDiv``, in a package of their own.

``Add[In, H]`` is a dim in a ``Tensor[...]`` annotation, and what the mypy plugin writes for a
jaxtyping dim such as ``"i+h"``. The classes subclass ``int`` so that mypy accepts them where a
size TypeVar (``bound=int``) is expected; they are never instantiated. Import them from
``shapely_nn``; ``shapely_nn._typelevel`` reads them into runtime dims.

Why a package of its own: mypy loads a module together with its parent packages, and
``shapely_nn/__init__.py`` imports the whole library. A NumPy program annotated with jaxtyping
needs these three classes alone, so on its first run mypy analyses this small package, not
shapely_nn and everything it imports. It must import nothing.

To mypy with the plugin they are precise (the plugin's type-analyze hook normalises them). To
every other checker (pyright, Pylance, basedpyright) they are gradual, ``Any``: those cannot
do the arithmetic, so ``Add[L[32], L[32]]`` against ``L[64]`` would be a false error there.
``_gradual_elsewhere`` does it with a difference between the checkers: pyright applies a class
decorator's declared return type to the class name, mypy keeps the class (python/mypy#3135).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVarTuple

__all__ = ["Add", "FloorDiv", "Mul"]

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
