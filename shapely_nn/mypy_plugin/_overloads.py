"""One overload item per call where every item would answer alike.

NumPy's operators and reductions are overloaded on the dtype (``ndarray.__sub__`` has 18
items). On an array with dims and no known dtype the plugin gives every item the same loose
signature (``Any`` in, ``Any`` out; the rule computes the result), so mypy would check the call
against each of them in turn, calling the plugin's hook each time, to reach the answer the first
one gives. ``narrowed`` keeps the first item whose argument count fits the call and makes the
later ones require a keyword no call passes, so that mypy's cheap count check
(``plausible_overload_call_targets``) drops them before any type is inferred.

The answer cannot change: the kept item takes any argument types, so it matches whenever a
dropped one would have, and every loose item gives the same result. An item is kept on a
strict reading of the count (any doubt, such as a ``*args`` in the call, keeps every item), so
the one kept is never refused for its count where a later one would be accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mypy.nodes import (
    ARG_NAMED,
    ARG_OPT,
    ARG_POS,
    ARG_STAR,
    ARG_STAR2,
    CallExpr,
    ComparisonExpr,
    Context,
    Decorator,
    Expression,
    IndexExpr,
    OpExpr,
    OverloadedFuncDef,
)
from mypy.plugin import MethodSigContext
from mypy.types import AnyType, CallableType, TypeOfAny

from shapely_nn.mypy_plugin._memo import ByIdentity

_ANY = AnyType(TypeOfAny.special_form)
# A keyword-only parameter no call passes: an item that requires it never fits a call.
UNMATCHED = "__shapely_nn_later_overload_item__"


def narrowed(ctx: MethodSigContext, loosen: Callable[[CallableType], CallableType]) -> CallableType:
    """The item loosened if it is the first to fit the call; after that one, an item no call
    fits."""
    sig = ctx.default_signature
    index = _item_index(sig)
    if index is None:
        return loosen(sig)
    key = (id(ctx.context), sig.name)
    seen = _PASSES.get(key)
    # mypy hands the items of one call over in their order, with one receiver type object,
    # once per check of the call: an item at or before the last one seen starts another check.
    if (
        seen is None
        or seen.context is not ctx.context
        or seen.receiver is not ctx.type
        or index <= seen.index
    ):
        call = _call_args(ctx.context)
        if call is None:
            return loosen(sig)
        if len(_PASSES) > 4096:
            _PASSES.clear()
        seen = _PASSES[key] = _Pass(ctx.context, ctx.type, call, index)
    seen.index = index
    if seen.kept:
        return _never(sig, loosen)
    loose = loosen(sig)
    seen.kept = _fits(ctx.args, loose, seen.call)
    return loose


@dataclass
class _Pass:
    """One check of a call: its arguments, the last item index handed over, and whether an
    item was kept."""

    context: Context
    receiver: object
    call: tuple[dict[int, str | None], int]
    index: int
    kept: bool = False


# Per call expression and method name (``a - b`` may try ``__sub__``, then ``__rsub__``).
_PASSES: dict[tuple[int, str | None], _Pass] = {}
# An overload item's definition -> its position among the overload's items.
_INDEX: ByIdentity[int] = ByIdentity(4096)


def _item_index(sig: CallableType) -> int | None:
    """Where ``sig``'s definition stands among its overload's items (None: not an item)."""
    item = sig.definition
    if not isinstance(item, Decorator):
        return None
    hit = _INDEX.get(item)
    if hit is not None:
        return hit
    info = item.func.info
    overload = info.names.get(item.name) if info is not None else None
    node = overload.node if overload is not None else None
    if not isinstance(node, OverloadedFuncDef):
        return None
    for k, candidate in enumerate(node.items):
        if candidate is item:
            return _INDEX.put(item, k)
    return None


def _call_args(context: Context) -> tuple[dict[int, str | None], int] | None:
    """The expressions the call may pass the method, by id, with the keyword each is given by
    (None: positional), and how many it passes; None where that is not known for sure."""
    if isinstance(context, CallExpr):
        if any(kind not in (ARG_POS, ARG_NAMED) for kind in context.arg_kinds):
            return None
        names = dict(zip(map(id, context.args), context.arg_names, strict=True))
        return names, len(context.args)
    # An operator passes one operand to the other's method (``__sub__`` or ``__rsub__``).
    if isinstance(context, OpExpr):
        return {id(context.left): None, id(context.right): None}, 1
    if isinstance(context, ComparisonExpr):
        return dict.fromkeys(map(id, context.operands)), 1
    if isinstance(context, IndexExpr):
        return {id(context.index): None}, 1
    return None


def _fits(
    args: list[list[Expression]], sig: CallableType, call: tuple[dict[int, str | None], int]
) -> bool:
    """Whether mypy's count check accepts the call for ``sig`` (strictly: no doubt left)."""
    actuals, count = call
    if len(args) != len(sig.arg_kinds) or sum(map(len, args)) != count:
        return False
    for kind, name, given in zip(sig.arg_kinds, sig.arg_names, args, strict=True):
        if kind in (ARG_POS, ARG_NAMED) and not given:
            return False
        if kind not in (ARG_STAR, ARG_STAR2) and len(given) > 1:
            return False
        for arg in given:
            if id(arg) not in actuals:
                return False
            keyword = actuals[id(arg)]
            if keyword is None and kind not in (ARG_POS, ARG_OPT, ARG_STAR):
                return False
            if keyword is not None and kind != ARG_STAR2 and keyword != name:
                return False
            # ``**kwargs: Unpack[TypedDict]`` takes only the TypedDict's keys.
            if keyword is not None and kind == ARG_STAR2 and sig.unpack_kwargs:
                return False
    return True


def _never(sig: CallableType, loosen: Callable[[CallableType], CallableType]) -> CallableType:
    """The item with a required keyword-only parameter that no call passes (one per item:
    mypy drops it on the count alone, so neither its receiver nor its types are ever read)."""
    hit = _NEVER.get(sig.definition)
    if hit is not None:
        return hit
    loose = loosen(sig)
    # Keyword-only parameters go before ``**kwargs``, if there is one.
    kinds = loose.arg_kinds
    at = kinds.index(ARG_STAR2) if ARG_STAR2 in kinds else len(kinds)
    never = loose.copy_modified(
        arg_types=[*loose.arg_types[:at], _ANY, *loose.arg_types[at:]],
        arg_kinds=[*kinds[:at], ARG_NAMED, *kinds[at:]],
        arg_names=[*loose.arg_names[:at], UNMATCHED, *loose.arg_names[at:]],
    )
    return _NEVER.put(sig.definition, never)


_NEVER: ByIdentity[CallableType] = ByIdentity(4096)
