"""``Tensor``: a NumPy array whose shape is part of its type, and the ops on it.

Each op checks its operands with the rule in ``_rules`` and raises ``ShapeError`` with the
rule's reason before touching any data, so a failed op leaves nothing half done.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeAlias, TypeVar, TypeVarTuple, cast

import numpy as np
import numpy.typing as npt

from shapely_nn import _rules, functional
from shapely_nn._shape import Shape, ShapeError
from shapely_nn.guards import describe as describe, require_int, require_nonnegative

Dims = TypeVarTuple("Dims")
Batch = TypeVarTuple("Batch")
N = TypeVar("N", bound=int)
K = TypeVar("K", bound=int)
M = TypeVar("M", bound=int)

Array: TypeAlias = npt.NDArray[Any]
Scalar: TypeAlias = float | int

_ALLOWED = frozenset(np.dtype(t) for t in (np.float32, np.float64, np.int64, np.bool_))
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class DTypeError(TypeError):
    """An op got a dtype it does not take (int ids where floats are needed, mixed floats)."""


class IndexBoundsError(ShapeError, IndexError):
    """An index or token id outside its dim."""


def _check(reason: str | None) -> None:
    if reason is not None:
        raise ShapeError(reason)


def _rule(result: Shape | str) -> Shape:
    if isinstance(result, str):
        raise ShapeError(result)
    return result


class Tensor(Generic[*Dims]):
    """A NumPy array with a shape type: ``Tensor[B, T, Literal[64]]``; ``Tensor[()]`` is a scalar.

    Build one with ``shapely_nn.tensor(data)``; ``Tensor(array)`` wraps an array without a copy.
    """

    __slots__ = ("_array",)
    __array_priority__ = 1000  # so `ndarray + tensor` defers to Tensor and is refused

    def __init__(self, array: Array) -> None:
        if not isinstance(array, np.ndarray):
            raise TypeError(
                f'Tensor: argument "array" must be a numpy.ndarray (Tensor wraps one), got '
                f"{describe(array)}; use shapely_nn.tensor(data) to build one from any data"
            )
        if array.dtype not in _ALLOWED:
            raise DTypeError(
                f"Tensor dtype must be float32, float64, int64 or bool, got {array.dtype}"
            )
        self._array = array

    @classmethod
    def _wrap(cls, array: Array) -> Tensor[*tuple[Any, ...]]:
        out: Tensor[*tuple[Any, ...]] = cls.__new__(cls)
        out._array = array
        return out

    # ---- inspection -------------------------------------------------------------------
    @property
    def shape(self) -> Shape:
        """The shape as a ``Shape``."""
        return Shape._trusted(self._array.shape)

    @property
    def dtype(self) -> np.dtype[Any]:
        """The NumPy dtype."""
        return self._array.dtype

    @property
    def rank(self) -> int:
        """Number of dims."""
        return self._array.ndim

    def numpy(self) -> Array:
        """The underlying array (shared, not copied)."""
        return self._array

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self._array.size != 1:
            raise ShapeError(f"item: needs exactly one element, got shape {self.shape}")
        value: float | int | bool = self._array.item()
        return value

    def astype(self, dtype: npt.DTypeLike) -> Tensor[*Dims]:
        """A copy with another dtype (float32, float64, int64 or bool)."""
        return Tensor(self._array.astype(_checked_dtype(dtype)))

    def __repr__(self) -> str:
        body = np.array2string(self._array, precision=4, threshold=20, separator=", ")
        return f"Tensor({body}, shape={self.shape}, dtype={self._array.dtype})"

    def __len__(self) -> int:
        if self._array.ndim == 0:
            raise TypeError("len() of a scalar tensor")
        return int(self._array.shape[0])

    def __bool__(self) -> bool:
        raise TypeError("the truth value of a Tensor is ambiguous; compare .item() instead")

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Array:
        if dtype is None:
            return self._array
        return self._array.astype(dtype)

    # ---- elementwise ------------------------------------------------------------------
    def _binary(self, other: object, op: str, ufunc: np.ufunc, reverse: bool = False) -> Any:
        right: Any
        if isinstance(other, Tensor):
            _check(_rules.same_shape(op, self.shape, other.shape))
            _same_kind(op, self, other)
            right = other._array
        elif isinstance(other, int | float) and not isinstance(other, bool):
            right = other
        else:
            return NotImplemented
        a, b = (right, self._array) if reverse else (self._array, right)
        return Tensor._wrap(ufunc(a, b))

    def __add__(self, other: Tensor[*Dims] | Scalar) -> Tensor[*Dims]:
        return self._binary(other, "add", np.add)  # type: ignore[no-any-return]

    def __radd__(self, other: Scalar) -> Tensor[*Dims]:
        return self._binary(other, "add", np.add, reverse=True)  # type: ignore[no-any-return]

    def __sub__(self, other: Tensor[*Dims] | Scalar) -> Tensor[*Dims]:
        return self._binary(other, "sub", np.subtract)  # type: ignore[no-any-return]

    def __rsub__(self, other: Scalar) -> Tensor[*Dims]:
        return self._binary(other, "sub", np.subtract, True)  # type: ignore[no-any-return]

    def __mul__(self, other: Tensor[*Dims] | Scalar) -> Tensor[*Dims]:
        return self._binary(other, "mul", np.multiply)  # type: ignore[no-any-return]

    def __rmul__(self, other: Scalar) -> Tensor[*Dims]:
        return self._binary(other, "mul", np.multiply, True)  # type: ignore[no-any-return]

    def __truediv__(self, other: Tensor[*Dims] | Scalar) -> Tensor[*Dims]:
        return self._binary(other, "div", np.true_divide)  # type: ignore[no-any-return]

    def __rtruediv__(self, other: Scalar) -> Tensor[*Dims]:
        return self._binary(other, "div", np.true_divide, True)  # type: ignore[no-any-return]

    def __pow__(self, exponent: Scalar) -> Tensor[*Dims]:
        return self._binary(exponent, "pow", np.power)  # type: ignore[no-any-return]

    def __neg__(self) -> Tensor[*Dims]:
        return Tensor(np.negative(self._array))

    # ---- structure --------------------------------------------------------------------
    def __matmul__(self: Tensor[*Batch, N, K], other: Tensor[K, M]) -> Tensor[*Batch, N, M]:
        return matmul(self, other)

    def __getitem__(self, index: int | slice) -> Tensor[*tuple[Any, ...]]:
        """``t[i]`` drops axis 0 (bounds checked); ``t[a:b]`` slices it. Nothing else."""
        if self._array.ndim == 0:
            raise ShapeError("index: cannot index a scalar tensor")
        if isinstance(index, slice):
            return Tensor._wrap(self._array[index])
        if isinstance(index, int | np.integer) and not isinstance(index, bool):
            n = self._array.shape[0]
            if not -n <= index < n:
                raise IndexBoundsError(
                    f"index: {index} is out of bounds for axis 0 of {self.shape} (size {n})"
                )
            return Tensor._wrap(self._array[index])
        raise TypeError(
            f"index: a Tensor takes an int or a slice on axis 0, got {type(index).__name__}; "
            "use take() to gather"
        )

    @property
    def T(self) -> Tensor[*tuple[Any, ...]]:  # noqa: N802 (numpy spelling)
        """Swap the last two axes."""
        return transpose(self)

    def reshape(self, *shape: int) -> Tensor[*tuple[Any, ...]]:
        """Same elements, new dims (one may be -1); the sizes must agree."""
        return reshape(self, shape)

    def sum(
        self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
    ) -> Tensor[*tuple[Any, ...]]:
        """Sum over ``axis`` (all axes if ``None``)."""
        return sum_(self, axis, keepdims)

    def mean(
        self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
    ) -> Tensor[*tuple[Any, ...]]:
        """Mean over ``axis`` (all axes if ``None``)."""
        return mean(self, axis, keepdims)

    def max(
        self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
    ) -> Tensor[*tuple[Any, ...]]:
        """Maximum over ``axis`` (all axes if ``None``)."""
        return max_(self, axis, keepdims)


AnyTensor: TypeAlias = Tensor[*tuple[Any, ...]]


def _checked_dtype(dtype: npt.DTypeLike) -> np.dtype[Any]:
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError, SyntaxError):  # np.dtype("01") is a SyntaxError
        raise DTypeError(f"dtype must be float32, float64, int64 or bool, got {dtype!r}") from None
    if dt not in _ALLOWED:
        raise DTypeError(f"dtype must be float32, float64, int64 or bool, got {dt}")
    return dt


def _same_kind(op: str, a: AnyTensor, b: AnyTensor) -> None:
    if a._array.dtype != b._array.dtype:
        raise DTypeError(
            f"{op}: dtypes differ: left is {a._array.dtype}, right is {b._array.dtype} "
            "(convert one with .astype)"
        )


def _require_float(op: str, t: AnyTensor) -> None:
    if t._array.dtype not in FLOAT_DTYPES:
        raise DTypeError(f"{op}: needs a float32 or float64 tensor, got {t._array.dtype}")


def reason_not_tensor(callee: str, name: str, value: object) -> str | None:
    """``None`` if ``value`` is a ``Tensor``, else the message of the input rule."""
    if isinstance(value, Tensor):
        return None
    return (
        f'{callee}: argument "{name}" must be a shapely_nn Tensor, got {describe(value)}; '
        "wrap it with shapely_nn.tensor(...)"
    )


def require_tensor(callee: str, name: str, value: object) -> AnyTensor:
    """``value`` if it is a ``Tensor``; else ``TypeError`` naming the callee, argument and fix.

    The input rule of every layer, module and model: refuse, don't wrap. A ``Tensor`` carries
    the shape type the checker reads; an ndarray carries none.
    """
    if isinstance(value, Tensor):
        return value
    raise TypeError(reason_not_tensor(callee, name, value))


def array_of(callee: str, name: str, value: object) -> Array:
    """The array of ``value`` if it is a ``Tensor`` (``require_tensor``), for a kernel's use."""
    return require_tensor(callee, name, value)._array


def optional_array_of(callee: str, name: str, value: object) -> Array | None:
    """``None`` for ``None``, else ``array_of``: optional tensor arguments such as masks."""
    return None if value is None else array_of(callee, name, value)


def require_tensors(
    callee: str, name: str, value: object, count: int | None = None
) -> tuple[AnyTensor, ...]:
    """``value`` as a tuple of ``count`` tensors (any number >= 1 if ``None``), or ``TypeError``.

    For pairs, LSTM states and lists of parts; each element is named ``name[i]``.
    """
    items: tuple[object, ...] = tuple(value) if isinstance(value, tuple | list) else ()
    if not items or (count is not None and len(items) != count):
        many = f"{count}" if count else "one or more"
        raise TypeError(
            f'{callee}: argument "{name}" must be a tuple of {many} shapely_nn Tensors, '
            f"got {describe(value)}; wrap each array with shapely_nn.tensor(...)"
        )
    return tuple(require_tensor(callee, f"{name}[{i}]", v) for i, v in enumerate(items))


def tensor(data: Any, dtype: npt.DTypeLike | None = None) -> AnyTensor:
    """A new tensor (a copy of ``data``): Python floats give float32 (a float64 array stays
    float64, as in PyTorch), integers int64, bools bool."""
    try:
        array = np.array(data.numpy() if isinstance(data, Tensor) else data, copy=True)
    except ValueError as exc:  # ragged nesting: numpy's message, said as the tensor's
        raise ShapeError(f"tensor: data must be rectangular (not ragged): {exc}") from None
    if dtype is not None:
        return Tensor(array.astype(_checked_dtype(dtype)))
    kind = array.dtype.kind
    if kind == "f":
        keep = isinstance(data, np.ndarray | Tensor) and array.dtype == np.float64
        return Tensor(array if keep else array.astype(np.float32))
    if kind in "iu":
        return Tensor(array.astype(np.int64))
    if kind == "b":
        return Tensor(array)
    raise DTypeError(f"tensor: cannot make a tensor from data of dtype {array.dtype}")


def zeros(shape: Sequence[int] | Shape, dtype: npt.DTypeLike = np.float32) -> AnyTensor:
    """A tensor of zeros."""
    return Tensor(np.zeros(_concrete("zeros", shape), dtype=_checked_dtype(dtype)))


def ones(shape: Sequence[int] | Shape, dtype: npt.DTypeLike = np.float32) -> AnyTensor:
    """A tensor of ones."""
    return Tensor(np.ones(_concrete("ones", shape), dtype=_checked_dtype(dtype)))


def randn(
    shape: Sequence[int] | Shape,
    rng: np.random.Generator | int,
    dtype: npt.DTypeLike = np.float32,
) -> AnyTensor:
    """Standard normal samples from ``rng`` (a ``Generator`` or a seed)."""
    gen = as_generator(rng)
    dt = _checked_dtype(dtype)
    return Tensor(gen.standard_normal(_concrete("randn", shape)).astype(dt))


def as_generator(rng: np.random.Generator | int) -> np.random.Generator:
    """A ``Generator`` from a ``Generator`` or an int seed ``>= 0``, else an error naming rng."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, bool | np.bool_) or not isinstance(rng, int | np.integer):
        raise TypeError(f"rng must be a numpy.random.Generator or an int seed, got {describe(rng)}")
    require_nonnegative(rng=rng)
    return np.random.default_rng(rng)


def _axes(axis: Any, allow_none: bool) -> Any:
    """``axis`` as plain ints: an int (or a tuple of ints, or ``None`` for all axes where a
    reduction allows it); ``TypeError`` naming ``axis`` for anything else (a bool, a float)."""
    if axis is None and allow_none:
        return None
    if isinstance(axis, tuple) and allow_none:
        require_int(**{f"axis[{i}]": a for i, a in enumerate(axis)})
        return tuple(int(a) for a in axis)
    require_int(axis=axis)
    return int(cast(int, axis))


def _ints(op: str, name: str, value: object) -> tuple[int, ...]:
    """A shape, sizes or axes as a tuple of ints; ``TypeError`` naming the argument otherwise."""
    if isinstance(value, Shape):
        return value.as_tuple()
    if not isinstance(value, tuple | list):
        raise TypeError(f'{op}: argument "{name}" must be a tuple of ints, got {describe(value)}')
    require_int(**{f"{name}[{i}]": d for i, d in enumerate(value)})
    return tuple(int(d) for d in value)


def _concrete(op: str, shape: Sequence[int] | Shape) -> tuple[int, ...]:
    dims = _ints(op, "shape", shape)
    require_nonnegative(**{f"shape[{i}]": d for i, d in enumerate(dims)})
    return dims


def matmul(left: AnyTensor, right: AnyTensor) -> AnyTensor:
    """Matrix product; ``[*B, N, K] @ [K, M] -> [*B, N, M]``, no batch broadcasting."""
    require_tensor("matmul", "left", left)
    require_tensor("matmul", "right", right)
    _rule(_rules.matmul(left.shape, right.shape))
    _same_kind("matmul", left, right)
    return Tensor._wrap(np.matmul(left._array, right._array))


def _elementwise(
    op: str, a: AnyTensor, b: AnyTensor, ufunc: np.ufunc, broadcast: bool
) -> AnyTensor:
    require_tensor(op, "a", a)
    require_tensor(op, "b", b)
    if broadcast:
        _rule(_rules.broadcast(op, a.shape, b.shape))
    else:
        _check(_rules.same_shape(op, a.shape, b.shape))
    _same_kind(op, a, b)
    return Tensor._wrap(ufunc(a._array, b._array))


def add(a: AnyTensor, b: AnyTensor, *, broadcast: bool = False) -> AnyTensor:
    """``a + b``; shapes equal unless ``broadcast=True`` asks for NumPy broadcasting."""
    return _elementwise("add", a, b, np.add, broadcast)


def sub(a: AnyTensor, b: AnyTensor, *, broadcast: bool = False) -> AnyTensor:
    """``a - b``; shapes equal unless ``broadcast=True``."""
    return _elementwise("sub", a, b, np.subtract, broadcast)


def mul(a: AnyTensor, b: AnyTensor, *, broadcast: bool = False) -> AnyTensor:
    """``a * b``; shapes equal unless ``broadcast=True``."""
    return _elementwise("mul", a, b, np.multiply, broadcast)


def div(a: AnyTensor, b: AnyTensor, *, broadcast: bool = False) -> AnyTensor:
    """``a / b``; shapes equal unless ``broadcast=True``."""
    return _elementwise("div", a, b, np.true_divide, broadcast)


def broadcast_to(x: AnyTensor, shape: Sequence[int] | Shape) -> AnyTensor:
    """``x`` repeated along dims of size 1 (or new leading dims) to exactly ``shape``."""
    require_tensor("broadcast_to", "x", x)
    target = Shape(_concrete("broadcast_to", shape))
    _check(_rules.broadcast_to(x.shape, target))
    return Tensor._wrap(np.broadcast_to(x._array, target.as_tuple()))


def concat(tensors: Sequence[AnyTensor], axis: int = -1) -> AnyTensor:
    """Join along ``axis``; every other dim must agree. ``[x; h]`` is ``concat([x, h])``."""
    tensors = require_tensors("concat", "tensors", tensors)
    axis = _axes(axis, allow_none=False)
    _rule(_rules.concat([t.shape for t in tensors], axis))
    for t in tensors[1:]:
        _same_kind("concat", tensors[0], t)
    return Tensor._wrap(np.concatenate([t._array for t in tensors], axis=axis))


def stack(tensors: Sequence[AnyTensor], axis: int = 0) -> AnyTensor:
    """Stack equal shapes along a new ``axis``."""
    tensors = require_tensors("stack", "tensors", tensors)
    axis = _axes(axis, allow_none=False)
    _rule(_rules.stack([t.shape for t in tensors], axis))
    for t in tensors[1:]:
        _same_kind("stack", tensors[0], t)
    return Tensor._wrap(np.stack([t._array for t in tensors], axis=axis))


def split(x: AnyTensor, sizes: Sequence[int], axis: int = -1) -> list[AnyTensor]:
    """Cut along ``axis`` into pieces of ``sizes`` (which must add up to that dim)."""
    require_tensor("split", "x", x)
    sizes, axis = _ints("split", "sizes", sizes), _axes(axis, allow_none=False)
    result = _rules.split(x.shape, sizes, axis)
    if isinstance(result, str):
        raise ShapeError(result)
    cuts = np.cumsum(sizes)[:-1]
    return [Tensor._wrap(a) for a in np.split(x._array, cuts, axis=axis)]


def transpose(x: AnyTensor, axis0: int = -2, axis1: int = -1) -> AnyTensor:
    """Swap two axes (the last two by default)."""
    require_tensor("transpose", "x", x)
    require_int(axis0=axis0, axis1=axis1)
    _rule(_rules.transpose(x.shape, axis0, axis1))
    return Tensor._wrap(np.swapaxes(x._array, axis0, axis1))


def permute(x: AnyTensor, axes: Sequence[int]) -> AnyTensor:
    """Reorder the axes: result axis ``i`` is input axis ``axes[i]``."""
    require_tensor("permute", "x", x)
    axes = _ints("permute", "axes", axes)
    _rule(_rules.permute(x.shape, axes))
    return Tensor._wrap(np.transpose(x._array, axes))


def reshape(x: AnyTensor, shape: Sequence[int]) -> AnyTensor:
    """Same elements in new dims; one dim may be -1; the sizes must agree."""
    require_tensor("reshape", "x", x)
    shape = _ints("reshape", "shape", shape)
    target = _rule(_rules.reshape(x.shape, shape))
    return Tensor._wrap(x._array.reshape(target.as_tuple()))


def take(x: AnyTensor, indices: AnyTensor, axis: int = 0) -> AnyTensor:
    """Gather along ``axis`` with an int64 index tensor; every index must be in bounds."""
    require_tensor("take", "x", x)
    require_tensor("take", "indices", indices)
    axis = _axes(axis, allow_none=False)
    if indices.dtype != np.int64:
        raise DTypeError(f"take: indices must be int64, got {indices.dtype}")
    _rule(_rules.take(x.shape, indices.shape, axis))
    n = x._array.shape[axis]
    ids = indices._array
    if ids.size and (ids.min() < -n or ids.max() >= n):
        bad = ids[(ids < -n) | (ids >= n)].flat[0]
        raise IndexBoundsError(
            f"take: index {bad} is out of bounds for axis {axis} of {x.shape} (size {n})"
        )
    return Tensor._wrap(np.take(x._array, ids, axis=axis))


def one_hot(ids: AnyTensor, num_classes: int, dtype: npt.DTypeLike = np.float32) -> AnyTensor:
    """``[*S]`` int ids -> ``[*S, num_classes]`` rows with a single 1; ids in ``[0, n)``."""
    require_tensor("one_hot", "ids", ids)
    if ids.dtype != np.int64:
        raise DTypeError(f"one_hot: ids must be int64, got {ids.dtype}")
    require_int(num_classes=num_classes)
    if num_classes <= 0:
        raise ShapeError(f"one_hot: num_classes must be positive, got {num_classes}")
    a = ids._array
    if a.size and (a.min() < 0 or a.max() >= num_classes):
        bad = a[(a < 0) | (a >= num_classes)].flat[0]
        raise IndexBoundsError(f"one_hot: id {bad} is outside [0, {num_classes})")
    return Tensor._wrap(np.eye(num_classes, dtype=_checked_dtype(dtype))[a])


def _empty_axis(x: AnyTensor, axis: int | tuple[int, ...] | None) -> bool:
    axes = range(x.rank) if axis is None else (axis,) if isinstance(axis, int) else axis
    return any(x._array.shape[a] == 0 for a in axes)


def _reduce(
    op: str, x: AnyTensor, axis: int | tuple[int, ...] | None, keepdims: bool, fn: Any
) -> AnyTensor:
    require_tensor(op, "x", x)
    axis = _axes(axis, allow_none=True)
    _rule(_rules.reduce(op, x.shape, axis, keepdims))
    if op == "max" and _empty_axis(x, axis):
        raise ShapeError(f"{op}: cannot reduce over an empty axis of {x.shape}")
    return Tensor._wrap(np.asarray(fn(x._array, axis=axis, keepdims=keepdims)))


def sum_(
    x: AnyTensor, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
) -> AnyTensor:
    """Sum over ``axis`` (all if ``None``)."""
    return _reduce("sum", x, axis, keepdims, np.sum)


def mean(
    x: AnyTensor, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
) -> AnyTensor:
    """Mean over ``axis`` (all if ``None``); the reduced dims must be non-empty."""
    require_tensor("mean", "x", x)
    axis = _axes(axis, allow_none=True)
    _require_float("mean", x)
    _rule(_rules.reduce("mean", x.shape, axis, keepdims))
    if _empty_axis(x, axis):
        raise ShapeError(f"mean: cannot average over an empty axis of {x.shape}")
    return Tensor._wrap(np.asarray(np.mean(x._array, axis=axis, keepdims=keepdims)))


def max_(
    x: AnyTensor, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
) -> AnyTensor:
    """Maximum over ``axis`` (all if ``None``)."""
    return _reduce("max", x, axis, keepdims, np.max)


def argmax(x: AnyTensor, axis: int = -1) -> AnyTensor:
    """Index of the maximum along ``axis``, as int64; that axis is removed."""
    require_tensor("argmax", "x", x)
    axis = _axes(axis, allow_none=False)
    _rule(_rules.reduce("argmax", x.shape, axis, False))
    if x._array.shape[axis] == 0:
        raise ShapeError(f"argmax: axis {axis} of {x.shape} is empty")
    return Tensor._wrap(np.argmax(x._array, axis=axis).astype(np.int64))


def _unary(op: str, x: Tensor[*Dims], fn: Any) -> Tensor[*Dims]:
    require_tensor(op, "x", x)
    _require_float(op, x)
    return Tensor(np.asarray(fn(x._array)))


def exp(x: Tensor[*Dims]) -> Tensor[*Dims]:
    """Elementwise ``e**x``."""
    return _unary("exp", x, np.exp)


def log(x: Tensor[*Dims]) -> Tensor[*Dims]:
    """Elementwise natural log."""
    return _unary("log", x, np.log)


def tanh(x: Tensor[*Dims]) -> Tensor[*Dims]:
    """Elementwise ``tanh``."""
    return _unary("tanh", x, np.tanh)


def sigmoid(x: Tensor[*Dims]) -> Tensor[*Dims]:
    """Elementwise logistic function."""
    return _unary("sigmoid", x, functional.sigmoid)


def relu(x: Tensor[*Dims]) -> Tensor[*Dims]:
    """Elementwise ``max(x, 0)``."""
    return _unary("relu", x, functional.relu)


def _axis_op(op: str, x: Tensor[*Dims], axis: int, fn: Any) -> Tensor[*Dims]:
    require_tensor(op, "x", x)
    axis = _axes(axis, allow_none=False)
    _require_float(op, x)
    x.shape.axis(axis, op)
    if x._array.shape[axis] == 0:
        raise ShapeError(f"{op}: axis {axis} of {x.shape} is empty")
    return Tensor(fn(x._array, axis=axis))


def softmax(x: Tensor[*Dims], axis: int = -1) -> Tensor[*Dims]:
    """Stable softmax along ``axis``; the shape is unchanged."""
    return _axis_op("softmax", x, axis, functional.softmax)


def log_softmax(x: Tensor[*Dims], axis: int = -1) -> Tensor[*Dims]:
    """Stable log-softmax along ``axis``; the shape is unchanged."""
    return _axis_op("log_softmax", x, axis, functional.log_softmax)


def logsumexp(x: AnyTensor, axis: int = -1) -> AnyTensor:
    """Stable ``log(sum(exp(x)))`` along ``axis``, which is removed."""
    require_tensor("logsumexp", "x", x)
    axis = _axes(axis, allow_none=False)
    _require_float("logsumexp", x)
    _rule(_rules.reduce("logsumexp", x.shape, axis, False))
    if x._array.shape[axis] == 0:
        raise ShapeError(f"logsumexp: axis {axis} of {x.shape} is empty")
    return Tensor._wrap(np.asarray(functional.logsumexp(x._array, axis=axis)))
