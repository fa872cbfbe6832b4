"""Shapes of NumPy's own operations on arrays with dims (``ndarray[tuple[b, 64], dtype]``).

NumPy broadcasts, so its rules decide what is an error here: an op is reported only where
NumPy itself would refuse it (two known sizes that differ and neither is 1, a contracted dim
that disagrees, an axis out of range) or where two differently named dims meet (``b`` against
``c``: jaxtyping refuses them at run time when their values differ). A named dim against a
literal size is left alone (it may be that size). An op runs only when an operand has dims; on
NumPy code without them, mypy's own answer is kept untouched.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mypy.nodes import (
    ARG_POS,
    CallExpr,
    Context,
    EllipsisExpr,
    Expression,
    FloatExpr,
    IntExpr,
    ListExpr,
    NameExpr,
    OpExpr,
    SliceExpr,
    StrExpr,
    TupleExpr,
)
from mypy.plugin import (
    AttributeContext,
    FunctionContext,
    MethodContext,
    MethodSigContext,
)
from mypy.types import (
    AnyType,
    CallableType,
    FunctionLike,
    Instance,
    LiteralType,
    Type,
    TypeOfAny,
    get_proper_type,
)

from shapely_nn._dims import Dim, add, floordiv, mul
from shapely_nn.mypy_plugin._context import check_context
from shapely_nn.mypy_plugin._memo import ByIdentity
from shapely_nn.mypy_plugin._ops import (
    NOT_STATIC,
    OpCall,
    _expr_type,
    _literal,
    _literal_list,
    joined,
    resolve_axis,
    swap,
)
from shapely_nn.mypy_plugin._overloads import narrowed
from shapely_nn.mypy_plugin._report import fail_past_overload_trials, reported_at
from shapely_nn.mypy_plugin._shapes import (
    NDARRAY,
    Bad,
    Fixed,
    Infos,
    Item,
    SDim,
    Shape,
    Star,
    any_shape,
    array_has_dims,
    dim_of,
    int_value,
    shape_of,
    show_dim,
    show_tensor,
    with_shape,
)

_NUMBERS = ("builtins.int", "builtins.float", "builtins.bool", "builtins.complex")


@dataclass
class ArrayCall(OpCall):
    """One call of a NumPy op: operands read as shapes, the result written as an ndarray."""

    template: Instance | None = None
    has_dims: bool = False
    failed: bool = False

    def shape_of_type(self, t: Type) -> Shape | None:
        """An array's shape; ``()`` for a Python number; ``None`` for anything else."""
        p = get_proper_type(t)
        if isinstance(p, LiteralType):
            p = p.fallback
        if isinstance(p, Instance) and p.type.fullname == NDARRAY and p.args:
            if self.template is None:
                self.template = p
            shape, atoms, has_dims = _read_array(p)
            self.has_dims = self.has_dims or has_dims
            self.atoms.update(atoms)
            return shape
        if isinstance(p, Instance) and p.type.fullname in _NUMBERS:
            return ()
        return None

    def positional(self, index: int) -> Shape | None:
        """The shape of the ``index``-th positional argument."""
        types = self.ctx.arg_types
        return self.shape_of_type(types[index][0]) if len(types) > index and types[index] else None

    def static_exprs(self, exprs: Sequence[Expression]) -> object:
        """A literal written as these argument expressions (int, tuple of ints, None)."""
        if len(exprs) > 1:
            return _literal_list(exprs)
        value = _literal(exprs[0])
        if value is NOT_STATIC:
            t = _expr_type(self.ctx, exprs[0])
            known = int_value(get_proper_type(t)) if t is not None else None
            return NOT_STATIC if known is None else known
        return value

    def result(self, shape: Sequence[Item]) -> Type:
        """An ndarray with these dims, NumPy's own dtype kept where it gave one."""
        base = self._base()
        if base is None:
            return self.ctx.default_return_type
        return with_shape(base, [item.type for item in shape], self.infos.tuple_info)

    def fail(self, reason: str) -> Type:
        """Report under ``shape``; the result is an array of unknown shape (no cascade)."""
        self.failed = True
        fail_past_overload_trials(self.ctx.api, reason, self.ctx.context)
        base = self._base()
        if base is None:
            return self.ctx.default_return_type
        return base.copy_modified(args=[any_shape(base), *base.args[1:]])

    def _base(self) -> Instance | None:
        """NumPy's own result type where it is an ndarray (its dtype), else the operand's.

        An operand of unknown dtype matches several of NumPy's overloads, and mypy keeps a
        result only if every match answers the same type: the operand's type, then.
        """
        if self.template is not None and _unknown_dtype(self.template):
            return self.template
        default = get_proper_type(self.ctx.default_return_type)
        if isinstance(default, Instance) and default.type.fullname == NDARRAY:
            return default
        return self.template

    def show(self, shape: Shape) -> str:
        """``ndarray[b, 64]``."""
        return show_tensor(shape, "ndarray")


def _unknown_dtype(p: Instance) -> bool:
    dtype = get_proper_type(p.args[1]) if len(p.args) > 1 else None
    if dtype is None or isinstance(dtype, AnyType):
        return True
    return isinstance(dtype, Instance) and any(
        isinstance(get_proper_type(a), AnyType) for a in dtype.args
    )


# mypy tries each of NumPy's overloads on the same operand types in turn: reading an array type
# once serves them all (keyed by the type object, which is kept to check it is the same).
_READ: ByIdentity[tuple[Shape, dict[str, Type], bool]] = ByIdentity(512)


def _read_array(p: Instance) -> tuple[Shape, dict[str, Type], bool]:
    """An array type's shape, the atoms it names, and whether it has dims (memoised)."""
    hit = _READ.get(p)
    if hit is not None:
        return hit
    atoms: dict[str, Type] = {}
    shape = shape_of(p, atoms, formal=False)
    return _READ.put(p, (shape, atoms, array_has_dims(p)))


Rule = Callable[[ArrayCall], Type]
_ANY = AnyType(TypeOfAny.special_form)


def _unknown() -> Fixed:
    return Fixed(None, _ANY)


def _distinct(a: SDim, b: SDim) -> bool:
    """Sizes that NumPy would refuse to pair (neither 1), or two differently named dims."""
    if a is None or b is None or a == b or a == 1 or b == 1:
        return False
    if isinstance(a, int) and isinstance(b, int):
        return True
    return not isinstance(a, int) and not isinstance(b, int)


def _differ(a: SDim, b: SDim) -> bool:
    """Known to differ, with no broadcasting (a matmul's contracted dim, einsum's subscripts)."""
    if a is None or b is None or a == b:
        return False
    return isinstance(a, int) == isinstance(b, int)


def _where(k: int) -> str:
    return "last dim" if k == -1 else f"dim {k}"


def broadcast(shapes: Sequence[Shape]) -> tuple[Item, ...] | Bad:
    """NumPy's broadcast of ``shapes``: aligned from the right, 1 stretches, else equal."""
    out: list[Item] = []
    for k in itertools.count(1):
        items: list[Item] = []
        for s in shapes:
            if k <= len(s):
                items.append(s[-k])
        if not items:
            break
        if any(isinstance(i, Star) for i in items):
            # Dims nobody tracks from here on: the rest of the result is unknown too.
            out.append(next(i for i in items if isinstance(i, Star)))
            break
        fixed = [i for i in items if isinstance(i, Fixed)]
        known = [i for i in fixed if i.dim is not None and i.dim != 1]
        for a, b in itertools.combinations(known, 2):
            if _distinct(a.dim, b.dim):
                return Bad(
                    f"{_where(-k)} is {show_dim(a.dim)} in one, {show_dim(b.dim)} in another"
                )
        if known:
            literal = [i for i in known if isinstance(i.dim, int)]
            out.append(literal[0] if literal else known[0])
        elif all(i.dim == 1 for i in fixed):
            out.append(fixed[0])
        else:
            out.append(_unknown())
    return tuple(reversed(out))


# ---- elementwise --------------------------------------------------------------------
def _elementwise(call: ArrayCall, operands: list[Shape | None], name: str) -> Type:
    if any(s is None for s in operands) or not call.has_dims:
        return call.ctx.default_return_type
    shapes = [s for s in operands if s is not None]
    out = broadcast(shapes)
    if isinstance(out, Bad):
        shown = ", ".join(call.show(s) for s in shapes)
        return call.fail(f"operands of {name} do not broadcast: {out} ({shown})")
    return call.result(out)


def binary_operator(symbol: str) -> Rule:
    """``x + y`` (and the other arithmetic and comparison operators) broadcast."""

    def rule(call: ArrayCall) -> Type:
        return _elementwise(call, [call.receiver(), call.positional(0)], f'"{symbol}"')

    return rule


def unary_operator(call: ArrayCall) -> Type:
    """``-x``, ``abs(x)``: the receiver's shape."""
    x = call.receiver()
    return _elementwise(call, [x], "the operator")


def ufunc(call: ArrayCall) -> Type:
    """``np.tanh(x)``, ``np.add(x, y)``, ``np.maximum(x, y)``: the operands broadcast."""
    receiver = get_proper_type(call.ctx.type) if isinstance(call.ctx, MethodContext) else None
    name = _ufunc_name(receiver)
    count = 1 if "Nin1" in (receiver.type.name if isinstance(receiver, Instance) else "") else 2
    operands = [call.positional(i) for i in range(count)]
    return _elementwise(call, operands, f"np.{name}" if name else "the ufunc")


def _ufunc_name(receiver: object) -> str | None:
    if isinstance(receiver, Instance) and receiver.args:
        name = get_proper_type(receiver.args[0])
        if isinstance(name, LiteralType) and isinstance(name.value, str):
            return name.value
    return None


def where(call: ArrayCall) -> Type:
    """``np.where(condition, x, y)``: the three broadcast."""
    if len(call.ctx.arg_types) < 3 or not all(call.ctx.arg_types[:3]):
        return call.ctx.default_return_type
    return _elementwise(call, [call.positional(i) for i in range(3)], "np.where")


# ---- matmul -------------------------------------------------------------------------
def _matmul(call: ArrayCall, a: Shape | None, b: Shape | None, name: str) -> Type:
    if a is None or b is None or not call.has_dims:
        return call.ctx.default_return_type
    if len(a) == 0 or len(b) == 0:
        operands = f"{call.show(a)} @ {call.show(b)}"
        return call.fail(f"{name}: a scalar cannot be a matmul operand ({operands})")
    if (
        isinstance(a[-1], Star)
        or (len(b) > 1 and isinstance(b[-2], Star))
        or isinstance(b[-1], Star)
    ):
        return call.ctx.default_return_type
    k_left = a[-1]
    k_right = b[-2] if len(b) > 1 else b[-1]
    assert isinstance(k_left, Fixed) and isinstance(k_right, Fixed)
    if _differ(k_left.dim, k_right.dim):
        return call.fail(
            f"{name}: the left operand's last dim is {show_dim(k_left.dim)}, the right "
            f"operand's {'dim -2' if len(b) > 1 else 'last dim'} is {show_dim(k_right.dim)} "
            f"({call.show(a)} @ {call.show(b)})"
        )
    if len(a) == 1 and len(b) == 1:
        return call.result(())
    if len(b) == 1:
        return call.result(a[:-1])
    if len(a) == 1:
        return call.result((*b[:-2], b[-1]))
    batch = broadcast([a[:-2], b[:-2]])
    if isinstance(batch, Bad):
        return call.fail(f"{name}: the batch dims do not broadcast: {batch}")
    return call.result((*batch, a[-2], b[-1]))


def matmul_operator(call: ArrayCall) -> Type:
    """``a @ b``: ``[..., n, k] @ [..., k, m] -> [..., n, m]`` (and NumPy's 1-D cases)."""
    return _matmul(call, call.receiver(), call.positional(0), '"@"')


def matmul_reflected(call: ArrayCall) -> Type:
    """``b.__rmatmul__(a)`` is ``a @ b``."""
    return _matmul(call, call.positional(0), call.receiver(), '"@"')


def matmul_function(call: ArrayCall) -> Type:
    """``np.matmul(a, b)`` (a generalised ufunc: only matmul's signature is read)."""
    receiver = get_proper_type(call.ctx.type) if isinstance(call.ctx, MethodContext) else None
    if _ufunc_name(receiver) != "matmul":
        return call.ctx.default_return_type
    return _matmul(call, call.positional(0), call.positional(1), "np.matmul")


def dot(call: ArrayCall) -> Type:
    """``np.dot(a, b)``: matmul for operands of rank 1 or 2 (N-D dot is another rule)."""
    a, b = call.positional(0), call.positional(1)
    if a is None or b is None or len(a) > 2 or len(b) > 2 or not a or not b:
        return call.ctx.default_return_type
    return _matmul(call, a, b, "np.dot")


# ---- axes ---------------------------------------------------------------------------
def transpose_attribute(infos: Callable[[], Infos | None], ctx: AttributeContext) -> Type:
    """``x.T`` reverses every axis."""
    p = get_proper_type(ctx.type)
    found = infos()
    if found is None or not (isinstance(p, Instance) and array_has_dims(p)):
        return ctx.default_attr_type
    x = shape_of(p, {}, formal=False)
    if any(isinstance(i, Star) for i in x):
        return ctx.default_attr_type
    return with_shape(p, [i.type for i in reversed(x)], found.tuple_info)


def _permuted(call: ArrayCall, x: Shape | None, axes: object, name: str) -> Type:
    if x is None or not call.has_dims or any(isinstance(i, Star) for i in x):
        return call.ctx.default_return_type
    if axes is None:
        return call.result(tuple(reversed(x)))
    if not (isinstance(axes, tuple) and all(type(a) is int for a in axes)):
        return call.ctx.default_return_type
    resolved = [resolve_axis(x, a) for a in axes]
    if len(axes) != len(x) or any(not isinstance(r, int) for r in resolved):
        return call.fail(f"{name}: axes {list(axes)} are not a permutation of {call.show(x)}")
    if sorted(r for r in resolved if isinstance(r, int)) != list(range(len(x))):
        return call.fail(f"{name}: axes {list(axes)} are not a permutation of {call.show(x)}")
    return call.result(tuple(x[r] for r in resolved if isinstance(r, int)))


def transpose_method(call: ArrayCall) -> Type:
    """``x.transpose()`` reverses the axes; ``x.transpose(axes)`` permutes them."""
    exprs = call.ctx.args[0] if call.ctx.args else []
    axes = None if not exprs else call.static_exprs(exprs)
    return _permuted(call, call.receiver(), axes, "transpose")


def transpose_function(call: ArrayCall) -> Type:
    """``np.transpose(x, axes=None)``."""
    exprs = call.ctx.args[1] if len(call.ctx.args) > 1 else []
    axes = None if not exprs else call.static_exprs(exprs)
    return _permuted(call, call.positional(0), axes, "np.transpose")


def _swap(call: ArrayCall, x: Shape | None, first: object, second: object, name: str) -> Type:
    if x is None or not call.has_dims or type(first) is not int or type(second) is not int:
        return call.ctx.default_return_type
    return swap(call, x, first, second, name)


def swapaxes_method(call: ArrayCall) -> Type:
    """``x.swapaxes(a, b)``."""
    a, b = (call.static_exprs(e) if e else NOT_STATIC for e in call.ctx.args[:2])
    return _swap(call, call.receiver(), a, b, "swapaxes")


def swapaxes_function(call: ArrayCall) -> Type:
    """``np.swapaxes(x, a, b)``."""
    if len(call.ctx.args) < 3:
        return call.ctx.default_return_type
    a, b = (call.static_exprs(e) if e else NOT_STATIC for e in call.ctx.args[1:3])
    return _swap(call, call.positional(0), a, b, "np.swapaxes")


def moveaxis(call: ArrayCall) -> Type:
    """``np.moveaxis(x, source, destination)`` for single axes."""
    x = call.positional(0)
    if x is None or len(call.ctx.args) < 3 or not call.has_dims:
        return call.ctx.default_return_type
    src, dst = (call.static_exprs(e) if e else NOT_STATIC for e in call.ctx.args[1:3])
    if type(src) is not int or type(dst) is not int or any(isinstance(i, Star) for i in x):
        return call.ctx.default_return_type
    i, j = resolve_axis(x, src), resolve_axis(x, dst)
    for r in (i, j):
        if isinstance(r, Bad):
            return call.fail(f"np.moveaxis: {r}")
    assert isinstance(i, int) and isinstance(j, int)
    out = list(x)
    out.insert(j, out.pop(i))
    return call.result(out)


# ---- reductions ---------------------------------------------------------------------
def _reduce(call: ArrayCall, x: Shape | None, axis: object, keepdims: object, name: str) -> Type:
    if x is None or not call.has_dims or axis is NOT_STATIC or keepdims is NOT_STATIC:
        return call.ctx.default_return_type
    one = Fixed(1, call.infos.literal(1))
    if axis is None:
        if any(isinstance(i, Star) for i in x):
            return call.ctx.default_return_type
        return call.result(tuple(one for _ in x) if keepdims else ())
    axes = (axis,) if type(axis) is int else axis
    if not (isinstance(axes, tuple) and all(type(a) is int for a in axes)):
        return call.ctx.default_return_type
    resolved = set()
    for a in axes:
        r = resolve_axis(x, a)
        if isinstance(r, Bad):
            return call.fail(f"{name}: {r}")
        if r is None:
            return call.ctx.default_return_type
        resolved.add(r)
    if keepdims:
        return call.result(tuple(one if k in resolved else it for k, it in enumerate(x)))
    return call.result(tuple(it for k, it in enumerate(x) if k not in resolved))


def reduction_method(name: str) -> Rule:
    """``x.sum(axis=..., keepdims=...)`` and the other reductions."""

    def rule(call: ArrayCall) -> Type:
        axis = call.static("axis", None)
        keepdims = call.static("keepdims", False)
        return _reduce(call, call.receiver(), axis, keepdims, name)

    return rule


def reduction_function(name: str) -> Rule:
    """``np.sum(x, axis=..., keepdims=...)`` and the other reductions."""

    def rule(call: ArrayCall) -> Type:
        axis = call.static("axis", None)
        keepdims = call.static("keepdims", False)
        return _reduce(call, call.positional(0), axis, keepdims, f"np.{name}")

    return rule


# ---- joining ------------------------------------------------------------------------
def _listed(call: ArrayCall) -> list[Shape] | None:
    exprs = call.ctx.args[0] if call.ctx.args else []
    if len(exprs) != 1 or not isinstance(exprs[0], ListExpr | TupleExpr):
        return None
    shapes = []
    for e in exprs[0].items:
        t = _expr_type(call.ctx, e)
        shape = None if t is None else call.shape_of_type(t)
        if shape is None or any(isinstance(i, Star) for i in shape):
            return None
        shapes.append(shape)
    return shapes


def concatenate(call: ArrayCall) -> Type:
    """``np.concatenate([a, b], axis=0)``: dims off the axis agree, the axis dims add up."""
    shapes = _listed(call)
    axis = call.static("axis", 0)
    if not shapes or type(axis) is not int or not call.has_dims:
        return call.ctx.default_return_type
    first = shapes[0]
    ax = resolve_axis(first, axis)
    if not first or isinstance(ax, Bad) or ax is None:
        reason = ax if isinstance(ax, Bad) else "cannot concatenate rank-0 arrays"
        return call.fail(f"np.concatenate: {reason}")
    for n, s in enumerate(shapes[1:], start=1):
        if len(s) != len(first):
            return call.fail(
                f"np.concatenate: array {n} {call.show(s)} has rank {len(s)}, array 0 "
                f"{call.show(first)} has rank {len(first)}"
            )
        for k, (a, b) in enumerate(zip(first, s, strict=True)):
            assert isinstance(a, Fixed) and isinstance(b, Fixed)
            if k != ax and a.dim is not None and b.dim is not None and a.dim != b.dim:
                return call.fail(
                    f"np.concatenate: dims off axis {axis} must agree: array 0 "
                    f"{call.show(first)} has {show_dim(a.dim)} at dim {k}, array {n} "
                    f"{call.show(s)} has {show_dim(b.dim)}"
                )
    return call.result(joined(call, shapes, ax))


def stack(call: ArrayCall) -> Type:
    """``np.stack([a, b], axis=0)``: equal shapes, a new axis of the list's length."""
    shapes = _listed(call)
    axis = call.static("axis", 0)
    if not shapes or type(axis) is not int or not call.has_dims:
        return call.ctx.default_return_type
    first = shapes[0]
    for n, s in enumerate(shapes[1:], start=1):
        same = len(s) == len(first) and all(
            isinstance(a, Fixed) and isinstance(b, Fixed) and not _distinct_or_int(a.dim, b.dim)
            for a, b in zip(first, s, strict=True)
        )
        if not same:
            return call.fail(
                f"np.stack: array {n} {call.show(s)} differs from array 0 {call.show(first)}: "
                "all must have one shape"
            )
    ax = resolve_axis((*first, _unknown()), axis)
    if isinstance(ax, Bad) or ax is None:
        return call.fail(
            f"np.stack: axis {axis} is out of range for a new axis of {call.show(first)}"
        )
    out = list(first)
    out.insert(ax, call.fixed(len(shapes)))
    return call.result(out)


def split(call: ArrayCall) -> Type:
    """``np.split(x, k, axis=0)``: ``k`` equal parts along the axis, which ``k`` must divide."""
    x = call.positional(0)
    sections = call.static("indices_or_sections", NOT_STATIC)
    axis = call.static("axis", 0)
    if x is None or type(sections) is not int or type(axis) is not int or not call.has_dims:
        return call.ctx.default_return_type
    ax = resolve_axis(x, axis)
    if isinstance(ax, Bad):
        return call.fail(f"np.split: {ax}")
    if ax is None or sections <= 0:
        return call.ctx.default_return_type
    item = x[ax]
    assert isinstance(item, Fixed)
    if isinstance(item.dim, int) and item.dim % sections:
        return call.fail(
            f"np.split: dim {axis} of {call.show(x)} is {item.dim}, which {sections} equal "
            "parts do not divide"
        )
    part = list(x)
    part[ax] = call.fixed(floordiv(item.dim, sections) if item.dim is not None else None)
    return call.ctx.api.named_generic_type("builtins.list", [call.result(part)])


def _distinct_or_int(a: SDim, b: SDim) -> bool:
    return a is not None and b is not None and a != b


# ---- building and reshaping ---------------------------------------------------------
def static_dims(call: ArrayCall, exprs: Sequence[Expression]) -> list[SDim] | None:
    """Sizes written as literals, named dims (``b, t, _ = x.shape``) or their arithmetic."""
    if len(exprs) == 1 and isinstance(exprs[0], TupleExpr):
        exprs = exprs[0].items
    out = [_size(call, e) for e in exprs]
    return None if any(isinstance(d, Bad) for d in out) else out  # type: ignore[return-value]


def _size(call: ArrayCall, e: Expression) -> SDim | Bad:
    if isinstance(e, IntExpr):
        return e.value
    if isinstance(e, OpExpr) and e.op in ("+", "*", "-"):
        left, right = _size(call, e.left), _size(call, e.right)
        if isinstance(left, Bad) or isinstance(right, Bad):
            return Bad("not static")
        if left is None or right is None:
            return None
        if e.op == "+":
            return add(left, right)
        if e.op == "*":
            return mul(left, right)
        return add(left, mul(-1, right))
    t = _expr_type(call.ctx, e)
    if t is None:
        return None
    p = get_proper_type(t)
    value = int_value(p)
    if value is not None:
        return value
    d = dim_of(t, call.atoms, formal=False)
    return None if isinstance(d, Bad) else d


def build(call: ArrayCall) -> Type:
    """``np.zeros((3, n))``, ``np.ones``, ``np.empty``, ``np.full``: the shape as written."""
    exprs = call.ctx.args[0] if call.ctx.args else []
    if len(exprs) != 1:
        return call.ctx.default_return_type
    dims = static_dims(call, exprs)
    if dims is None or not any(d is not None for d in dims) or not _in_jaxtyping_module(call):
        return call.ctx.default_return_type
    if any(isinstance(d, int) and d < 0 for d in dims):
        return call.fail(f"negative dimensions are not allowed: {[show_dim(d) for d in dims]}")
    default = get_proper_type(call.ctx.default_return_type)
    if not (isinstance(default, Instance) and default.type.fullname == NDARRAY):
        return call.ctx.default_return_type
    call.template = default
    return call.result([call.fixed(d) for d in dims])


def _in_jaxtyping_module(call: ArrayCall) -> bool:
    """Literal shapes are written into results only in modules that annotate arrays."""
    tree = getattr(call.ctx.api, "tree", None)
    imports = getattr(tree, "imports", [])
    for imp in imports:
        ids = [i for i, _ in getattr(imp, "ids", [])] or [getattr(imp, "id", "")]
        if any(i == "jaxtyping" or i.startswith("jaxtyping.") for i in ids):
            return True
    return False


def _product(dims: Sequence[SDim]) -> SDim:
    if any(d is None for d in dims):
        return None
    return mul(*[d for d in dims if d is not None]) if dims else 1


def reshape(call: ArrayCall) -> Type:
    """``x.reshape(b * t, 64)`` / ``x.reshape((b, -1))``: the element counts agree."""
    x = call.receiver()
    # Read the call as written: each of NumPy's reshape overloads maps the sizes differently.
    written = call.ctx.context
    if not isinstance(written, CallExpr):
        return call.ctx.default_return_type
    exprs = [e for e, kind in zip(written.args, written.arg_kinds, strict=True) if kind == ARG_POS]
    if x is None or not exprs or not call.has_dims or any(isinstance(i, Star) for i in x):
        return call.ctx.default_return_type
    dims = static_dims(call, exprs)
    if dims is None:
        return call.ctx.default_return_type
    total = _product([i.dim for i in x if isinstance(i, Fixed)])
    minus = [k for k, d in enumerate(dims) if isinstance(d, int) and d == -1]
    if len(minus) > 1 or any(isinstance(d, int) and d < -1 for d in dims):
        return call.fail(f"reshape: {_sizes(dims)} is not a shape (one -1 at most)")
    if minus:
        known = _product([d for d in dims if d != -1])
        if isinstance(total, int) and isinstance(known, int) and known and total % known:
            return call.fail(
                f"reshape: {call.show(x)} has {total} elements, not a multiple of {known} "
                f"({_sizes(dims)})"
            )
        inferred = (
            total // known if isinstance(total, int) and isinstance(known, int) and known else None
        )
        dims[minus[0]] = inferred
    new = _product(dims)
    if total is not None and new is not None and total != new and _comparable(total, new):
        return call.fail(
            f"reshape: {call.show(x)} has {show_dim(total)} elements, the new shape "
            f"{_sizes(dims)} has {show_dim(new)}"
        )
    return call.result([call.fixed(d) for d in dims])


def _comparable(a: SDim, b: SDim) -> bool:
    """Two counts are known to differ: both literal, or equal atoms with other factors."""
    if isinstance(a, int) and isinstance(b, int):
        return True
    return isinstance(a, Dim) and isinstance(b, Dim) and a.names == b.names


def _sizes(dims: Sequence[SDim]) -> str:
    return "(" + ", ".join(show_dim(d) for d in dims) + ")"


# ---- indexing -----------------------------------------------------------------------
def getitem(call: ArrayCall) -> Type:
    """``x[0]``, ``x[:, 1:]``, ``x[None]``, ``x[..., 0]``, ``table[ids]``."""
    x = call.receiver()
    exprs = call.ctx.args[0] if call.ctx.args else []
    if x is None or len(exprs) != 1 or not call.has_dims or any(isinstance(i, Star) for i in x):
        return call.ctx.default_return_type
    index = exprs[0]
    parts = list(index.items) if isinstance(index, TupleExpr) else [index]
    kinds = [_index_kind(call, p) for p in parts]
    if any(k is None for k in kinds):
        return call.ctx.default_return_type
    consuming = sum(k in ("int", "slice", "part") or isinstance(k, tuple) for k in kinds)
    if kinds.count("...") > 1:
        return call.ctx.default_return_type
    if consuming > len(x):
        return call.fail(f"index: {consuming} indices for {call.show(x)} of rank {len(x)}")
    if "..." in kinds:
        at = kinds.index("...")
        kinds[at : at + 1] = ["slice"] * (len(x) - consuming)
    else:
        kinds += ["slice"] * (len(x) - consuming)
    out: list[Item] = []
    axis = 0
    arrays = [k for k in kinds if isinstance(k, tuple)]
    if len(arrays) > 1:
        return call.ctx.default_return_type
    for k in kinds:
        if k == "none":
            out.append(Fixed(1, call.infos.literal(1)))
        elif k == "int":
            axis += 1
        elif k == "slice":
            out.append(x[axis])
            axis += 1
        elif k == "part":
            out.append(_unknown())
            axis += 1
        elif isinstance(k, tuple):
            out.extend(k)
            axis += 1
    return call.result(out)


def _index_kind(call: ArrayCall, e: Expression) -> object:
    if isinstance(e, SliceExpr):
        whole = e.begin_index is None and e.end_index is None and e.stride is None
        return "slice" if whole else "part"
    if isinstance(e, EllipsisExpr):
        return "..."
    if isinstance(e, NameExpr) and e.fullname == "builtins.None":
        return "none"
    t = _expr_type(call.ctx, e)
    p = get_proper_type(t) if t is not None else None
    if isinstance(p, LiteralType):
        p = p.fallback
    if isinstance(p, Instance) and p.type.fullname == "builtins.int":
        return "int"
    if isinstance(p, Instance) and p.type.fullname == NDARRAY and array_has_dims(p):
        ids = shape_of(p, call.atoms, formal=False)
        if any(isinstance(i, Star) for i in ids):
            return None
        return tuple(ids)
    return None


# ---- einsum -------------------------------------------------------------------------
def einsum(call: ArrayCall) -> Type:
    """``np.einsum("bij,bjk->bik", x, y)`` with a literal subscript string."""
    exprs = call.ctx.args[0] if call.ctx.args else []
    if len(exprs) != 1 or not isinstance(exprs[0], StrExpr):
        return call.ctx.default_return_type
    spec = exprs[0].value.replace(" ", "")
    if "." in spec:
        return call.ctx.default_return_type
    operands = [call.shape_of_type(t) for arg in call.ctx.arg_types[1:] for t in arg]
    if any(s is None for s in operands) or not call.has_dims:
        return call.ctx.default_return_type
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(operands):
        return call.fail(f'np.einsum: "{spec}" names {len(terms)} operands, got {len(operands)}')
    sizes: dict[str, Item] = {}
    for n, (term, shape) in enumerate(zip(terms, operands, strict=True)):
        assert shape is not None
        if len(term) != len(shape):
            return call.fail(
                f'np.einsum: operand {n} "{term}" has {len(term)} subscripts, the array '
                f"{call.show(shape)} has rank {len(shape)}"
            )
        for letter, item in zip(term, shape, strict=True):
            assert isinstance(item, Fixed)
            seen = sizes.get(letter)
            if seen is None or (isinstance(seen, Fixed) and seen.dim in (None, 1)):
                sizes[letter] = item
            elif (
                isinstance(seen, Fixed)
                and item.dim not in (None, 1)
                and _distinct(seen.dim, item.dim)
            ):
                return call.fail(
                    f'np.einsum: subscript "{letter}" is {show_dim(seen.dim)} in one operand, '
                    f"{show_dim(item.dim)} in operand {n} {call.show(shape)}"
                )
    if not arrow:
        counts = {c: inputs.count(c) for c in set(inputs) - {","}}
        output = "".join(sorted(c for c, k in counts.items() if k == 1))
    if any(c not in sizes for c in output):
        return call.fail(f'np.einsum: output subscript of "{spec}" names no input subscript')
    return call.result([sizes[c] for c in output])


# ---- the tables ---------------------------------------------------------------------
_N = "numpy.ndarray."
_OPERATORS = {
    "__add__": "+", "__radd__": "+", "__sub__": "-", "__rsub__": "-", "__mul__": "*",
    "__rmul__": "*", "__truediv__": "/", "__rtruediv__": "/", "__floordiv__": "//",
    "__rfloordiv__": "//", "__pow__": "**", "__rpow__": "**", "__mod__": "%",
    "__lt__": "<", "__le__": "<=", "__gt__": ">", "__ge__": ">=", "__and__": "&",
    "__or__": "|", "__xor__": "^",
}  # fmt: skip
_COMMON = "numpy._ArrayOrScalarCommon."
_REDUCTIONS = ("sum", "mean", "max", "min", "var", "std", "prod", "argmax", "argmin", "any", "all")
_FROMNUMERIC = "numpy._core.fromnumeric."
_UFUNC = "numpy._typing._ufunc."
TRANSPOSE_ATTRIBUTES = frozenset((_N + "T", _COMMON + "T"))
METHODS: dict[str, Rule] = {
    **{_N + name: binary_operator(symbol) for name, symbol in _OPERATORS.items()},
    **{_N + name: unary_operator for name in ("__neg__", "__pos__", "__abs__", "__invert__")},
    **{_N + name: reduction_method(name) for name in _REDUCTIONS},
    **{_COMMON + name: reduction_method(name) for name in _REDUCTIONS},
    _N + "__matmul__": matmul_operator,
    _N + "__rmatmul__": matmul_reflected,
    _N + "transpose": transpose_method,
    _COMMON + "transpose": transpose_method,
    _N + "swapaxes": swapaxes_method,
    _N + "reshape": reshape,
    _N + "__getitem__": getitem,
    _UFUNC + "_UFunc_Nin1_Nout1.__call__": ufunc,
    _UFUNC + "_UFunc_Nin2_Nout1.__call__": ufunc,
    _UFUNC + "_GUFunc_Nin2_Nout1.__call__": matmul_function,
    # ``np.zeros`` and ``np.empty`` are instances of a callable protocol in NumPy's stubs.
    "numpy._core.multiarray._ConstructorEmpty.__call__": build,
}
FUNCTIONS: dict[str, Rule] = {
    **{_FROMNUMERIC + name: reduction_function(name) for name in _REDUCTIONS},
    _FROMNUMERIC + "amax": reduction_function("max"),
    _FROMNUMERIC + "amin": reduction_function("min"),
    _FROMNUMERIC + "transpose": transpose_function,
    _FROMNUMERIC + "swapaxes": swapaxes_function,
    "numpy._core.numeric.moveaxis": moveaxis,
    "numpy._core.multiarray.where": where,
    "numpy._core.multiarray.dot": dot,
    "numpy._core.multiarray.concatenate": concatenate,
    "numpy._core.shape_base.stack": stack,
    "numpy.lib._shape_base_impl.split": split,
    "numpy._core.numeric.full": build,
    "numpy._core.einsumfunc.einsum": einsum,
}


def run(
    rule: Rule, infos: Callable[[], Infos | None], ctx: FunctionContext | MethodContext
) -> Type:
    """Apply a NumPy op's rule, then compare its answer with the declared type it meets."""
    found = infos()
    if found is None:
        return check_context(ctx, ctx.default_return_type)
    context, expected = ctx.context, _type_context(ctx.api)
    receiver = ctx.type if isinstance(ctx, MethodContext) else None
    key = (rule, found, receiver, ctx.default_return_type, ctx.arg_types, ctx.callee_arg_names)
    # A line that has a shape error already answers differently (``check_context``).
    reported = reported_at(ctx.api, context.line)
    kept = None if reported else _ANSWERS.get(id(context))
    if kept is not None and kept.context is context and kept.key == key:
        if kept.answer is not None and kept.expected is expected:
            return kept.answer
        result = kept.result
    else:
        call = ArrayCall(ctx, found)
        result = rule(call)
        # Kept only if nothing was reported: a report must be made again on the next item.
        kept = None if call.failed or reported else _Kept(context, key, result)
        if kept is not None:
            if len(_ANSWERS) > 4096:
                _ANSWERS.clear()
            _ANSWERS[id(context)] = kept
    answer = check_context(ctx, result)
    if kept is not None and answer is not expected:
        kept.expected, kept.answer = expected, answer
    return answer


@dataclass
class _Kept:
    """A rule's result for one call, and its answer against the last declared type met."""

    context: Context
    key: object
    result: Type
    expected: Type | None = None
    answer: Type | None = None


# NumPy's operators have dozens of overload items, and with an array of unknown dtype mypy
# tries every one (each matches: ``loose_signature``), calling the hook each time with the
# same operands; mypy also checks one expression again in each type context it meets. The
# rule's result is kept per call expression (kept alive, so that its id stays its own) while
# the item's types are the same, and compared again only with another declared type.
_ANSWERS: dict[int, _Kept] = {}


def _type_context(api: object) -> Type | None:
    """The declared type the expression being checked meets (``check_context`` reads it)."""
    stack = getattr(getattr(api, "expr_checker", None), "type_context", None)
    return stack[-1] if stack else None


def loose_signature(ctx: MethodSigContext) -> FunctionLike:
    """A NumPy method on an array with dims and no known dtype, taking and giving ``Any``.

    NumPy's overloads tell the dtypes apart; with the dtype unknown every one of them matches,
    and mypy would weigh them all against the shaped operands for nothing: the rule gives the
    result, the same for every item. With a known dtype NumPy's signature stays, and with it
    NumPy's dtype. An elementwise ufunc called on such arrays (and Python numbers) alone is
    loosened too: mypy would otherwise infer the operands again for each of its items.
    """
    sig = ctx.default_signature
    receiver = get_proper_type(ctx.type)
    if not (_loose(receiver) or _ufunc_on_loose_arrays(ctx, receiver)):
        return sig
    return narrowed(ctx, _loosened)


def _loosened(sig: CallableType) -> CallableType:
    """``sig`` taking and giving ``Any``."""
    args: list[Type] = [_ANY] * len(sig.arg_types)
    if sig.unpack_kwargs:
        # ``**kwargs: Unpack[TypedDict]``: mypy reads the keywords off that TypedDict.
        args[-1] = sig.arg_types[-1]
    return sig.copy_modified(arg_types=args, ret_type=_ANY, variables=[])


# The elementwise ufuncs, by their class in NumPy's stubs, and how many operands they take.
_ELEMENTWISE = {_UFUNC + "_UFunc_Nin1_Nout1": 1, _UFUNC + "_UFunc_Nin2_Nout1": 2}


def _ufunc_on_loose_arrays(ctx: MethodSigContext, receiver: object) -> bool:
    """``np.tanh(x)``, ``np.maximum(x, 0.0)``: operands only, every array with dims and no
    known dtype. The rule's answer then does not depend on the overload item.

    The operands' types are read as mypy infers them next anyway (with no type context: an
    operator or call is then taken from mypy's own cache).
    """
    if not isinstance(receiver, Instance):
        return False
    count = _ELEMENTWISE.get(receiver.type.fullname)
    call = ctx.context
    if count is None or not isinstance(call, CallExpr) or len(call.args) != count:
        return False
    if any(kind != ARG_POS for kind in call.arg_kinds):
        return False
    arrays = 0
    for arg in call.args:
        # Kinds mypy caches or types at once: read again per item, they cost next to nothing.
        if not isinstance(arg, (NameExpr, OpExpr, CallExpr, IntExpr, FloatExpr)):
            return False
        p = get_proper_type(ctx.api.get_expression_type(arg))
        if isinstance(p, LiteralType):
            p = p.fallback
        if _loose(p):
            arrays += 1
        elif not (isinstance(p, Instance) and p.type.fullname in _NUMBERS):
            return False
    return arrays > 0


# mypy asks ``loose_signature`` once per overload item with the same receiver type.
_LOOSE: ByIdentity[bool] = ByIdentity(512)


def _loose(p: object) -> bool:
    """An array with dims and no known dtype (memoised by the type object)."""
    hit = _LOOSE.get(p)
    if hit is not None:
        return hit
    return _LOOSE.put(
        p,
        isinstance(p, Instance)
        and p.type.fullname == NDARRAY
        and array_has_dims(p)
        and _unknown_dtype(p),
    )
