"""Type-analyze hooks: dim arithmetic in normal form, and malformed shapes reported where written.

``Add[In, H, H]`` becomes ``Add[Mul[L[2], H], In]`` and ``Add[L[64], L[128]]`` becomes
``L[192]``, so mypy's own structural comparison of types (assignments, returns, overrides)
treats equal dims as equal types.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.plugin import AnalyzeTypeContext
from mypy.types import (
    AnyType,
    Instance,
    TupleType,
    Type,
    TypeOfAny,
    TypeVarTupleType,
    UnpackType,
    get_proper_type,
)

from shapely_nn.mypy_plugin._calls import SHAPE
from shapely_nn.mypy_plugin._shapes import (
    ARITH,
    TENSOR,
    Bad,
    Infos,
    dim_of,
    has_placeholder,
    type_of_dim,
)

# Analyse ``ctx.type`` with mypy's own logic (the plugin steps aside for that one name).
DefaultAnalysis = Callable[[AnalyzeTypeContext, str], Type]


def analyze_arith(
    ctx: AnalyzeTypeContext, fullname: str, default: DefaultAnalysis, infos: Infos | None
) -> Type:
    """Read ``Add[...]``/``Mul[...]``/``FloorDiv[...]`` and write its normal form."""
    name = fullname.rsplit(".", 1)[-1]
    if not ctx.type.args:
        ctx.api.fail(f"{name}[...] needs at least one dim", ctx.context, code=SHAPE)
        return AnyType(TypeOfAny.from_error)
    analysed = default(ctx, fullname)
    p = get_proper_type(analysed)
    if not isinstance(p, Instance) or p.type.fullname not in ARITH or has_placeholder(p):
        return analysed
    atoms: dict[str, Type] = {}
    d = dim_of(p, atoms, formal=False)
    if isinstance(d, Bad):
        ctx.api.fail(f"invalid {name}[...]: {d}", ctx.context, code=SHAPE)
        return AnyType(TypeOfAny.from_error)
    if d is None:
        return ctx.api.named_type("builtins.int", [])
    if infos is None:
        return analysed
    return type_of_dim(d, atoms, infos)


def analyze_tensor(ctx: AnalyzeTypeContext, default: DefaultAnalysis) -> Type:
    """Analyse ``Tensor[...]`` as mypy does, then report any argument that is not a dim."""
    analysed = default(ctx, TENSOR)
    p = get_proper_type(analysed)
    if not isinstance(p, Instance) or p.type.fullname != TENSOR or has_placeholder(p):
        return analysed
    args: list[Type] = []
    for index, arg in enumerate(p.args):
        reason = tensor_arg_problem(arg)
        if reason:
            ctx.api.fail(f"Tensor[...] dim {index}: {reason}", ctx.context, code=SHAPE)
            args.append(AnyType(TypeOfAny.from_error))
        else:
            args.append(arg)
    return p.copy_modified(args=args)


def tensor_arg_problem(arg: Type) -> str | None:
    """Why one argument of ``Tensor[...]`` is not a dim or a variadic part, if it is not."""
    p = get_proper_type(arg)
    if isinstance(p, UnpackType):
        inner = get_proper_type(p.type)
        if isinstance(inner, TypeVarTupleType):
            return None
        if isinstance(inner, Instance) and inner.type.fullname == "builtins.tuple":
            return _variadic_problem(inner)
        if isinstance(inner, TupleType):
            for item in inner.items:
                reason = tensor_arg_problem(item)
                if reason:
                    return reason
            return None
        return f'"*{inner}" is not a variadic shape (use *Batch or *tuple[Any, ...])'
    d = dim_of(arg, {}, formal=False)
    return str(d) if isinstance(d, Bad) else None


def _variadic_problem(t: Instance) -> str | None:
    d = dim_of(t.args[0], {}, formal=False) if t.args else None
    if isinstance(d, Bad):
        return str(d)
    return None
