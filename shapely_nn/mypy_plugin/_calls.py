"""Calls whose signature carries shapes: two phases per call.

Phase 1 (signature hook) hands mypy a copy of the signature with every shape erased, so mypy
neither reports ``Cannot infer type parameter`` nor silently widens a dim. Phase 2 (function
or method hook) unifies the declared signature with the actual argument types strictly,
reports a mismatch under the ``shape`` code, and writes the result type from the bindings.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import ARG_STAR, ARG_STAR2, Context, Decorator, FuncDef, OverloadedFuncDef
from mypy.plugin import FunctionContext, FunctionSigContext, MethodContext, MethodSigContext
from mypy.subtypes import is_same_type
from mypy.types import (
    AnyType,
    CallableType,
    FunctionLike,
    Instance,
    ProperType,
    TupleType,
    Type,
    TypeOfAny,
    TypeVarTupleType,
    TypeVarType,
    UnionType,
    UnpackType,
    get_proper_type,
)

from shapely_nn.mypy_plugin._compose import composition_reason, keep_leading
from shapely_nn.mypy_plugin._report import SHAPE as SHAPE, fail_past_overload_trials
from shapely_nn.mypy_plugin._shapes import (
    ARITH,
    MAX_DEPTH,
    NDARRAY,
    UNKNOWN,
    Bad,
    Infos,
    any_shape,
    array_has_dims,
    dim_of,
    gradual_ints,
    int_value,
    is_shape_var,
    is_tensor,
    show_type,
    type_of_dim,
)
from shapely_nn.mypy_plugin._unify import RECEIVER, Unifier, substitute, unknowns

# Constructors whose sizes must divide: (class, dividend TypeVar, divisor TypeVar).
DIVISIBLE = {
    "shapely_nn.layers._mha.MultiHeadAttention": ("Embed", "Heads"),
    "shapely_nn.layers._transformer.TransformerEncoderLayer": ("Embed", "Heads"),
    "shapely_nn.layers._transformer.TransformerDecoderLayer": ("Embed", "Heads"),
}

OPERATORS = {
    "__add__": "+",
    "__radd__": "+",
    "__sub__": "-",
    "__rsub__": "-",
    "__mul__": "*",
    "__rmul__": "*",
    "__truediv__": "/",
    "__rtruediv__": "/",
    "__matmul__": "@",
    "__rshift__": ">>",
}


REFLECTED = frozenset(("__radd__", "__rsub__", "__rmul__", "__rtruediv__"))


class NotShapeError(Exception):
    """The result type depends on a non-shape type variable: keep mypy's own inference."""


def mentions_shapes(t: Type, depth: int = 0) -> bool:
    """Whether a declared argument type has a dim to check (cheap, shallow recursion)."""
    if depth > MAX_DEPTH:
        return False
    p = get_proper_type(t)
    if isinstance(p, Instance):
        if p.type.fullname in ARITH:
            return True
        if is_tensor(p):
            return not _is_any_tensor(p)
        if p.type.fullname == NDARRAY:
            return array_has_dims(p)
        return any(mentions_shapes(a, depth + 1) for a in p.args)
    if is_shape_var(p):
        return True
    if isinstance(p, UnionType | TupleType):
        return any(mentions_shapes(i, depth + 1) for i in p.items)
    if isinstance(p, UnpackType):
        return mentions_shapes(p.type, depth + 1)
    if isinstance(p, CallableType):
        return mentions_shapes(p.ret_type, depth + 1)
    return False


def _is_any_tensor(p: Instance) -> bool:
    if len(p.args) != 1:
        return False
    arg = get_proper_type(p.args[0])
    if not isinstance(arg, UnpackType):
        return False
    inner = get_proper_type(arg.type)
    return isinstance(inner, Instance) and inner.type.fullname == "builtins.tuple"


class CallChecker:
    """The two phases for calls of functions, methods and constructors with shapes."""

    def __init__(self, infos: Callable[[], Infos | None]) -> None:
        self._infos = infos
        # Signatures erased in phase 1, by call expression, waiting for phase 2: the original
        # and the erased copy of each overload item mypy asked about, in the items' order.
        self._erased: dict[Context, dict[object, tuple[CallableType, CallableType]]] = {}
        # Whether the call being checked in phase 2 is of an overloaded callee.
        self._overloaded = False
        # The module (its checker) the signatures were erased in; a new one starts afresh.
        self._module: object = None

    # ---- phase 1 ------------------------------------------------------------------
    def signature(self, ctx: FunctionSigContext | MethodSigContext) -> FunctionLike:
        """Erase the shapes of a signature that has any, remembering the original."""
        sig = ctx.default_signature
        if ctx.api is not self._module:
            self._module, self._erased = ctx.api, {}
        # An overloaded callee comes here once per item, for the same call.
        item = sig.definition if sig.definition is not None else id(sig)
        shaped = any(mentions_shapes(t) for t in sig.arg_types)
        infos = self._infos() if shaped else None
        if infos is None:
            # This call may have been checked before with other types (a generic body is
            # checked once per constraint): what was kept for it then no longer applies.
            self._erased.get(ctx.context, {}).pop(item, None)
            return sig
        erased = sig.copy_modified(
            arg_types=[_erase(t, infos, top=True) for t in sig.arg_types],
            ret_type=_erase(sig.ret_type, infos, top=False),
            variables=[v for v in sig.variables if not is_shape_var(v)],
        )
        self._erased.setdefault(ctx.context, {})[item] = (sig, erased)
        return erased

    def _take(self, ctx: FunctionContext | MethodContext) -> CallableType | None:
        """The signature mypy chose for this call: of several overload items, the first whose
        result is the one mypy inferred (the last, for the message, when none is)."""
        # Kept, not popped: mypy may run phase 2 once per overload item that fits.
        items = self._erased.get(ctx.context) if ctx.api is self._module else None
        if not items:
            return None
        pairs = list(items.values())
        self._overloaded = len(pairs) > 1
        if len(pairs) > 1:
            for sig, erased in pairs:
                if is_same_type(erased.ret_type, ctx.default_return_type):
                    return sig
        return pairs[-1][0]

    # ---- phase 2 ------------------------------------------------------------------
    def function(self, fullname: str, ctx: FunctionContext) -> Type:
        """Check a function or constructor call erased in phase 1."""
        sig = self._take(ctx)
        infos = self._infos()
        if sig is None or infos is None:
            return ctx.default_return_type
        callee = '"' + fullname.rsplit(".", 1)[-1] + '"'
        return self._check(ctx, fullname, sig, None, None, callee, infos, DIVISIBLE.get(fullname))

    def method(self, fullname: str, ctx: MethodContext) -> Type:
        """Check a method call erased in phase 1, including a shape-typed ``self``."""
        sig = self._take(ctx)
        infos = self._infos()
        if sig is None or infos is None:
            return ctx.default_return_type
        name = fullname.rsplit(".", 1)[-1]
        receiver = get_proper_type(ctx.type)
        declared = _declared_method(receiver, name, sig)
        callee = _callee_name(receiver, name)
        if declared is None:
            return self._check(ctx, fullname, sig, None, None, callee, infos)
        result = self._check(ctx, fullname, declared, receiver, name, callee, infos)
        return keep_leading(fullname, receiver, ctx.arg_types, result, infos)

    def _check(
        self,
        ctx: FunctionContext | MethodContext,
        fullname: str,
        sig: CallableType,
        receiver: ProperType | None,
        method: str | None,
        callee: str,
        infos: Infos,
        divisible: tuple[str, str] | None = None,
    ) -> Type:
        u = Unifier()
        formals = list(zip(sig.arg_types, sig.arg_names, sig.arg_kinds, strict=True))
        reason = None
        if receiver is not None and formals:
            self_type = formals.pop(0)[0]
            reason = u.types(self_type, receiver, _arg_label(method, "self", 0))
        for i, (formal, name, kind) in enumerate(formals):
            if reason or i >= len(ctx.arg_types):
                break
            if kind in (ARG_STAR, ARG_STAR2):
                formal = _star_item(formal)
            for actual in ctx.arg_types[i]:
                reason = reason or u.types(formal, actual, _arg_label(method, name, i + 1))
        reason = reason or u.finish() or (divisible and _divides(u, *divisible))
        if reason:
            said = composition_reason(fullname, u) or f"{callee} {reason}"
            if self._overloaded:
                fail_past_overload_trials(ctx.api, said, ctx.context)
            else:
                ctx.api.fail(said, ctx.context, code=SHAPE)
            return ctx.default_return_type
        try:
            return gradual_ints(_result(sig.ret_type, u, infos, inferred=ctx.default_return_type))
        except NotShapeError:
            return ctx.default_return_type


def _divides(u: Unifier, dividend: str, divisor: str) -> str | None:
    """Why ``dividend`` is not a multiple of ``divisor``, when both are known literals."""
    n, k = u.dims.get(UNKNOWN + dividend), u.dims.get(UNKNOWN + divisor)
    if isinstance(n, int) and isinstance(k, int) and (k == 0 or n % k):
        return f"needs {divisor} to divide {dividend}, got {dividend} = {n} and {divisor} = {k}"
    return None


def _star_item(t: Type) -> Type:
    p = get_proper_type(t)
    if isinstance(p, Instance) and p.type.fullname in ("builtins.tuple", "builtins.dict"):
        return p.args[-1]
    return t


def _arg_label(method: str | None, name: str | None, index: int) -> str:
    if method in OPERATORS:
        if method in REFLECTED:
            return "the right operand" if index == 0 else "the left operand"
        return "the left operand" if index == 0 else "the right operand"
    if index == 0 and method is not None:
        return RECEIVER
    return f'argument "{name}"' if name else f"argument {index + (0 if method else 1)}"


def _callee_name(receiver: ProperType, method: str) -> str:
    if method in OPERATORS:
        return f'"{OPERATORS[method]}"'
    if method == "__call__":
        return show_type(receiver)
    if isinstance(receiver, Instance):
        return f"{show_type(receiver)}.{method}"
    return f'"{method}"'


def _declared_method(receiver: ProperType, name: str, chosen: CallableType) -> CallableType | None:
    """The method as written (with ``self`` and the class's TypeVars), if we can find it; of
    an overloaded method, the item mypy chose."""
    if not isinstance(receiver, Instance):
        return None
    node = receiver.type.get_method(name)
    if isinstance(node, OverloadedFuncDef):
        node = _chosen_item(node, chosen)
    if not isinstance(node, FuncDef) or node.is_static or node.is_class:
        return None
    declared = get_proper_type(node.type)
    if not isinstance(declared, CallableType) or not declared.arg_types:
        return None
    return declared


def _chosen_item(node: OverloadedFuncDef, chosen: CallableType) -> FuncDef | None:
    for item in node.items:
        func = item.func if isinstance(item, Decorator) else item
        if chosen.definition is item or chosen.definition is func:
            return func if isinstance(func, FuncDef) else None
    return None


def _erase(t: Type, infos: Infos, top: bool, depth: int = 0) -> Type:
    """``t`` with every dim replaced by Any (a size TypeVar argument keeps its ``int`` bound)."""
    if depth > MAX_DEPTH:
        return t
    depth += 1
    p = get_proper_type(t)
    if isinstance(p, Instance):
        if is_tensor(p):
            return infos.any_tensor()
        if p.type.fullname == NDARRAY and p.args:
            return p.copy_modified(args=[any_shape(p), *p.args[1:]])
        if p.type.fullname in ARITH:
            return infos.int_type
        if not p.args:
            return t
        params = p.type.defn.type_vars
        args = [
            AnyType(TypeOfAny.special_form)
            if i < len(params) and is_shape_var(params[i]) and _is_dim(a)
            else _erase(a, infos, top=False, depth=depth)
            for i, a in enumerate(p.args)
        ]
        return p.copy_modified(args=args)
    if isinstance(p, TypeVarType) and is_shape_var(p):
        return p.upper_bound if top else AnyType(TypeOfAny.special_form)
    if isinstance(p, UnpackType):
        inner = get_proper_type(p.type)
        if isinstance(inner, TypeVarTupleType):
            return infos.any_star()
        return UnpackType(_erase(p.type, infos, top=False, depth=depth))
    if isinstance(p, UnionType):
        return UnionType.make_union([_erase(i, infos, top, depth) for i in p.items])
    if isinstance(p, TupleType):
        return p.copy_modified(items=[_erase(i, infos, top=False, depth=depth) for i in p.items])
    if isinstance(p, CallableType):
        return p.copy_modified(
            arg_types=[_erase(a, infos, top=False, depth=depth) for a in p.arg_types],
            ret_type=_erase(p.ret_type, infos, top=False, depth=depth),
        )
    return t


def _is_dim(t: Type) -> bool:
    """A size argument of a generic class: a literal, a size TypeVar, or arithmetic."""
    p = get_proper_type(t)
    if isinstance(p, Instance) and p.type.fullname in ARITH:
        return True
    return is_shape_var(p) or int_value(p) is not None


def _result(
    t: Type, u: Unifier, infos: Infos, depth: int = 0, inferred: Type | None = None
) -> Type:
    """The declared return type with the call's bindings substituted, dims normalised.

    ``inferred`` is mypy's own answer at the same place (from the erased signature), used for
    a class argument that is not a size (``Stack[In, K]``'s ``K``).
    """
    if depth > MAX_DEPTH:
        raise NotShapeError
    depth += 1
    p = get_proper_type(t)
    if isinstance(p, TypeVarType):
        if not is_shape_var(p):
            if inferred is None:
                raise NotShapeError
            return inferred
        return _dim_result(p, u, infos)
    if isinstance(p, Instance):
        if p.type.fullname in ARITH:
            return _dim_result(p, u, infos)
        if not p.args:
            return t
        known = get_proper_type(inferred) if inferred is not None else None
        if isinstance(known, Instance) and _same_layout(p, known):
            args = [_result(a, u, infos, depth, k) for a, k in zip(p.args, known.args, strict=True)]
            return p.copy_modified(args=args)
        return p.copy_modified(args=_result_items(p.args, u, infos, depth))
    if isinstance(p, TupleType):
        return p.copy_modified(items=_result_items(p.items, u, infos, depth))
    if isinstance(p, UnionType):
        return UnionType.make_union([_result(i, u, infos, depth) for i in p.items])
    if isinstance(p, CallableType):
        if p.variables:
            raise NotShapeError
        return p.copy_modified(
            arg_types=[_result(a, u, infos, depth) for a in p.arg_types],
            ret_type=_result(p.ret_type, u, infos, depth),
        )
    if isinstance(p, TypeVarTupleType):
        raise NotShapeError
    return t


def _same_layout(declared: Instance, inferred: Instance) -> bool:
    """Whether mypy's answer can be read argument by argument beside the declared type."""
    if inferred.type is not declared.type or is_tensor(declared):
        return False
    args = declared.args
    return len(inferred.args) == len(args) and not any(isinstance(a, UnpackType) for a in args)


def _result_items(
    args: tuple[Type, ...] | list[Type], u: Unifier, infos: Infos, depth: int
) -> list[Type]:
    out: list[Type] = []
    for arg in args:
        p = get_proper_type(arg)
        if isinstance(p, UnpackType) and isinstance(get_proper_type(p.type), TypeVarTupleType):
            inner = get_proper_type(p.type)
            assert isinstance(inner, TypeVarTupleType)
            bound = u.stars.get(UNKNOWN + inner.name)
            if bound is None:
                out.append(infos.any_star())
            else:
                out.extend(item.type for item in bound)
        else:
            out.append(_result(arg, u, infos, depth))
    return out


def _dim_result(t: TypeVarType | Instance, u: Unifier, infos: Infos) -> Type:
    formal = dim_of(t, {}, formal=True)
    if isinstance(formal, Bad) or formal is None:
        return AnyType(TypeOfAny.special_form)
    if isinstance(t, TypeVarType):
        value, wildcard = u.dim_value(UNKNOWN + t.name)
        if value is None:
            return wildcard if wildcard is not None else AnyType(TypeOfAny.special_form)
    value = substitute(formal, u.dims)
    if value is None or unknowns(value):
        return AnyType(TypeOfAny.special_form)
    return type_of_dim(value, u.atoms, infos)
