"""Runtime checks of ``Tensor[...]`` annotations: ``@shapechecked`` and the on/off switch.

beartype checks the ordinary types and the guards (``Annotated[int, Is[...]]``); it treats a
generic's parameters as opaque, so the one thing done here is the dim binding: each symbolic
dim (a TypeVar, a ``*Batch`` TypeVarTuple) is bound once per call, across every argument and
the return value, and ``Add``/``Mul`` dims are evaluated in the shared normal form. The
binding lives in a local of the wrapper, so nested calls and threads each have their own.
"""

from __future__ import annotations

import functools
import inspect
import os
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from beartype import beartype

from shapely_nn._dims import Dim, DimLike, evaluate, format_dim
from shapely_nn._shape import DimEnv, ShapeError
from shapely_nn._tensor import Tensor
from shapely_nn._typelevel import AnnotationError, Wildcard, annotation_dim

P = ParamSpec("P")
R = TypeVar("R")

_ENV_VAR = "SHAPELY_NN_CHECKS"
_enabled = os.environ.get(_ENV_VAR, "1").strip().lower() not in ("0", "false", "off", "no")


def checks_enabled() -> bool:
    """Whether runtime annotation checks are on (``SHAPELY_NN_CHECKS=0`` turns them off)."""
    return _enabled


def set_checks(enabled: bool) -> None:
    """Turn runtime annotation checks on or off for functions decorated from now on.

    The switch is read at decoration (and import-hook) time: a function decorated while the
    checks are off is returned undecorated and costs nothing per call.
    """
    global _enabled
    _enabled = bool(enabled)


# ---- annotation specs ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Variadic:
    """A ``*Batch`` run of dims in a spec; ``name`` is ``None`` for ``*tuple[int, ...]``."""

    name: str | None


SpecDim = DimLike | Wildcard | Variadic


@dataclass(frozen=True, slots=True)
class TensorSpec:
    """The dims a ``Tensor[...]`` annotation asks for, read once at decoration time."""

    dims: tuple[SpecDim, ...]
    text: str

    @property
    def variadic_at(self) -> int | None:
        """Index of the variadic run, if any."""
        for i, d in enumerate(self.dims):
            if isinstance(d, Variadic):
                return i
        return None


# A check tree: a TensorSpec, a tuple of check trees (for tuple[...]), or an optional one.
@dataclass(frozen=True, slots=True)
class TupleSpec:
    """``tuple[A, B, ...]`` of which some items hold tensors."""

    items: tuple[Check | None, ...]


@dataclass(frozen=True, slots=True)
class OptionalSpec:
    """``X | None``: checked when the value is not ``None``."""

    inner: Check


Check = TensorSpec | TupleSpec | OptionalSpec


def _variadic(arg: Any) -> Variadic | None:
    if typing.get_origin(arg) is typing.Unpack:
        (inner,) = typing.get_args(arg)
        if isinstance(inner, typing.TypeVarTuple):
            return Variadic(inner.__name__)
        if typing.get_origin(inner) is tuple:
            return Variadic(None)
        raise AnnotationError(f"cannot read the unpacked dims {arg!r}")
    if isinstance(arg, typing.TypeVarTuple):
        return Variadic(arg.__name__)
    return None


def tensor_spec(annotation: Any) -> TensorSpec:
    """Read ``Tensor[...]`` into a ``TensorSpec``; ``AnnotationError`` if it is malformed."""
    args = typing.get_args(annotation)
    if args == ((),):
        args = ()
    dims: list[SpecDim] = []
    for arg in args:
        var = _variadic(arg)
        dims.append(var if var is not None else annotation_dim(arg))
    if sum(isinstance(d, Variadic) for d in dims) > 1:
        raise AnnotationError(f"{annotation!r} has more than one variadic run of dims")
    text = "Tensor[" + ", ".join(_spec_text(d) for d in dims) + "]"
    return TensorSpec(tuple(dims), text)


def _spec_text(d: SpecDim) -> str:
    if isinstance(d, Variadic):
        return f"*{d.name or 'tuple[int, ...]'}"
    if isinstance(d, Wildcard):
        return "int"
    return format_dim(d)


def _check_tree(annotation: Any) -> Check | None:
    origin = typing.get_origin(annotation)
    if annotation is Tensor:
        return None
    if origin is Tensor:
        return tensor_spec(annotation)
    if origin is typing.Annotated:
        return _check_tree(typing.get_args(annotation)[0])
    if origin is tuple:
        args = typing.get_args(annotation)
        if not args or (len(args) == 2 and args[1] is Ellipsis):
            return None
        items = tuple(_check_tree(a) for a in args)
        return TupleSpec(items) if any(i is not None for i in items) else None
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1 and len(typing.get_args(annotation)) == 2:
            inner = _check_tree(members[0])
            return OptionalSpec(inner) if inner is not None else None
    return None


# ---- binding ------------------------------------------------------------------------------


class _Binder:
    """One call's dim bindings: plain dims first, sums and products once their atoms are known."""

    __slots__ = ("env", "pending", "variadics", "where")

    def __init__(self, where: str) -> None:
        self.env = DimEnv()
        self.variadics: dict[str, tuple[tuple[int, ...], str]] = {}
        self.pending: list[tuple[DimLike, int, str, str]] = []
        self.where = where

    def fail(self, subject: str, shape: tuple[int, ...], spec: TensorSpec, reason: str) -> None:
        raise ShapeError(
            f"{self.where}: {subject} has shape {_fmt(shape)}, expected {spec.text}: {reason}"
        )

    def check(self, tree: Check, value: Any, subject: str) -> None:
        if isinstance(tree, TensorSpec):
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"{self.where}: {subject} should be a {tree.text}, got {type(value).__name__}"
                )
            self.match(tree, value.numpy().shape, subject)
        elif isinstance(tree, OptionalSpec):
            if value is not None:
                self.check(tree.inner, value, subject)
        else:
            if not isinstance(value, tuple) or len(value) != len(tree.items):
                return  # beartype reports the wrong container; nothing of ours to bind
            for i, (item, v) in enumerate(zip(tree.items, value, strict=True)):
                if item is not None:
                    self.check(item, v, f"{subject}[{i}]")

    def match(self, spec: TensorSpec, shape: tuple[int, ...], subject: str) -> None:
        dims = spec.dims
        at = spec.variadic_at
        rank = len(shape)
        if at is None:
            if rank != len(dims):
                self.fail(subject, shape, spec, f"expected rank {len(dims)}, got rank {rank}")
            pairs = list(enumerate(zip(dims, shape, strict=True)))
        else:
            fixed = len(dims) - 1
            if rank < fixed:
                self.fail(subject, shape, spec, f"expected rank >= {fixed}, got rank {rank}")
            tail = len(dims) - at - 1
            run = shape[at : rank - tail]
            var = dims[at]
            assert isinstance(var, Variadic)
            if var.name is not None:
                seen = self.variadics.get(var.name)
                if seen is None:
                    self.variadics[var.name] = (run, subject)
                elif seen[0] != run:
                    self.fail(
                        subject,
                        shape,
                        spec,
                        f"*{var.name} is {_fmt(seen[0])} (from {seen[1]}), got {_fmt(run)}",
                    )
            pairs = [(i, (dims[i], shape[i])) for i in range(at)]
            pairs += [
                (rank - tail + j, (dims[at + 1 + j], shape[rank - tail + j])) for j in range(tail)
            ]
        for axis, (d, size) in pairs:
            if isinstance(d, Wildcard | Variadic):
                continue
            where = f"{subject} axis {axis}"
            if isinstance(d, Dim) and d.atom is None and evaluate(d, self.env.bindings) is None:
                self.pending.append((d, size, where, spec.text))
                continue
            reason = self.env.bind(d, size, where)
            if reason is not None:
                self.fail(subject, shape, spec, f"axis {axis}: {reason}")

    def settle(self) -> None:
        """Check the deferred sums and products now that the plain dims are bound."""
        progress = True
        while self.pending and progress:
            progress = False
            for item in list(self.pending):
                d, size, where, text = item
                if evaluate(d, self.env.bindings) is None and not _solvable(d, self.env):
                    continue
                self.pending.remove(item)
                progress = True
                reason = self.env.bind(d, size, where)
                if reason is not None:
                    raise ShapeError(f"{self.where}: {where} (expected {text}): {reason}")


def _solvable(d: DimLike, env: DimEnv) -> bool:
    return isinstance(d, Dim) and sum(n not in env for n in d.names) == 1


def _fmt(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


# ---- the decorator ------------------------------------------------------------------------


def _uses_jaxtyping(hints: dict[str, Any]) -> bool:
    return any("jaxtyping" in repr(h) for h in hints.values())


@dataclass(frozen=True, slots=True)
class _Plan:
    """What to check for one function, read from its annotations once."""

    checked: Callable[..., Any]
    params: tuple[tuple[int | None, str, Check], ...]
    returns: Check | None
    where: str

    @classmethod
    def build(cls, fn: Callable[..., Any]) -> _Plan:
        hints = typing.get_type_hints(fn, include_extras=True)
        checked: Callable[..., Any] = beartype(fn)
        if _uses_jaxtyping(hints):
            from jaxtyping import jaxtyped

            checked = jaxtyped(typechecker=beartype)(fn)
        params: list[tuple[int | None, str, Check]] = []
        for index, (name, param) in enumerate(inspect.signature(fn).parameters.items()):
            tree = _check_tree(hints.get(name))
            if tree is None or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            positional = param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD)
            params.append((index if positional else None, name, tree))
        returns = _check_tree(hints.get("return"))
        return cls(checked, tuple(params), returns, f"{fn.__qualname__}()")

    def call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        binder = _Binder(self.where)
        for index, name, tree in self.params:
            if index is not None and index < len(args):
                binder.check(tree, args[index], f'argument "{name}"')
            elif name in kwargs:
                binder.check(tree, kwargs[name], f'argument "{name}"')
        binder.settle()
        result = self.checked(*args, **kwargs)
        if self.returns is not None:
            binder.check(self.returns, result, "return value")
            binder.settle()
        return result


def shapechecked(fn: Callable[P, R]) -> Callable[P, R]:
    """Check ``Tensor[...]`` annotations at each call, one binding of each dim per call.

    Ordinary annotations and guards are checked by beartype; raw-array jaxtyping
    annotations (``Float[np.ndarray, "b 64"]``) by jaxtyping. With the checks switched off
    the function comes back untouched. A malformed ``Tensor[...]`` raises
    ``AnnotationError`` here, at decoration time.
    """
    if not _enabled:
        return fn
    plan: _Plan | None
    try:
        plan = _Plan.build(fn)
    except NameError:
        plan = None  # a forward reference defined later in the module: resolve at first call
    if plan is not None and not plan.params and plan.returns is None:
        return typing.cast(Callable[P, R], plan.checked)
    holder = [plan]

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        current = holder[0]
        if current is None:
            current = holder[0] = _Plan.build(fn)
        return typing.cast(R, current.call(args, kwargs))

    wrapper.__shapechecked__ = True  # type: ignore[attr-defined]
    return wrapper
