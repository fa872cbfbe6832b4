"""Computed shapes of the tensor ops whose rule is not a plain signature.

Each rule follows ``shapely_nn._rules`` (same semantics, same wording) on static shapes: a
dim may be symbolic or unknown (``None``), and a shape may have a variadic part, in which
case an axis is only resolved when it falls outside that part. When a rule cannot be
decided statically (an axis that is not a literal, a tensor typed ``Any``), the op keeps its
loose declared type and nothing is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from mypy.nodes import (
    Expression,
    IntExpr,
    ListComprehension,
    ListExpr,
    NameExpr,
    TupleExpr,
    UnaryExpr,
)
from mypy.plugin import AttributeContext, FunctionContext, MethodContext
from mypy.types import AnyType, Instance, TupleType, Type, TypeOfAny, get_proper_type

from shapely_nn._dims import add, floordiv, mul
from shapely_nn.mypy_plugin._calls import SHAPE
from shapely_nn.mypy_plugin._shapes import (
    TENSOR,
    Bad,
    Fixed,
    Infos,
    Item,
    SDim,
    Shape,
    Star,
    dim_of,
    int_value,
    is_tensor,
    shape_of,
    show_dim,
    show_item,
    show_shape,
    type_of_dim,
)

# A static argument that is not written as a literal: the rule cannot be decided.
NOT_STATIC = object()


@dataclass
class OpCall:
    """One call of a tensor op: its arguments, read statically, and how to answer."""

    ctx: FunctionContext | MethodContext
    infos: Infos
    atoms: dict[str, Type] = field(default_factory=dict)

    def _index(self, name: str) -> int | None:
        names = self.ctx.callee_arg_names
        if name in names:
            return names.index(name)
        # Operator calls (``x[i]``) come without parameter names.
        return 0 if name == "index" else None

    def exprs(self, name: str) -> list[Expression]:
        """The expressions passed for the parameter ``name``."""
        i = self._index(name)
        return [] if i is None or i >= len(self.ctx.args) else self.ctx.args[i]

    def types(self, name: str) -> list[Type]:
        """The types passed for the parameter ``name``."""
        i = self._index(name)
        return [] if i is None or i >= len(self.ctx.arg_types) else self.ctx.arg_types[i]

    def receiver(self) -> Shape | None:
        """The shape of ``self`` for a method call."""
        if isinstance(self.ctx, MethodContext):
            return self.shape_of_type(self.ctx.type)
        return None

    def tensor(self, name: str) -> Shape | None:
        """The shape of the tensor passed as ``name``, if it has one."""
        types = self.types(name)
        return self.shape_of_type(types[0]) if len(types) == 1 else None

    def shape_of_type(self, t: Type) -> Shape | None:
        """The shape of a tensor type, or ``None`` for anything else."""
        p = get_proper_type(t)
        if isinstance(p, Instance) and is_tensor(p):
            return shape_of(p, self.atoms, formal=False)
        return None

    def tensors(self, name: str) -> list[Shape] | None:
        """The shapes in a literal list or tuple of tensors, or in a tuple type."""
        exprs = self.exprs(name)
        if len(exprs) == 1 and isinstance(exprs[0], ListExpr | TupleExpr):
            types = [_expr_type(self.ctx, e) for e in exprs[0].items]
        elif len(exprs) == 1 and isinstance(exprs[0], ListComprehension):
            return None
        else:
            types_ = self.types(name)
            p = get_proper_type(types_[0]) if len(types_) == 1 else None
            if not isinstance(p, TupleType):
                return None
            types = list(p.items)
        shapes = [self.shape_of_type(t) if t is not None else None for t in types]
        if any(s is None for s in shapes):
            return None
        return [s for s in shapes if s is not None]

    def static(self, name: str, default: object) -> object:
        """A literal argument (int, list/tuple of ints, bool, None), or ``NOT_STATIC``."""
        exprs = self.exprs(name)
        if not exprs:
            return default
        if len(exprs) > 1:
            return _literal_list(exprs)
        value = _literal(exprs[0])
        if value is NOT_STATIC:
            types = self.types(name)
            known = int_value(get_proper_type(types[0])) if len(types) == 1 else None
            return NOT_STATIC if known is None else known
        return value

    def comprehension(self, name: str) -> Shape | None:
        """The element shape of a list comprehension of tensors (their count is unknown)."""
        exprs = self.exprs(name)
        if len(exprs) != 1 or not isinstance(exprs[0], ListComprehension):
            return None
        element = _expr_type(self.ctx, exprs[0].generator.left_expr)
        return None if element is None else self.shape_of_type(element)

    def fail(self, reason: str) -> Type:
        """Report under the ``shape`` code; the result stays loose so nothing cascades."""
        self.ctx.api.fail(reason, self.ctx.context, code=SHAPE)
        return self.ctx.default_return_type

    def result(self, shape: Sequence[Item]) -> Type:
        """The tensor type with these items."""
        return self.infos.tensor_of(tuple(shape))

    def fixed(self, d: SDim) -> Fixed:
        """A new dim as an item, with its type written in normal form."""
        return Fixed(d, type_of_dim(d, self.atoms, self.infos))


def _expr_type(ctx: FunctionContext | MethodContext, e: Expression) -> Type | None:
    # The items were already checked; read their types from mypy's type map.
    lookup = getattr(ctx.api, "lookup_type_or_none", None)
    if lookup is not None:
        found: Type | None = lookup(e)
        if found is not None:
            return found
    return ctx.api.get_expression_type(e)


def _literal(e: Expression) -> object:
    if isinstance(e, IntExpr):
        return e.value
    if isinstance(e, UnaryExpr) and e.op == "-" and isinstance(e.expr, IntExpr):
        return -e.expr.value
    if isinstance(e, NameExpr) and e.fullname in ("builtins.True", "builtins.False"):
        return e.fullname == "builtins.True"
    if isinstance(e, NameExpr) and e.fullname == "builtins.None":
        return None
    if isinstance(e, ListExpr | TupleExpr):
        return _literal_list(e.items)
    return NOT_STATIC


def _literal_list(items: Sequence[Expression]) -> object:
    values = [_literal(i) for i in items]
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return tuple(values)
    return NOT_STATIC


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _ints(v: object) -> tuple[int, ...] | None:
    if isinstance(v, tuple) and all(_is_int(x) for x in v):
        return v
    return None


# ---- axes -------------------------------------------------------------------------
def _star_at(shape: Shape) -> int | None:
    for i, item in enumerate(shape):
        if isinstance(item, Star):
            return i
    return None


def resolve_axis(shape: Shape, axis: int) -> int | Bad | None:
    """The item index of ``axis``; a reason if out of range; ``None`` if inside ``*Batch``."""
    star = _star_at(shape)
    if star is None:
        rank = len(shape)
        if not -rank <= axis < rank:
            return Bad(f"axis {axis} is out of range for {show_shape(shape)} (rank {rank})")
        return axis % rank
    if axis >= 0:
        return axis if axis < star else None
    index = len(shape) + axis
    return index if index > star else None


def _same(a: Item, b: Item) -> bool:
    if isinstance(a, Star) or isinstance(b, Star):
        return isinstance(a, Star) and isinstance(b, Star) and a.name == b.name
    return a.dim is None or b.dim is None or a.dim == b.dim


def _aligned(a: Shape, b: Shape) -> bool:
    return len(a) == len(b) and _star_at(a) == _star_at(b)


def joined(call: OpCall, shapes: Sequence[Shape], ax: int) -> list[Item]:
    """The first shape with the dims at ``ax`` of all of them added up (concatenation)."""
    items = [s[ax] for s in shapes]
    dims = [i.dim for i in items if isinstance(i, Fixed)]
    total = None if any(d is None for d in dims) else add(*[d for d in dims if d is not None])
    out = list(shapes[0])
    out[ax] = call.fixed(total)
    return out


# ---- the rules ----------------------------------------------------------------------
def op_concat(call: OpCall) -> Type:
    """``concat(tensors, axis)``: dims off the axis agree, the axis dims add up."""
    shapes = call.tensors("tensors")
    axis = call.static("axis", -1)
    if shapes is None or not _is_int(axis):
        return call.ctx.default_return_type
    assert isinstance(axis, int)
    if not shapes:
        return call.fail("concat: needs at least one tensor")
    first = shapes[0]
    if not first:
        return call.fail("concat: cannot concatenate scalars (rank 0)")
    ax = resolve_axis(first, axis)
    if isinstance(ax, Bad):
        return call.fail(f"concat: {ax}")
    if ax is None:
        return call.ctx.default_return_type
    for i, s in enumerate(shapes[1:], start=1):
        if not _aligned(first, s):
            return call.fail(
                f"concat: tensor {i} has shape {show_shape(s)} of rank {len(s)}, tensor 0 has "
                f"{show_shape(first)}"
            )
        for j, (a, b) in enumerate(zip(first, s, strict=True)):
            if j != ax and not _same(a, b):
                return call.fail(
                    f"concat: dims off the concat axis {axis} must agree: tensor 0 "
                    f"{show_shape(first)} has {show_item(a)} at axis {j}, tensor {i} "
                    f"{show_shape(s)} has {show_item(b)}"
                )
    return call.result(joined(call, shapes, ax))


def op_stack(call: OpCall) -> Type:
    """``stack(tensors, axis)``: equal shapes, a new axis of length ``len(tensors)``."""
    shapes = call.tensors("tensors")
    axis = call.static("axis", 0)
    if shapes is None and _is_int(axis):
        element = call.comprehension("tensors")
        shapes = None if element is None else [element]
        count: SDim = None
    else:
        count = None if shapes is None else len(shapes)
    if shapes is None or not _is_int(axis):
        return call.ctx.default_return_type
    assert isinstance(axis, int)
    if not shapes:
        return call.fail("stack: needs at least one tensor")
    first = shapes[0]
    for i, s in enumerate(shapes[1:], start=1):
        if not _aligned(first, s) or not all(_same(a, b) for a, b in zip(first, s, strict=True)):
            return call.fail(
                f"stack: tensor {i} has shape {show_shape(s)}, tensor 0 has "
                f"{show_shape(first)}: all must be equal"
            )
    ax = resolve_axis((*first, Fixed(None, AnyType(TypeOfAny.special_form))), axis)
    if isinstance(ax, Bad):
        return call.fail(
            f"stack: axis {axis} is out of range for a new axis of {show_shape(first)}"
        )
    if ax is None:
        return call.ctx.default_return_type
    out = list(first)
    out.insert(
        ax, call.fixed(count) if count is not None else Fixed(None, AnyType(TypeOfAny.special_form))
    )
    return call.result(out)


def op_split(call: OpCall) -> Type:
    """``split(x, sizes, axis)``: the sizes add up to the dim at ``axis``."""
    x = call.tensor("x")
    sizes = _ints(call.static("sizes", NOT_STATIC))
    axis = call.static("axis", -1)
    if x is None or sizes is None or not _is_int(axis):
        return call.ctx.default_return_type
    assert isinstance(axis, int)
    if not x:
        return call.fail("split: cannot split a scalar")
    ax = resolve_axis(x, axis)
    if isinstance(ax, Bad):
        return call.fail(f"split: {ax}")
    if ax is None:
        return call.ctx.default_return_type
    item = x[ax]
    assert isinstance(item, Fixed)
    if item.dim is not None and item.dim != sum(sizes):
        return call.fail(
            f"split: sizes {list(sizes)} add up to {sum(sizes)}, but axis {axis} of "
            f"{show_shape(x)} has {show_dim(item.dim)}"
        )
    if len(set(sizes)) != 1:
        return call.ctx.default_return_type
    piece = list(x)
    piece[ax] = call.fixed(sizes[0])
    return call.ctx.api.named_generic_type("builtins.list", [call.result(piece)])


def swap(call: OpCall, x: Shape, axis0: int, axis1: int, name: str = "transpose") -> Type:
    """``x`` with two axes swapped (an axis out of range is reported as ``name``'s)."""
    i, j = resolve_axis(x, axis0), resolve_axis(x, axis1)
    for r in (i, j):
        if isinstance(r, Bad):
            return call.fail(f"{name}: {r}")
    if not isinstance(i, int) or not isinstance(j, int):
        return call.ctx.default_return_type
    out = list(x)
    out[i], out[j] = out[j], out[i]
    return call.result(out)


def op_transpose(call: OpCall) -> Type:
    """``transpose(x, axis0, axis1)``: swap two axes."""
    x = call.tensor("x")
    axis0, axis1 = call.static("axis0", -2), call.static("axis1", -1)
    if x is None or not _is_int(axis0) or not _is_int(axis1):
        return call.ctx.default_return_type
    assert isinstance(axis0, int) and isinstance(axis1, int)
    return swap(call, x, axis0, axis1)


def op_permute(call: OpCall) -> Type:
    """``permute(x, axes)``: ``axes`` is a permutation of the axes."""
    x = call.tensor("x")
    axes = _ints(call.static("axes", NOT_STATIC))
    if x is None or axes is None or _star_at(x) is not None:
        return call.ctx.default_return_type
    rank = len(x)
    if len(axes) != rank:
        return call.fail(
            f"permute: {show_shape(x)} has rank {rank}, got {len(axes)} axes {list(axes)}"
        )
    if any(not -rank <= a < rank for a in axes):
        return call.fail(
            f"permute: axes {list(axes)} out of range for {show_shape(x)} (rank {rank})"
        )
    normal = [a % rank for a in axes]
    if sorted(normal) != list(range(rank)):
        return call.fail(f"permute: axes {list(axes)} are not a permutation of 0..{rank - 1}")
    return call.result([x[a] for a in normal])


def _reshape(call: OpCall, x: Shape | None, target: tuple[int, ...] | None) -> Type:
    if x is None or target is None or _star_at(x) is not None:
        return call.ctx.default_return_type
    dims = [item.dim for item in x if isinstance(item, Fixed)]
    size: SDim = None if any(d is None for d in dims) else mul(*[d for d in dims if d is not None])
    unknown = [i for i, d in enumerate(target) if d == -1]
    if len(unknown) > 1:
        return call.fail(f"reshape: at most one -1 is allowed, got {list(target)}")
    if any(d < -1 for d in target):
        return call.fail(f"reshape: dims must be non-negative or -1, got {list(target)}")
    known = 1
    for d in target:
        known *= d if d != -1 else 1
    out: list[SDim] = list(target)
    if unknown and size is not None:
        exact = known and not (isinstance(size, int) and size % known)
        inferred = floordiv(size, known) if exact else None
        if inferred is None:
            return call.fail(
                f"reshape: cannot reshape {show_shape(x)} ({show_dim(size)} elements) into "
                f"{list(target)}: {show_dim(size)} is not a multiple of {known}"
            )
        out[unknown[0]] = inferred
    elif unknown:
        out[unknown[0]] = None
    elif size is not None and size != known:
        return call.fail(
            f"reshape: cannot reshape {show_shape(x)} ({show_dim(size)} elements) into "
            f"{list(target)} ({known} elements)"
        )
    return call.result([call.fixed(d) for d in out])


def op_reshape(call: OpCall) -> Type:
    """``reshape(x, shape)``: same number of elements; one ``-1`` is inferred."""
    return _reshape(call, call.tensor("x"), _ints(call.static("shape", NOT_STATIC)))


def method_reshape(call: OpCall) -> Type:
    """``x.reshape(*shape)``."""
    return _reshape(call, call.receiver(), _ints(call.static("shape", NOT_STATIC)))


def op_take(call: OpCall) -> Type:
    """``take(x, indices, axis)``: that dim is replaced by the index tensor's dims."""
    x, idx = call.tensor("x"), call.tensor("indices")
    axis = call.static("axis", 0)
    if x is None or idx is None or not _is_int(axis):
        return call.ctx.default_return_type
    assert isinstance(axis, int)
    if not x:
        return call.fail("take: cannot index a scalar")
    ax = resolve_axis(x, axis)
    if isinstance(ax, Bad):
        return call.fail(f"take: {ax}")
    if ax is None:
        return call.ctx.default_return_type
    return call.result([*x[:ax], *idx, *x[ax + 1 :]])


def op_one_hot(call: OpCall) -> Type:
    """``one_hot(ids, n)``: ``[*S] -> [*S, n]``."""
    ids = call.tensor("ids")
    types = call.types("num_classes")
    if ids is None or len(types) != 1:
        return call.ctx.default_return_type
    n = dim_of(types[0], call.atoms, formal=False)
    if isinstance(n, Bad):
        return call.ctx.default_return_type
    if n == 0:
        return call.fail("one_hot: num_classes must be positive, got 0")
    item = call.fixed(n) if n is not None else Fixed(None, AnyType(TypeOfAny.special_form))
    return call.result([*ids, item])


def _reduce(call: OpCall, op: str, x: Shape | None, axis: object, keepdims: object) -> Type:
    if x is None or not isinstance(keepdims, bool):
        return call.ctx.default_return_type
    if axis is None:
        if keepdims:
            if _star_at(x) is not None:
                return call.ctx.default_return_type
            return call.result([call.fixed(1) for _ in x])
        return call.result([])
    axes = (axis,) if isinstance(axis, int) and not isinstance(axis, bool) else _ints(axis)
    if axes is None:
        return call.ctx.default_return_type
    found: list[int] = []
    for a in axes:
        r = resolve_axis(x, a)
        if isinstance(r, Bad):
            return call.fail(f"{op}: {r}")
        if r is None:
            return call.ctx.default_return_type
        found.append(r)
    if len(set(found)) != len(found):
        return call.fail(f"{op}: repeated axis in {axes}")
    if keepdims:
        return call.result([call.fixed(1) if i in found else it for i, it in enumerate(x)])
    return call.result([it for i, it in enumerate(x) if i not in found])


def reduction(op: str, axis_default: object) -> Callable[[OpCall], Type]:
    """A reduction op ``op(x, axis, keepdims)``."""

    def rule(call: OpCall) -> Type:
        keep = call.static("keepdims", False)
        return _reduce(call, op, call.tensor("x"), call.static("axis", axis_default), keep)

    return rule


def method_reduction(op: str) -> Callable[[OpCall], Type]:
    """A reduction method ``x.op(axis, keepdims)``."""

    def rule(call: OpCall) -> Type:
        keep = call.static("keepdims", False)
        return _reduce(call, op, call.receiver(), call.static("axis", None), keep)

    return rule


def op_broadcast_to(call: OpCall) -> Type:
    """``broadcast_to(x, shape)``: only dims of 1 (or missing leading dims) broadcast."""
    x = call.tensor("x")
    target = _ints(call.static("shape", NOT_STATIC))
    if x is None or target is None or _star_at(x) is not None:
        return call.ctx.default_return_type
    if len(x) > len(target):
        return call.fail(
            f"broadcast_to: {show_shape(x)} has more dims than the target {list(target)}"
        )
    for i in range(1, len(x) + 1):
        item = x[-i]
        assert isinstance(item, Fixed)
        if item.dim is not None and item.dim not in (1, target[-i]):
            return call.fail(
                f"broadcast_to: axis {-i} of {show_shape(x)} is {show_dim(item.dim)}, target "
                f"{list(target)} has {target[-i]} (only a dim of 1 broadcasts)"
            )
    return call.result([call.fixed(d) for d in target])


def elementwise(op: str) -> Callable[[OpCall], Type]:
    """``op(a, b, broadcast=False)``: equal shapes, or NumPy broadcasting when asked for."""

    def rule(call: OpCall) -> Type:
        a, b = call.tensor("a"), call.tensor("b")
        broadcast = call.static("broadcast", False)
        if a is None or b is None or not isinstance(broadcast, bool):
            return call.ctx.default_return_type
        if broadcast:
            return _broadcast(call, op, a, b)
        return _same_shape(call, op, a, b)

    return rule


def _same_shape(call: OpCall, op: str, a: Shape, b: Shape) -> Type:
    hint = "(broadcasting is explicit: use broadcast_to or broadcast=True)"
    if not _aligned(a, b):
        if _star_at(a) is None and _star_at(b) is None:
            return call.fail(
                f"{op}: shapes differ in rank: left {show_shape(a)} has rank {len(a)}, right "
                f"{show_shape(b)} has rank {len(b)} {hint}"
            )
        return call.ctx.default_return_type
    for axis, (x, y) in enumerate(zip(a, b, strict=True)):
        if not _same(x, y):
            return call.fail(
                f"{op}: shapes differ at axis {axis}: left {show_shape(a)} has {show_item(x)}, "
                f"right {show_shape(b)} has {show_item(y)} {hint}"
            )
    return call.result(a)


def _broadcast(call: OpCall, op: str, a: Shape, b: Shape) -> Type:
    if _star_at(a) is not None or _star_at(b) is not None:
        return call.ctx.default_return_type
    out: list[Item] = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else call.fixed(1)
        y = b[-i] if i <= len(b) else call.fixed(1)
        assert isinstance(x, Fixed) and isinstance(y, Fixed)
        if x.dim is None or y.dim is None:
            out.append(
                Fixed(None, AnyType(TypeOfAny.special_form)) if x.dim != 1 and y.dim != 1 else x
            )
        elif x.dim == y.dim or y.dim == 1:
            out.append(x)
        elif x.dim == 1:
            out.append(y)
        else:
            return call.fail(
                f"{op}: cannot broadcast at axis {-i}: left {show_shape(a)} has "
                f"{show_dim(x.dim)}, right {show_shape(b)} has {show_dim(y.dim)}"
            )
    return call.result(list(reversed(out)))


def op_matmul(call: OpCall) -> Type:
    """``matmul(left, right)``: ``[*B, N, K] @ [K, M] -> [*B, N, M]``."""
    left, right = call.tensor("left"), call.tensor("right")
    if left is None or right is None or _star_at(right) is not None or not left or not right:
        return call.ctx.default_return_type
    r_axis = 0 if len(right) == 1 else -2
    last, inner = left[-1], right[r_axis]
    if not isinstance(last, Fixed) or not isinstance(inner, Fixed):
        return call.ctx.default_return_type
    if last.dim is not None and inner.dim is not None and last.dim != inner.dim:
        return call.fail(
            f"matmul: inner dims differ: left {show_shape(left)} has {show_dim(last.dim)} at "
            f"axis -1, right {show_shape(right)} has {show_dim(inner.dim)} at axis {r_axis}"
        )
    if len(right) == 1:
        return call.result(left[:-1])
    if len(left) == 1:
        return call.result([*right[:-2], right[-1]])
    if isinstance(left[-2], Star):
        return call.ctx.default_return_type
    right_batch, left_batch = right[:-2], left[:-2]
    if right_batch and not (
        _aligned(right_batch, left_batch)
        and all(_same(x, y) for x, y in zip(left_batch, right_batch, strict=True))
    ):
        return call.fail(
            f"matmul: batch dims differ: left {show_shape(left)} has {show_shape(left_batch)}, "
            f"right {show_shape(right)} has {show_shape(right_batch)} (a right operand of rank 2 "
            "is shared across the batch)"
        )
    return call.result([*left_batch, left[-2], right[-1]])


def method_getitem(call: OpCall) -> Type:
    """``x[i]`` drops axis 0; ``x[a:b]`` keeps it with an unknown size."""
    x = call.receiver()
    exprs = call.exprs("index")
    if x is None or len(exprs) != 1 or not x or isinstance(x[0], Star):
        return call.ctx.default_return_type
    index_type = get_proper_type(call.types("index")[0])
    if isinstance(index_type, Instance) and index_type.type.fullname == "builtins.slice":
        return call.result([Fixed(None, AnyType(TypeOfAny.special_form)), *x[1:]])
    if isinstance(index_type, Instance) and index_type.type.has_base("builtins.int"):
        return call.result(x[1:])
    return call.ctx.default_return_type


Rule = Callable[[OpCall], Type]

_T = "shapely_nn._tensor."
FUNCTIONS: dict[str, Rule] = {
    _T + "concat": op_concat,
    _T + "stack": op_stack,
    _T + "split": op_split,
    _T + "transpose": op_transpose,
    _T + "permute": op_permute,
    _T + "reshape": op_reshape,
    _T + "take": op_take,
    _T + "one_hot": op_one_hot,
    _T + "sum_": reduction("sum", None),
    _T + "mean": reduction("mean", None),
    _T + "max_": reduction("max", None),
    _T + "argmax": reduction("argmax", -1),
    _T + "logsumexp": reduction("logsumexp", -1),
    _T + "broadcast_to": op_broadcast_to,
    _T + "add": elementwise("add"),
    _T + "sub": elementwise("sub"),
    _T + "mul": elementwise("mul"),
    _T + "div": elementwise("div"),
    _T + "matmul": op_matmul,
}
METHODS: dict[str, Rule] = {
    TENSOR + ".reshape": method_reshape,
    TENSOR + ".sum": method_reduction("sum"),
    TENSOR + ".mean": method_reduction("mean"),
    TENSOR + ".max": method_reduction("max"),
    TENSOR + ".__getitem__": method_getitem,
}


def run_function(rule: Rule, infos: Callable[[], Infos | None], ctx: FunctionContext) -> Type:
    """Apply a function op's rule."""
    found = infos()
    return ctx.default_return_type if found is None else rule(OpCall(ctx, found))


def run_method(rule: Rule, infos: Callable[[], Infos | None], ctx: MethodContext) -> Type:
    """Apply a method op's rule."""
    found = infos()
    return ctx.default_return_type if found is None else rule(OpCall(ctx, found))


def transpose_attribute(infos: Callable[[], Infos | None], ctx: AttributeContext) -> Type:
    """``x.T`` swaps the last two dims."""
    found = infos()
    p = get_proper_type(ctx.type)
    if found is None or not isinstance(p, Instance) or not is_tensor(p):
        return ctx.default_attr_type
    x = shape_of(p, {}, formal=False)
    i, j = resolve_axis(x, -2), resolve_axis(x, -1)
    if not isinstance(i, int) or not isinstance(j, int):
        if isinstance(i, Bad) or isinstance(j, Bad):
            ctx.api.fail(f"transpose: {i if isinstance(i, Bad) else j}", ctx.context, code=SHAPE)
        return ctx.default_attr_type
    out = list(x)
    out[i], out[j] = out[j], out[i]
    return found.tensor_of(tuple(out))
