"""Strict unification of a callee's declared shapes with the shapes of the actual arguments.

Every size TypeVar of the callee binds once per call (a literal, a caller's TypeVar or a
normal-form sum) and every later use must agree exactly; a mismatch is a reason string
naming the argument, the dim (position and symbol), the expected and the got.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mypy.constraints import SUPERTYPE_OF, infer_constraints
from mypy.maptype import map_instance_to_supertype
from mypy.nodes import TypeInfo
from mypy.subtypes import find_member, is_same_type
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    ProperType,
    TupleType,
    Type,
    TypeOfAny,
    TypeVarType,
    UninhabitedType,
    UnionType,
    get_proper_type,
)
from mypy.typevars import fill_typevars

from shapely_nn._dims import Dim, DimLike, add, floordiv, mul
from shapely_nn.mypy_plugin._shapes import (
    ARITH,
    MAX_DEPTH,
    UNKNOWN,
    Bad,
    Fixed,
    Item,
    SDim,
    Shape,
    Star,
    dim_of,
    int_value,
    is_shape_var,
    is_shaped,
    kind_of,
    shape_of,
    show_dim,
    show_item,
    show_tensor,
)

# The callee's name already shows what the receiver binds (``Linear[128, 10]``).
RECEIVER = "the receiver"


@dataclass(frozen=True)
class Site:
    """Where a dim comes from: the argument, the position in it, and its whole shape."""

    arg: str
    pos: str
    shape: str


@dataclass(frozen=True)
class Pending:
    """A dim equation that had more than one unknown when first seen."""

    formal: DimLike
    actual: DimLike
    site: Site


def unknowns(d: DimLike) -> list[str]:
    """The callee's unknown atoms in ``d``, sorted."""
    if isinstance(d, int):
        return []
    return sorted(n for n in d.names if n.startswith(UNKNOWN))


def substitute(d: DimLike, env: dict[str, SDim]) -> SDim:
    """``d`` with bound unknowns replaced; ``None`` if one of them is bound to a wildcard."""
    if isinstance(d, int):
        return d
    total: DimLike = 0
    for mono, coeff in d.terms:
        term: DimLike = coeff
        for name in mono:
            if name in env:
                value = env[name]
                if value is None:
                    return None
                term = mul(term, value)
            else:
                term = mul(term, Dim.from_terms((((name,), 1),)))
        total = add(total, term)
    return total


def _nonnegative(d: DimLike) -> bool:
    if isinstance(d, int):
        return d >= 0
    return all(c > 0 for _, c in d.terms)


def solve_linear(value: DimLike, name: str, actual: DimLike) -> DimLike | Bad | None:
    """Solve ``value == actual`` for ``name`` if it appears linearly; ``None`` if not linear."""
    assert isinstance(value, Dim)
    coeff = 0
    rest: list[tuple[tuple[str, ...], int]] = []
    for mono, c in value.terms:
        if name in mono:
            if mono != (name,):
                return None
            coeff += c
        else:
            rest.append((mono, c))
    diff = add(actual, mul(-1, Dim.from_terms(rest)))
    if coeff < 0:
        coeff, diff = -coeff, mul(-1, diff)
    solution = floordiv(diff, coeff) if coeff else None
    if solution is None or not _nonnegative(solution):
        return Bad(f"no size {name[1:]} makes {show_dim(value)} equal {show_dim(actual)}")
    return solution


def protocol_view(a: Instance, proto: TypeInfo) -> Instance | None:
    """``a`` seen as an instance of the protocol ``proto`` (``Linear[3, 4]`` as ``Module[3, 4]``).

    mypy's own constraint inference reads the protocol's arguments off ``a``'s members; an
    argument it cannot pin down (no constraint, ``Never``, a member's own TypeVar) is ``Any``.
    """
    template = fill_typevars(proto)
    if not isinstance(template, Instance):
        return None
    constraints = infer_constraints(template, a, SUPERTYPE_OF)
    own = _member_type_vars(a, proto)
    args: list[Type] = []
    for tv in proto.defn.type_vars:
        targets = [c.target for c in constraints if c.type_var == tv.id]
        args.append(_pick(targets, own))
    return Instance(proto, args)


def _member_type_vars(a: Instance, proto: TypeInfo) -> set[str]:
    """Names of the TypeVars the protocol's methods bind on ``a`` (``*Batch`` of ``__call__``)."""
    names: set[str] = set()
    for member in proto.protocol_members:
        found = find_member(member, a, a)
        p = get_proper_type(found) if found is not None else None
        if isinstance(p, CallableType):
            names.update(v.name for v in p.variables)
    return names


def keeps_shape(a: Instance) -> bool:
    """Whether ``a.__call__`` returns a tensor of its argument's very shape (an activation)."""
    call = find_member("__call__", a, a)
    p = get_proper_type(call) if call is not None else None
    if not isinstance(p, CallableType) or not p.arg_types:
        return False
    return is_same_type(p.arg_types[0], p.ret_type)


def _pick(targets: list[Type], own: set[str]) -> Type:
    for target in targets:
        p = get_proper_type(target)
        if isinstance(p, UninhabitedType | AnyType):
            continue
        if isinstance(p, TypeVarType) and p.name in own:
            continue
        if isinstance(dim_of(target, {}, formal=False), Bad):
            continue
        return target
    return AnyType(TypeOfAny.special_form)


def position(index: int, from_end: bool) -> str:
    """``dim 0``, ``last dim``, ``dim -2``."""
    if not from_end:
        return f"dim {index}"
    return "last dim" if index == -1 else f"dim {index}"


def _may_equal(a: DimLike, b: DimLike) -> bool:
    """jaxtyping's named dims: a name against a literal size may be that size at run time."""
    return isinstance(a, int) != isinstance(b, int)


@dataclass
class Unifier:
    """Bindings of one call: dims, variadic parts, and where each was bound."""

    dims: dict[str, SDim] = field(default_factory=dict)
    weak: dict[str, Type] = field(default_factory=dict)
    stars: dict[str, tuple[Item, ...] | None] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)
    atoms: dict[str, Type] = field(default_factory=dict)
    pending: list[Pending] = field(default_factory=list)
    # Each argument as the declared generic class or protocol it was matched against.
    views: dict[str, tuple[Instance, Instance]] = field(default_factory=dict)
    # How messages name the shaped type being unified (``Tensor`` or ``ndarray``).
    kind: str = "Tensor"

    # ---- types --------------------------------------------------------------------
    def types(self, formal: Type, actual: Type, arg: str, depth: int = 0) -> str | None:
        """Unify a declared argument type with an actual one; a reason on mismatch."""
        if depth > MAX_DEPTH:
            return None
        depth += 1
        f = get_proper_type(formal)
        a = get_proper_type(actual)
        if isinstance(a, AnyType):
            return None
        if isinstance(a, UnionType):
            for member in a.items:
                reason = self.types(formal, member, arg, depth)
                if reason:
                    return reason
            return None
        if isinstance(f, UnionType):
            return self._union(f, a, arg, depth)
        if is_shape_var(f) and isinstance(f, TypeVarType):
            return self._top_level_dim(f, actual, arg)
        if isinstance(f, Instance) and isinstance(a, Instance):
            return self._instances(f, a, arg, depth)
        if isinstance(f, CallableType) and isinstance(a, CallableType):
            # A factory (``make_block``): what it builds must fit.
            return self.types(f.ret_type, a.ret_type, arg, depth)
        if isinstance(f, TupleType) and isinstance(a, TupleType):
            if len(f.items) != len(a.items):
                return None
            for fi, ai in zip(f.items, a.items, strict=True):
                reason = self.types(fi, ai, arg, depth)
                if reason:
                    return reason
        return None

    def _union(self, f: UnionType, a: ProperType, arg: str, depth: int) -> str | None:
        # Pick the member of the declared union that the actual type is an instance of.
        for member in f.items:
            m = get_proper_type(member)
            if isinstance(m, TupleType) and isinstance(a, TupleType):
                return self.types(m, a, arg, depth)
            if (
                isinstance(m, Instance)
                and isinstance(a, Instance)
                and a.type.has_base(m.type.fullname)
            ):
                return self.types(m, a, arg, depth)
        return None

    def _top_level_dim(self, f: TypeVarType, actual: Type, arg: str) -> str | None:
        formal = dim_of(f, {}, formal=True)
        got = dim_of(actual, self.atoms, formal=False)
        if isinstance(formal, Bad) or formal is None or isinstance(got, Bad):
            return None
        name = UNKNOWN + f.name
        if got is None:
            self.weak.setdefault(name, actual)
            return None
        return self.dim(formal, got, Site(arg, "", ""))

    def _instances(self, f: Instance, a: Instance, arg: str, depth: int) -> str | None:
        if is_shaped(f):
            if not is_shaped(a) or a.type.fullname != f.type.fullname:
                return None
            formal = shape_of(f, {}, formal=True)
            actual = shape_of(a, self.atoms, formal=False)
            self.kind = kind_of(f)
            return self.shape(formal, actual, arg, show_tensor(actual, self.kind))
        if f.type.has_type_var_tuple_type:
            return None
        if a.type.has_base(f.type.fullname):
            mapped = map_instance_to_supertype(a, f.type)
        elif f.type.is_protocol:
            view = protocol_view(a, f.type)
            if view is None:
                return None
            mapped = view
        else:
            return None
        self.views[arg] = (a, mapped)
        if len(mapped.args) != len(f.args):
            return None
        for i, (fa, aa) in enumerate(zip(f.args, mapped.args, strict=True)):
            reason = self._type_arg(f, i, fa, aa, arg, depth)
            if reason:
                return reason
        if f.type.is_protocol and len(f.args) >= 2 and keeps_shape(a):
            return self._same_size(f.args[0], f.args[1], arg)
        return None

    def _same_size(self, x: Type, y: Type, arg: str) -> str | None:
        """A shape-preserving part (``Tanh``): its input and output sizes are one size."""
        fx, fy = dim_of(x, {}, formal=True), dim_of(y, {}, formal=True)
        if isinstance(fx, Bad) or isinstance(fy, Bad) or fx is None or fy is None:
            return None
        vx, vy = substitute(fx, self.dims), substitute(fy, self.dims)
        if vx is not None and not unknowns(vx):
            return self.dim(fy, vx, Site(arg, "output size", ""))
        if vy is not None and not unknowns(vy):
            return self.dim(fx, vy, Site(arg, "input size", ""))
        return None

    def _type_arg(
        self, f: Instance, i: int, fa: Type, aa: Type, arg: str, depth: int
    ) -> str | None:
        fp = get_proper_type(fa)
        arith = isinstance(fp, Instance) and fp.type.fullname in ARITH
        if is_shape_var(fp) or arith or int_value(fp) is not None:
            formal = dim_of(fa, {}, formal=True)
            got = dim_of(aa, self.atoms, formal=False)
            if isinstance(formal, Bad) or formal is None or isinstance(got, Bad) or got is None:
                return None
            tv = f.type.defn.type_vars[i].name if i < len(f.type.defn.type_vars) else str(i)
            tv = tv.removesuffix("_contra").removesuffix("_co")
            return self.dim(formal, got, Site(arg, f"as the {tv} size of {f.type.name}", ""))
        return self.types(fa, aa, arg, depth)

    # ---- shapes -------------------------------------------------------------------
    def shape(self, formal: Shape, actual: Shape, arg: str, text: str) -> str | None:
        """Unify two tensor shapes item by item."""
        fstar = [i for i, it in enumerate(formal) if isinstance(it, Star)]
        astar = [i for i, it in enumerate(actual) if isinstance(it, Star)]
        if len(fstar) > 1 or len(astar) > 1:
            return None
        if not fstar:
            return self._fixed_formal(formal, actual, astar, arg, text)
        return self._star_formal(formal, fstar[0], actual, astar, arg, text)

    def _fixed_formal(
        self, formal: Shape, actual: Shape, astar: list[int], arg: str, text: str
    ) -> str | None:
        if not astar:
            if len(formal) != len(actual):
                return self._rank(formal, actual, arg, text)
            return self._items(formal, actual, 0, arg, text, from_end=False)
        star = actual[astar[0]]
        assert isinstance(star, Star)
        head, tail = actual[: astar[0]], actual[astar[0] + 1 :]
        if star.name is not None or len(head) + len(tail) > len(formal):
            return self._rank(formal, actual, arg, text)
        reason = self._items(formal[: len(head)], head, 0, arg, text, from_end=False)
        if reason or not tail:
            return reason
        return self._items(formal[-len(tail) :], tail, -len(tail), arg, text, from_end=True)

    def _star_formal(
        self, formal: Shape, fs: int, actual: Shape, astar: list[int], arg: str, text: str
    ) -> str | None:
        fhead, ftail = formal[:fs], formal[fs + 1 :]
        star = formal[fs]
        assert isinstance(star, Star)
        if astar:
            ahead, atail = actual[: astar[0]], actual[astar[0] + 1 :]
            astar_item = actual[astar[0]]
            assert isinstance(astar_item, Star)
            if astar_item.name is None:
                # Unknown rank: check what lines up at both ends, the variadic part is Any.
                reason = self._items(fhead[: len(ahead)], ahead[: len(fhead)], 0, arg, text, False)
                n = min(len(ftail), len(atail))
                if reason is None and n:
                    reason = self._items(ftail[-n:], atail[-n:], -n, arg, text, True)
                if star.name is not None:
                    self.stars.setdefault(star.name, None)
                return reason
            if len(ahead) < len(fhead) or len(atail) < len(ftail):
                return self._rank(formal, actual, arg, text)
        elif len(actual) < len(fhead) + len(ftail):
            return self._rank(formal, actual, arg, text)
        reason = self._items(fhead, actual[: len(fhead)], 0, arg, text, from_end=False)
        if reason:
            return reason
        if ftail:
            end = actual[len(actual) - len(ftail) :]
            reason = self._items(ftail, end, -len(ftail), arg, text, from_end=True)
            if reason:
                return reason
        if star.name is None:
            # ``*tuple[Any, ...]``: any leading dims, nothing to bind.
            return None
        middle = actual[len(fhead) : len(actual) - len(ftail)]
        return self._bind_star(star.name, middle, Site(arg, "", text), len(fhead))

    def _items(
        self, formal: Shape, actual: Shape, start: int, arg: str, text: str, from_end: bool
    ) -> str | None:
        for k, (f, a) in enumerate(zip(formal, actual, strict=True)):
            if not isinstance(f, Fixed) or not isinstance(a, Fixed):
                continue
            if f.dim is None or a.dim is None:
                if f.dim is not None and isinstance(f.dim, Dim) and f.dim.atom:
                    self.weak.setdefault(f.dim.atom, a.type)
                continue
            reason = self.dim(f.dim, a.dim, Site(arg, position(start + k, from_end), text))
            if reason:
                return reason
        return None

    def _rank(self, formal: Shape, actual: Shape, arg: str, text: str) -> str:
        fixed = sum(1 for it in formal if isinstance(it, Fixed))
        want = f"rank >= {fixed}" if fixed != len(formal) else f"rank {fixed}"
        if any(isinstance(it, Star) for it in actual):
            got = "a tensor of unknown rank"
        else:
            got = f"rank {len(actual)}"
        return (
            f"expects {'an array' if self.kind == 'ndarray' else 'a tensor'} of {want} "
            f"({show_tensor(formal, self.kind)}) in {arg}, got {got} ({text})"
        )

    def _bind_star(self, name: str, items: Shape, site: Site, start: int) -> str | None:
        if name not in self.stars or self.stars[name] is None:
            self.stars[name] = items
            self.origin.setdefault(name, site.arg)
            return None
        bound = self.stars[name]
        assert bound is not None
        origin = self.origin.get(name)
        where = f" (bound by {origin})" if origin not in (site.arg, RECEIVER) else ""
        if len(bound) != len(items):
            shown = "[" + ", ".join(show_item(i) for i in bound) + "]"
            got = "[" + ", ".join(show_item(i) for i in items) + "]"
            return (
                f"expects dims {shown} from dim {start}{where}, got {got} in {site.arg} "
                f"({site.shape})"
            )
        for j, (b, it) in enumerate(zip(bound, items, strict=True)):
            if not _same_item(b, it):
                return (
                    f"expects dim {start + j} = {show_item(b)}{where}, got {show_item(it)} in "
                    f"{site.arg} ({site.shape})"
                )
        return None

    # ---- dims ---------------------------------------------------------------------
    def dim(self, formal: DimLike, actual: DimLike, site: Site) -> str | None:
        """Unify one declared dim with one actual dim, binding at most one unknown."""
        value = substitute(formal, self.dims)
        if value is None:
            return None
        free = unknowns(value)
        if not free:
            if value == actual or (self.kind == "ndarray" and _may_equal(value, actual)):
                return None
            return self._mismatch(formal, value, actual, site)
        if len(free) > 1:
            self.pending.append(Pending(formal, actual, site))
            return None
        solution = solve_linear(value, free[0], actual)
        if solution is None:
            self.pending.append(Pending(formal, actual, site))
            return None
        if isinstance(solution, Bad):
            return self._mismatch(formal, value, actual, site)
        self.dims[free[0]] = solution
        self.origin[free[0]] = site.arg
        return None

    def _mismatch(self, formal: DimLike, value: DimLike, actual: DimLike, site: Site) -> str:
        symbol = show_dim(formal)
        expected = show_dim(value)
        said = (
            f"{symbol} = {expected}" if unknowns(formal) and symbol != expected else "= " + expected
        )
        origins = {self.origin[n] for n in unknowns(formal) if n in self.origin}
        others = sorted(o for o in origins if o not in (site.arg, RECEIVER))
        where = f" (bound by {', '.join(others)})" if others else ""
        if not site.pos:
            return f"expects {said}{where}, got {show_dim(actual)} in {site.arg}"
        if site.pos.startswith("as "):
            said = said.removeprefix("= ")
            return f"expects {said}{where} {site.pos}, got {show_dim(actual)} in {site.arg}"
        shape = f" ({site.shape})" if site.shape else ""
        return f"expects {site.pos} {said}{where}, got {show_dim(actual)} in {site.arg}{shape}"

    def finish(self) -> str | None:
        """Retry the equations that had several unknowns; report what stays ambiguous."""
        progress = True
        while self.pending and progress:
            progress = False
            waiting, self.pending = self.pending, []
            for p in waiting:
                before = len(self.pending)
                reason = self.dim(p.formal, p.actual, p.site)
                if reason:
                    return reason
                progress = progress or len(self.pending) == before
        if self.pending:
            p = self.pending[0]
            names = ", ".join(n[1:] for n in unknowns(substitute(p.formal, self.dims) or 0))
            return (
                f"cannot infer {names} from {p.site.pos} of {p.site.arg}: "
                f"{show_dim(p.formal)} = {show_dim(p.actual)} has many solutions"
            )
        return None

    # ---- results ------------------------------------------------------------------
    def dim_value(self, name: str) -> tuple[SDim, Type | None]:
        """The binding of an unknown size, or the wildcard type it met, if any."""
        if name in self.dims:
            return self.dims[name], None
        return None, self.weak.get(name, AnyType(TypeOfAny.special_form))


def _same_item(a: Item, b: Item) -> bool:
    if isinstance(a, Star) or isinstance(b, Star):
        return isinstance(a, Star) and isinstance(b, Star) and a.name == b.name
    return a.dim is None or b.dim is None or a.dim == b.dim
