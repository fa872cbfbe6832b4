"""The Shape algebra (value form) and ShapeError."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, overload

from shapely_nn._dims import Dim, DimLike, evaluate, format_dim, solve, substitute


class ShapeError(ValueError):
    """A tensor's shape disagrees with what an op, a layer or an annotation requires."""


class Shape:
    """A tensor shape as the seeds build it: ``Shape.scalar`` or ``Shape.dim(n, s)``.

    ``Shape.dim(3, Shape.dim(4, Shape.scalar))`` is ``Shape.of(3, 4)`` and prints ``[3, 4]``.
    Dims are ``int`` sizes or symbolic ``Dim`` values.
    """

    __slots__ = ("_dims",)
    _dims: tuple[DimLike, ...]
    scalar: ClassVar[Shape]

    def __init__(self, dims: tuple[DimLike, ...] = ()) -> None:
        for d in dims:
            if isinstance(d, bool) or not isinstance(d, int | Dim):
                raise TypeError(f"a dim must be an int or a Dim, got {d!r}")
            if isinstance(d, int) and d < 0:
                raise ShapeError(f"a dim must be non-negative, got {d}")
        object.__setattr__(self, "_dims", dims)

    @classmethod
    def _trusted(cls, dims: tuple[DimLike, ...]) -> Shape:
        # For dims that are valid by construction (a NumPy shape, parts of a Shape): the
        # validation loop would be most of the cost of reading a tensor's shape.
        out = object.__new__(cls)
        object.__setattr__(out, "_dims", dims)
        return out

    @classmethod
    def of(cls, *dims: DimLike) -> Shape:
        """The shape with these dims, outermost first."""
        return cls(tuple(dims))

    @classmethod
    def dim(cls, n: DimLike, inner: Shape) -> Shape:
        """The seeds' constructor: ``n`` copies of ``inner``."""
        return cls((n, *inner._dims))

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError("Shape is immutable")

    @property
    def dims(self) -> tuple[DimLike, ...]:
        """The dims, outermost first."""
        return self._dims

    @property
    def rank(self) -> int:
        """Number of dims; 0 for a scalar."""
        return len(self._dims)

    @property
    def size(self) -> DimLike:
        """Number of elements: the product of the dims (symbolic if a dim is)."""
        total: DimLike = 1
        for d in self._dims:
            total = total * d
        return total

    @property
    def is_scalar(self) -> bool:
        """True for the rank-0 shape."""
        return not self._dims

    @property
    def head(self) -> DimLike:
        """The outermost dim (``n`` of ``Shape.dim(n, s)``)."""
        if not self._dims:
            raise ShapeError("head: a scalar shape has no dims")
        return self._dims[0]

    @property
    def tail(self) -> Shape:
        """The inner shape (``s`` of ``Shape.dim(n, s)``)."""
        if not self._dims:
            raise ShapeError("tail: a scalar shape has no dims")
        return Shape._trusted(self._dims[1:])

    @property
    def is_concrete(self) -> bool:
        """True when every dim is an ``int``."""
        return all(isinstance(d, int) for d in self._dims)

    def concat(self, other: Shape) -> Shape:
        """This shape's dims followed by ``other``'s (an outer product of index spaces)."""
        return Shape._trusted(self._dims + other._dims)

    def append(self, n: DimLike) -> Shape:
        """This shape with one more innermost dim."""
        return Shape((*self._dims, n))

    def prepend(self, n: DimLike) -> Shape:
        """``Shape.dim(n, self)``."""
        return Shape((n, *self._dims))

    def axis(self, axis: int, op: str = "shape") -> int:
        """Normalise a possibly negative axis; ``ShapeError`` if out of range."""
        rank = len(self._dims)
        if not -rank <= axis < rank:
            raise ShapeError(f"{op}: axis {axis} is out of range for {self} (rank {rank})")
        return axis % rank

    def replace(self, axis: int, n: DimLike) -> Shape:
        """This shape with the dim at ``axis`` replaced by ``n``."""
        i = self.axis(axis)
        return Shape((*self._dims[:i], n, *self._dims[i + 1 :]))

    def remove(self, axis: int) -> Shape:
        """This shape without the dim at ``axis``."""
        i = self.axis(axis)
        return Shape._trusted(self._dims[:i] + self._dims[i + 1 :])

    def evaluate(self, env: DimEnv) -> Shape:
        """Substitute bound symbols; unbound ones stay symbolic."""
        return Shape(tuple(substitute(d, env.bindings) for d in self._dims))

    def __len__(self) -> int:
        return len(self._dims)

    def __iter__(self) -> Iterator[DimLike]:
        return iter(self._dims)

    @overload
    def __getitem__(self, index: int) -> DimLike: ...
    @overload
    def __getitem__(self, index: slice) -> Shape: ...
    def __getitem__(self, index: int | slice) -> DimLike | Shape:
        if isinstance(index, slice):
            return Shape._trusted(self._dims[index])
        return self._dims[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Shape):
            return self._dims == other._dims
        if isinstance(other, tuple):
            return self._dims == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._dims)

    def __repr__(self) -> str:
        return "[" + ", ".join(format_dim(d) for d in self._dims) + "]"

    def as_tuple(self) -> tuple[int, ...]:
        """The dims as ints, for NumPy; ``ShapeError`` if a dim is symbolic."""
        out: list[int] = []
        for i, d in enumerate(self._dims):
            if not isinstance(d, int):
                raise ShapeError(f"shape {self} has a symbolic dim {d!r} at axis {i}")
            out.append(d)
        return tuple(out)


Shape.scalar = Shape(())


class DimEnv:
    """Bindings of symbolic dims to sizes, for one check (one call).

    ``bind`` returns ``None`` or a reason: checks return the reason and the caller raises.
    """

    __slots__ = ("bindings", "origins")

    def __init__(self) -> None:
        self.bindings: dict[str, int] = {}
        self.origins: dict[str, str] = {}

    def bind(self, dim: DimLike, size: int, where: str) -> str | None:
        """Bind or check ``dim`` against ``size``; ``where`` says where the size came from."""
        if isinstance(dim, int):
            if dim != size:
                return f"expected {dim}, got {size}"
            return None
        name = dim.atom
        if name is not None:
            bound = self.bindings.get(name)
            if bound is None:
                self.bindings[name] = size
                self.origins[name] = where
                return None
            if bound != size:
                return f"{name} is {bound} (from {self.origins[name]}), got {size}"
            return None
        value = evaluate(dim, self.bindings)
        if value is not None:
            if value != size:
                return f"expected {format_dim(dim)} = {value}, got {size}"
            return None
        solved = solve(dim, size, self.bindings)
        if isinstance(solved, str):
            return solved
        if solved is None:
            return f"cannot determine {format_dim(dim)} from {size}: bind its symbols first"
        self.bindings[solved[0]] = solved[1]
        self.origins[solved[0]] = where
        return None

    def __getitem__(self, name: str) -> int:
        return self.bindings[name]

    def __contains__(self, name: object) -> bool:
        return name in self.bindings

    def __repr__(self) -> str:
        return "DimEnv(" + ", ".join(f"{k}={v}" for k, v in self.bindings.items()) + ")"
