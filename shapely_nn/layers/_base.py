"""What every layer shares: parameters as named arrays, grad records, seeded init.

A layer is a frozen dataclass whose fields are its parameters (``numpy`` arrays) or
sub-layers. It offers:

* ``__call__(x)``: the forward pass on ``Tensor``s (shape-checked at the boundary);
* ``forward(x) -> (y, cache)`` and ``backward(cache, grad_y) -> (grads, grad_x)``: the explicit
  reverse pass, with a grad record whose fields mirror the parameters;
* ``parameters()`` / ``with_parameters(...)``: a flat ``{"name": array}`` view and its inverse,
  which optimizers, save/load and PyTorch export use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, overload

import numpy as np
import numpy.typing as npt

from shapely_nn._shape import ShapeError
from shapely_nn._tensor import as_generator as as_generator, describe

if TYPE_CHECKING:
    from shapely_nn.layers._chain import Chain, IdsModule, LeadModule, Module, Parallel

# Feature sizes in the static signatures of ``>>`` and ``@``.
_X = TypeVar("_X", bound=int)
_Y = TypeVar("_Y", bound=int)
_Z = TypeVar("_Z", bound=int)
_W = TypeVar("_W", bound=int)

Array = npt.NDArray[Any]
Rng = np.random.Generator | int


class AnyLead:
    """A part whose leading dims are not tracked: what comes out before the last axis is open."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SameLead(AnyLead):
    """A part that maps ``[*B, In]`` to ``[*B, Out]``: the caller's leading dims come back out.

    Layers say so with their ``leading_dims`` property; a ``>>`` chain of such parts is a
    ``Chain[In, Out, SameLead]``, whose call keeps ``*B`` in the types.
    """


class ParameterNameError(KeyError):
    """Parameters or gradients named unlike the model's (``with_parameters``, optimizers).

    A ``KeyError`` (the names are the keys of a mapping) whose message reads as written.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def require_module(callee: str, module: object, name: str = "module") -> Layer:
    """``module`` if it is a shapely_nn layer, module or model, else ``TypeError`` saying so."""
    if not isinstance(module, Layer):
        raise TypeError(
            f'{callee}: argument "{name}" must be a shapely_nn layer, module or model, '
            f"got {describe(module)}"
        )
    return module


def uniform(rng: np.random.Generator, bound: float, shape: tuple[int, ...], dtype: Any) -> Array:
    """``U(-bound, bound)`` samples, PyTorch's default init scale for Linear and RNNs."""
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def require_float_dtype(dtype: Any) -> np.dtype[Any]:
    """float32 or float64, else ``TypeError``."""
    try:
        # np.dtype(None) is float64: a missing dtype must not pass for one.
        dt: np.dtype[Any] = np.dtype(dtype if dtype is not None else "O")
    except (TypeError, ValueError, SyntaxError):  # np.dtype("01") is a SyntaxError
        dt = np.dtype("O")
    if dtype is None or dt == np.dtype("O"):
        raise TypeError(f"dtype of layer parameters must be float32 or float64, got {dtype!r}")
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype of layer parameters must be float32 or float64, got {dt}")
    return dt


def _flatten(prefix: str, value: Any, out: dict[str, Array]) -> None:
    if isinstance(value, np.ndarray):
        out[prefix] = value
    elif isinstance(value, Layer | GradRecord):
        for name, child in value.children():
            _flatten(f"{prefix}.{name}" if prefix else name, child, out)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _flatten(f"{prefix}.{i}", item, out)


def _fields(value: Any) -> list[tuple[str, Any]]:
    return [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]


class Layer:
    """Base of layers: a frozen dataclass of parameter arrays and sub-layers."""

    def children(self) -> list[tuple[str, Any]]:
        """Named parts (arrays, sub-layers) in order: the dataclass fields."""
        return _fields(self)

    def parameters(self) -> dict[str, Array]:
        """Every parameter array by dotted name (``"weight"``, ``"layers.0.bias"``)."""
        out: dict[str, Array] = {}
        _flatten("", self, out)
        return out

    def with_parameters(self, params: Mapping[str, Array]) -> Self:
        """A copy with these parameter arrays; names, shapes and dtypes must match."""
        current = self.parameters()
        unknown = sorted(set(params) - set(current))
        if unknown:
            raise ParameterNameError(f"{type(self).__name__} has no parameters {unknown}")
        for name, array in params.items():
            old = current[name]
            if not isinstance(array, np.ndarray) or array.shape != old.shape:
                got = getattr(array, "shape", type(array).__name__)
                raise ShapeError(
                    f"{type(self).__name__}.{name}: expected shape {list(old.shape)}, got {got}"
                )
            if array.dtype != old.dtype:
                raise TypeError(
                    f"{type(self).__name__}.{name}: expected dtype {old.dtype}, got {array.dtype}"
                )
        return _rebuild(self, "", params)  # type: ignore[no-any-return]

    def astype(self, dtype: Any) -> Self:
        """A copy with every parameter cast to ``dtype`` (float32 or float64)."""
        dt = require_float_dtype(dtype)
        cast = {name: array.astype(dt) for name, array in self.parameters().items()}
        return _rebuild(self, "", cast)  # type: ignore[no-any-return]

    @property
    def leading_dims(self) -> AnyLead:
        """``SameLead()`` where the layer keeps its input's leading dims, else ``AnyLead()``."""
        return AnyLead()

    @overload
    def __rshift__(
        self: LeadModule[_X, _Y, SameLead], other: LeadModule[_Y, _Z, SameLead]
    ) -> Chain[_X, _Z, SameLead]: ...
    @overload
    def __rshift__(self: IdsModule[_Y], other: Module[_Y, _Z]) -> Chain[Any, _Z]: ...
    @overload
    def __rshift__(self: Module[_X, _Y], other: Module[_Y, _Z]) -> Chain[_X, _Z]: ...
    def __rshift__(self, other: Any) -> Any:
        """``self >> other``: a ``Chain``, ``other`` applied to this layer's output.

        Statically ``Module[X, Y] >> Module[Y, Z]`` is ``Chain[X, Z]``, and a
        ``Chain[X, Z, SameLead]`` when both parts keep the leading dims; the mypy plugin names
        both parts and the feature sizes when ``Y`` disagrees.
        """
        from shapely_nn.layers._chain import Chain

        return Chain([self, other])

    def __matmul__(self: Module[_X, _Y], other: Module[_Z, _W]) -> Parallel[_X, _Y, _Z, _W]:
        """``self @ other``: a ``Parallel`` pair, ``(x1, x2) -> (self(x1), other(x2))``."""
        from shapely_nn.layers._chain import Parallel

        return Parallel([self, other])

    @property
    def dtype(self) -> np.dtype[Any]:
        """The dtype of the parameters."""
        first = next(iter(self.parameters().values()))
        return first.dtype


def _rebuild(value: Any, prefix: str, params: Mapping[str, Array]) -> Any:
    if isinstance(value, np.ndarray):
        return params.get(prefix, value)
    if isinstance(value, Layer):
        changes = {
            f.name: _rebuild(
                getattr(value, f.name), f"{prefix}.{f.name}" if prefix else f.name, params
            )
            for f in dataclasses.fields(value)  # type: ignore[arg-type]
        }
        out = object.__new__(type(value))
        for name, v in changes.items():
            object.__setattr__(out, name, v)
        return out
    if isinstance(value, list | tuple):
        return type(value)(_rebuild(v, f"{prefix}.{i}", params) for i, v in enumerate(value))
    return value


class GradRecord:
    """Base of grad records (``LinearGrads``...): fields mirror the layer's parameters."""

    def children(self) -> list[tuple[str, Any]]:
        """Named parts (arrays, nested records) in order: the dataclass fields."""
        return _fields(self)

    def as_dict(self) -> dict[str, Array]:
        """The gradients by the same dotted names as ``Layer.parameters()``."""
        out: dict[str, Array] = {}
        _flatten("", self, out)
        return out
