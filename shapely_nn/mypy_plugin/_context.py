"""Returns and assignments of a tensor whose shape is not the declared one.

mypy infers an expression with the declared type as its *type context*: the function's
return type for ``return e``, the variable's type for ``y: Tensor[B, L[5]] = e``. When our
hooks compute a tensor type for ``e`` (a call, an operator, an op, ``x.T``), this module
compares it with that context, reports a mismatch under the ``shape`` code naming the dim,
and answers the declared type so mypy does not report the same line again as
``[return-value]``/``[assignment]``. A plain name (``return x``) has no hook: ``_plain``
turns mypy's own message for it into the same ``[shape]`` message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mypy.plugin import AttributeContext, FunctionContext, MethodContext
from mypy.types import Instance, Type, get_proper_type

from shapely_nn.mypy_plugin._calls import SHAPE
from shapely_nn.mypy_plugin._report import reported_at
from shapely_nn.mypy_plugin._shapes import (
    NDARRAY,
    Fixed,
    Shape,
    Star,
    is_shaped,
    kind_of,
    shape_of,
    show_dim,
    show_tensor,
)
from shapely_nn.mypy_plugin._unify import Unifier, position

Ctx = FunctionContext | MethodContext | AttributeContext


def _expected(api: Any) -> Type | None:
    checker = getattr(api, "expr_checker", None)
    stack = getattr(checker, "type_context", None)
    return stack[-1] if stack else None


def _is_return(api: Any, expected: Type) -> bool:
    returns: list[Type] = getattr(api, "return_types", None) or []
    return bool(returns) and returns[-1] is expected


def check_context(ctx: Ctx, result: Type) -> Type:
    """``result``, or the declared type after reporting that ``result`` does not fit it."""
    got = get_proper_type(result)
    if reported_at(ctx.api, ctx.context.line):
        expected = _expected(ctx.api)
        want = get_proper_type(expected) if expected is not None else None
        if expected is not None and isinstance(want, Instance) and is_shaped(want):
            return expected
        return result
    if not (isinstance(got, Instance) and is_shaped(got)):
        return result
    expected = _expected(ctx.api)
    want = get_proper_type(expected) if expected is not None else None
    if not (isinstance(want, Instance) and is_shaped(want)) or expected is None:
        return result
    if want.type.fullname != got.type.fullname:
        return result
    kind = kind_of(want)
    atoms: dict[str, Type] = {}
    declared = shape_of(want, atoms, formal=False)
    actual = shape_of(got, atoms, formal=False)
    what = "Return value" if _is_return(ctx.api, expected) else "Assigned value"
    if any(isinstance(i, Star) and i.name is None for i in declared):
        # A context that tracks nothing (an erased argument, ``Tensor[*tuple[Any, ...]]``).
        return result
    if any(isinstance(i, Star) and i.name is None for i in actual):
        reason = _gradual_disagreement(declared, actual, lenient=kind == "ndarray")
        if reason is None:
            # Dims nobody tracks (``*tuple[Any, ...]``) fit anything: answer the declared
            # shape, so every mypy release agrees (older ones refuse the unpacked Any).
            return _declared_shape(got, want, expected)
    else:
        reason = _disagreement(declared, actual, atoms, lenient=kind == "ndarray")
        if reason is None:
            if kind == "ndarray" or any(isinstance(i, Fixed) and i.dim is None for i in actual):
                # An ``int`` dim (NumPy's own results) is a dim nobody knows, and a jaxtyping
                # name may stand for a literal size: either fits the declared shape.
                return _declared_shape(got, want, expected)
            return result
    message = f"{what} {show_tensor(actual, kind)} does not match the declared "
    message += f"{show_tensor(declared, kind)}: {reason}"
    ctx.api.fail(message, ctx.context, code=SHAPE)
    return expected


def _declared_shape(got: Instance, want: Instance, expected: Type) -> Type:
    """The value's type with the declared shape (an array keeps its own dtype)."""
    if got.type.fullname == NDARRAY and got.args and want.args:
        return got.copy_modified(args=[want.args[0], *got.args[1:]])
    return expected


def _disagreement(
    declared: Shape, actual: Shape, atoms: dict[str, Type], lenient: bool = False
) -> str | None:
    """Where the two shapes differ: the rank, or the first dim (position, got, expected)."""
    ds = [i for i, it in enumerate(declared) if isinstance(it, Star)]
    as_ = [i for i, it in enumerate(actual) if isinstance(it, Star)]
    if not ds and not as_:
        if len(declared) != len(actual):
            return f"rank {len(actual)}, expected rank {len(declared)}"
        return _first_difference(declared, actual, 0, lenient)
    same_star = len(ds) == len(as_) == 1 and declared[ds[0]] == actual[as_[0]]
    if same_star and ds[0] == as_[0] and len(declared) == len(actual):
        head = _first_difference(declared[: ds[0]], actual[: as_[0]], 0, lenient)
        tail_len = len(declared) - ds[0] - 1
        tail = declared[ds[0] + 1 :], actual[as_[0] + 1 :]
        return head or _first_difference(*tail, -tail_len, lenient)
    reason = Unifier(atoms=atoms, kind="ndarray" if lenient else "Tensor").shape(
        declared, actual, "it", ""
    )
    return None if reason is None else "the dims differ"


def _gradual_disagreement(declared: Shape, actual: Shape, lenient: bool = False) -> str | None:
    """Where a shape with untracked dims (``...``) differs from the declared one in the dims
    both know."""
    star = next(k for k, it in enumerate(actual) if isinstance(it, Star))
    head, tail = actual[:star], actual[star + 1 :]
    if any(isinstance(i, Star) for i in tail):
        return None
    fixed = [i for i in declared if not isinstance(i, Star)]
    if len(fixed) == len(declared) and len(declared) < len(head) + len(tail):
        return f"rank at least {len(head) + len(tail)}, expected rank {len(declared)}"
    stars = [k for k, it in enumerate(declared) if isinstance(it, Star)]
    d_head = declared[: min(len(head), stars[0] if stars else len(declared))]
    d_tail_start = max(len(declared) - len(tail), stars[-1] + 1 if stars else 0)
    d_tail = declared[d_tail_start:]
    return _first_difference(d_head, head[: len(d_head)], 0, lenient) or _first_difference(
        d_tail, tail[len(tail) - len(d_tail) :], -len(d_tail), lenient
    )


def _first_difference(
    declared: Shape, actual: Shape, start: int, lenient: bool = False
) -> str | None:
    for k, (d, a) in enumerate(zip(declared, actual, strict=True)):
        known = isinstance(d, Fixed) and isinstance(a, Fixed) and None not in (d.dim, a.dim)
        if known and isinstance(d, Fixed) and isinstance(a, Fixed) and d.dim != a.dim:
            if lenient and isinstance(d.dim, int) != isinstance(a.dim, int):
                continue  # a jaxtyping name may stand for this literal size at run time
            where = position(start + k, from_end=start < 0)
            return f"{where} is {show_dim(a.dim)}, expected {show_dim(d.dim)}"
    return None


def against_context(hook: Callable[[Any], Type]) -> Callable[[Any], Type]:
    """``hook``, then its answer compared with the declared type it is returned or assigned to."""

    def checked(ctx: Any) -> Type:
        return check_context(ctx, hook(ctx))

    return checked
