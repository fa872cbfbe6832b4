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
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

if TYPE_CHECKING:
    # Type checkers need not read beartype (hundreds of modules in every user's mypy run).
    def beartype(fn: Callable[..., Any], /) -> Callable[..., Any]: ...

    BeartypeDecorHintException: type[Exception]
else:
    from beartype import beartype
    from beartype.roar import BeartypeDecorHintException

from shapely_nn._dims import Dim, DimLike, evaluate, format_dim, solve
from shapely_nn._shape import ShapeError
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
    if not isinstance(enabled, bool):
        # bool("no") is True: a switch must not read a word as "on"
        raise TypeError(f"set_checks: enabled must be True or False, got {enabled!r}")
    _enabled = enabled


# ---- annotation specs ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Variadic:
    """A ``*Batch`` run of dims in a spec; ``name`` is ``None`` for ``*tuple[int, ...]``."""

    name: str | None


SpecDim = DimLike | Wildcard | Variadic


_LITERAL, _ATOM, _COMPOUND = 0, 1, 2


@dataclass(frozen=True, slots=True)
class TensorSpec:
    """The dims a ``Tensor[...]`` annotation asks for, read once at decoration time.

    ``items`` lists the fixed dims as ``(axis, kind, dim)`` with a negative axis for dims
    after a variadic run, so a call only indexes the shape tuple.
    """

    dims: tuple[SpecDim, ...]
    text: str
    variadic_at: int | None
    items: tuple[tuple[int, int, Any], ...]

    @classmethod
    def of(cls, dims: tuple[SpecDim, ...], text: str) -> TensorSpec:
        """Precompile the per-axis checks."""
        at = next((i for i, d in enumerate(dims) if isinstance(d, Variadic)), None)
        tail = 0 if at is None else len(dims) - at - 1
        items: list[tuple[int, int, Any]] = []
        for i, d in enumerate(dims):
            if isinstance(d, Wildcard | Variadic):
                continue
            axis = i if at is None or i < at else i - len(dims)
            if isinstance(d, int):
                items.append((axis, _LITERAL, d))
            elif d.atom is not None:
                items.append((axis, _ATOM, d.atom))
            else:
                items.append((axis, _COMPOUND, d))
        assert tail >= 0
        return cls(dims, text, at, tuple(items))


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
    return TensorSpec.of(tuple(dims), text)


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

    __slots__ = ("bindings", "origins", "pending", "variadics", "where")

    def __init__(self, where: str) -> None:
        self.bindings: dict[str, int] = {}
        self.origins: dict[str, tuple[str, int]] = {}
        self.variadics: dict[str, tuple[tuple[int, ...], str]] = {}
        self.pending: list[tuple[Dim, int, int, str, tuple[int, ...], TensorSpec]] = []
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
            self.match(tree, value._array.shape, subject)
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
        rank = len(shape)
        at = spec.variadic_at
        if at is None:
            if rank != len(spec.dims):
                self.fail(subject, shape, spec, f"expected rank {len(spec.dims)}, got rank {rank}")
        else:
            fixed = len(spec.dims) - 1
            if rank < fixed:
                self.fail(subject, shape, spec, f"expected rank >= {fixed}, got rank {rank}")
            self._match_run(spec, shape, subject, at, rank - (fixed - at))
        bindings = self.bindings
        for axis, kind, d in spec.items:
            size = shape[axis]
            if kind == _LITERAL:
                if size != d:
                    self.fail(subject, shape, spec, f"axis {axis % rank}: expected {d}, got {size}")
            elif kind == _ATOM:
                bound = bindings.get(d)
                if bound is None:
                    bindings[d] = size
                    self.origins[d] = (subject, axis % rank)
                elif bound != size:
                    origin, origin_axis = self.origins[d]
                    self.fail(
                        subject,
                        shape,
                        spec,
                        f"axis {axis % rank}: {d} is {bound} (from {origin} axis {origin_axis}), "
                        f"got {size}",
                    )
            else:
                self.pending.append((d, size, axis % rank, subject, shape, spec))
        if self.pending:
            self.settle()

    def _match_run(
        self, spec: TensorSpec, shape: tuple[int, ...], subject: str, start: int, stop: int
    ) -> None:
        var = spec.dims[start]
        assert isinstance(var, Variadic)
        if var.name is None:
            return
        run = shape[start:stop]
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

    def settle(self) -> None:
        """Check the sums and products whose atoms are now known (or solvable)."""
        progress = True
        while self.pending and progress:
            progress = False
            for item in list(self.pending):
                d, size, axis, subject, shape, spec = item
                value = evaluate(d, self.bindings)
                if value is None:
                    solved = solve(d, size, self.bindings)
                    if solved is None:
                        continue  # more than one unknown: wait for another argument
                    if isinstance(solved, str):
                        self.fail(subject, shape, spec, f"axis {axis}: {solved}")
                    else:
                        self.bindings[solved[0]] = solved[1]
                        self.origins[solved[0]] = (subject, axis)
                elif value != size:
                    self.fail(
                        subject,
                        shape,
                        spec,
                        f"axis {axis}: expected {format_dim(d)} = {value}, got {size}",
                    )
                self.pending.remove(item)
                progress = True


def _fmt(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


# ---- the decorator ------------------------------------------------------------------------


def _uses_jaxtyping(hints: dict[str, Any]) -> bool:
    return any("jaxtyping" in repr(h) for h in hints.values())


def _beartype_or_plain(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``beartype(fn)``, or ``fn`` when beartype cannot read an ordinary hint of it.

    beartype refuses e.g. ``typing.Self`` on a method of a class it did not decorate; the
    shape checks do not depend on it, so they still run, and only that hint goes unchecked.
    """
    try:
        return beartype(fn)
    except BeartypeDecorHintException:
        return fn


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
        params: list[tuple[int | None, str, Check]] = []
        for index, (name, param) in enumerate(inspect.signature(fn).parameters.items()):
            tree = _check_tree(hints.get(name))
            if tree is None or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            positional = param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD)
            params.append((index if positional else None, name, tree))
        returns = _check_tree(hints.get("return"))
        # A bare Tensor[...] hint is checked in full by the binder (isinstance included);
        # beartype is only worth its per-call cost when some other hint remains.
        covered = {name for _, name, tree in params if isinstance(tree, TensorSpec)}
        if isinstance(returns, TensorSpec):
            covered.add("return")
        checked: Callable[..., Any] = fn
        if _uses_jaxtyping(hints):
            from jaxtyping import jaxtyped

            checked = jaxtyped(typechecker=beartype)(fn)
        elif set(hints) - covered:
            checked = _beartype_or_plain(fn)
        name = fn.__qualname__.rsplit("<locals>.", 1)[-1]
        return cls(checked, tuple(params), returns, f"{name}()")

    def call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        binder = _Binder(self.where)
        for index, name, tree in self.params:
            if index is not None and index < len(args):
                binder.check(tree, args[index], f'argument "{name}"')
            elif name in kwargs:
                binder.check(tree, kwargs[name], f'argument "{name}"')
        result = self.checked(*args, **kwargs)
        if self.returns is not None:
            binder.check(self.returns, result, "return value")
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
