"""Static shapes: reading mypy types as dims and shapes, and writing dims back as types.

A static dim is the shared normal form of ``shapely_nn._dims`` (an ``int`` or a ``Dim``), or
``None`` for a dim that matches anything (``int``, ``Any``). Atoms are named after the
TypeVars they come from; the callee's own TypeVars (the unknowns of a call) carry a ``$``
prefix so they never collide with the caller's TypeVars of the same name.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from mypy.nodes import TypeInfo
from mypy.subtypes import is_same_type
from mypy.types import (
    AnyType,
    Instance,
    LiteralType,
    PlaceholderType,
    ProperType,
    TupleType,
    Type,
    TypeOfAny,
    TypeVarTupleType,
    TypeVarType,
    UnpackType,
    get_proper_type,
)

from shapely_nn._dims import Dim, DimLike, add, floordiv, format_dim, mul

TENSOR = "shapely_nn._tensor.Tensor"
NDARRAY = "numpy.ndarray"
ADD = "shapely_nn_dims.Add"
MUL = "shapely_nn_dims.Mul"
FLOORDIV = "shapely_nn_dims.FloorDiv"
ARITH = frozenset((ADD, MUL, FLOORDIV))
UNKNOWN = "$"
# Recursive type aliases unfold forever; shapes never sit this deep.
MAX_DEPTH = 6

SDim = DimLike | None


class Bad(str):
    """Why a type is not a dim or a shape (a reason string, reported by the caller)."""


@dataclass(frozen=True)
class Fixed:
    """One dim of a tensor type, with the mypy type it was read from."""

    dim: SDim
    type: Type


@dataclass(frozen=True)
class Star:
    """A variadic part: ``*Batch`` (``name``) or ``*tuple[Any, ...]`` (``name is None``)."""

    name: str | None
    type: Type


Item = Fixed | Star
Shape = tuple[Item, ...]


@dataclass
class Infos:
    """The TypeInfos the plugin builds types from."""

    tensor: TypeInfo
    add: TypeInfo
    mul: TypeInfo
    int_type: Instance
    tuple_info: TypeInfo

    def literal(self, value: int) -> LiteralType:
        """``Literal[value]``."""
        return LiteralType(value, self.int_type)

    def any_tensor(self) -> Instance:
        """``Tensor[*tuple[Any, ...]]``."""
        return Instance(self.tensor, [self.any_star()])

    def any_star(self) -> UnpackType:
        """``*tuple[Any, ...]``."""
        return UnpackType(Instance(self.tuple_info, [AnyType(TypeOfAny.special_form)]))

    def tensor_of(self, shape: Shape) -> Instance:
        """The tensor type with these items."""
        return Instance(self.tensor, [item.type for item in shape])


@functools.lru_cache(maxsize=4096)
def atom(name: str) -> DimLike:
    """The dim that is just the atom ``name`` (names need not be identifiers here)."""
    return Dim.from_terms((((name,), 1),))


def is_tensor(t: ProperType) -> bool:
    """Whether ``t`` is a ``Tensor[...]`` instance."""
    return isinstance(t, Instance) and t.type.fullname == TENSOR


def is_shaped(t: ProperType) -> bool:
    """A ``Tensor[...]``, or a NumPy ``ndarray`` (its shape is its first type argument)."""
    return isinstance(t, Instance) and t.type.fullname in (TENSOR, NDARRAY)


def kind_of(t: ProperType) -> str:
    """How messages name a shaped type: ``Tensor`` or ``ndarray``."""
    return "ndarray" if isinstance(t, Instance) and t.type.fullname == NDARRAY else "Tensor"


def array_has_dims(p: Instance) -> bool:
    """An ndarray whose shape is a tuple with at least one dim that is not ``Any``."""
    shape = get_proper_type(p.args[0]) if p.args else None
    if not isinstance(shape, TupleType):
        return False
    return any(not isinstance(get_proper_type(i), AnyType | UnpackType) for i in shape.items)


def any_shape(p: Instance) -> Type:
    """``tuple[Any, ...]``, in the tuple class an ndarray's shape parameter uses."""
    shape = get_proper_type(p.args[0])
    fallback = shape.partial_fallback if isinstance(shape, TupleType) else shape
    if isinstance(fallback, Instance):
        return fallback.copy_modified(args=[AnyType(TypeOfAny.special_form)])
    return AnyType(TypeOfAny.special_form)


def gradual_ints(t: Type) -> Type:
    """An ndarray's ``int`` dims (sizes nobody knows) as ``Any``, which fits a declared size."""
    p = get_proper_type(t)
    if not (isinstance(p, Instance) and p.type.fullname == NDARRAY and p.args):
        return t
    shape = get_proper_type(p.args[0])
    if not isinstance(shape, TupleType):
        return t
    items = [AnyType(TypeOfAny.special_form) if _plain_int(i) else i for i in shape.items]
    return p.copy_modified(args=[shape.copy_modified(items=items), *p.args[1:]])


def _plain_int(t: Type) -> bool:
    p = get_proper_type(t)
    return isinstance(p, Instance) and p.type.fullname == "builtins.int" and int_value(p) is None


def shape_args(t: Instance) -> list[Type]:
    """The dim types of a shaped type; an ndarray whose shape is not a fixed tuple is ``...``."""
    if t.type.fullname != NDARRAY:
        return list(t.args)
    shape = get_proper_type(t.args[0]) if t.args else None
    if isinstance(shape, TupleType):
        return list(shape.items)
    # An unknown shape (``tuple[int, ...]``, ``Any``) is a variadic part nobody tracks.
    if isinstance(shape, Instance):
        return [UnpackType(shape.copy_modified(args=[AnyType(TypeOfAny.special_form)]))]
    return [UnpackType(AnyType(TypeOfAny.special_form))]


def with_shape(template: Instance, items: list[Type], tuple_info: TypeInfo) -> Instance:
    """``template`` (a Tensor or an ndarray) with these dim types."""
    if template.type.fullname != NDARRAY:
        return template.copy_modified(args=items)
    tuple_any = Instance(tuple_info, [AnyType(TypeOfAny.special_form)])
    dtype = template.args[1:] or [AnyType(TypeOfAny.special_form)]
    return template.copy_modified(args=[TupleType(items, tuple_any), *dtype])


def is_shape_var(t: ProperType) -> bool:
    """A size TypeVar (``bound=int``) or a TypeVarTuple."""
    if isinstance(t, TypeVarTupleType):
        return True
    if isinstance(t, TypeVarType):
        bound = get_proper_type(t.upper_bound)
        return isinstance(bound, Instance) and bound.type.has_base("builtins.int")
    return False


def has_placeholder(t: Type, depth: int = 0) -> bool:
    """Whether semantic analysis of ``t`` is still incomplete somewhere inside it."""
    if depth > MAX_DEPTH:
        return False
    p = get_proper_type(t)
    if isinstance(p, PlaceholderType):
        return True
    if isinstance(p, Instance):
        return any(has_placeholder(a, depth + 1) for a in p.args)
    if isinstance(p, UnpackType):
        return has_placeholder(p.type, depth + 1)
    if isinstance(p, TupleType):
        return any(has_placeholder(a, depth + 1) for a in p.items)
    return False


def var_name(t: TypeVarType | TypeVarTupleType, formal: bool) -> str:
    """The atom name of a TypeVar: ``$K`` for the callee's unknowns, ``B`` for the caller's."""
    return UNKNOWN + t.name if formal else t.name


def int_value(t: ProperType) -> int | None:
    """The value of ``Literal[n]`` or of an ``int`` whose literal value mypy still knows."""
    if isinstance(t, LiteralType) and t.fallback.type.fullname == "builtins.int":
        value = t.value
        return value if isinstance(value, int) else None
    if isinstance(t, Instance) and t.type.fullname == "builtins.int" and t.last_known_value:
        return int_value(t.last_known_value)
    return None


def dim_of(t: Type, atoms: dict[str, Type], formal: bool) -> SDim | Bad:
    """Read a dim type: ``Literal[n]``, a TypeVar, ``Add``/``Mul``/``FloorDiv``, ``int``, Any."""
    p = get_proper_type(t)
    value = int_value(p)
    if value is not None:
        if value < 0:
            return Bad(f"a dim must be non-negative, got Literal[{value}]")
        return value
    if isinstance(p, TypeVarType):
        name = var_name(p, formal)
        atoms[name] = p
        return atom(name)
    if isinstance(p, AnyType):
        return None
    if isinstance(p, Instance):
        if p.type.fullname in ARITH:
            return _arith_dim(p, atoms, formal)
        if p.type.has_base("builtins.int") and not p.type.has_base("builtins.bool"):
            return None
    if isinstance(p, LiteralType):
        return Bad(f"a literal dim must be an int, got {p}")
    return Bad(f'"{p}" is not a dim (use Literal[n], a TypeVar, Add, Mul, FloorDiv or int)')


def _arith_dim(p: Instance, atoms: dict[str, Type], formal: bool) -> SDim | Bad:
    name = p.type.name
    if not p.args:
        return Bad(f"{name}[] needs at least one dim")
    parts: list[SDim] = []
    for arg in p.args:
        if isinstance(get_proper_type(arg), UnpackType):
            return Bad(f"{name}[...] takes dims, not an unpacked {arg}")
        part = dim_of(arg, atoms, formal)
        if isinstance(part, Bad):
            return part
        parts.append(part)
    if p.type.fullname == FLOORDIV:
        return _floordiv_dim(p, parts, atoms)
    if any(part is None for part in parts):
        return None
    known = [part for part in parts if part is not None]
    return add(*known) if p.type.fullname == ADD else mul(*known)


def _floordiv_dim(p: Instance, parts: list[SDim], atoms: dict[str, Type]) -> SDim | Bad:
    if len(parts) != 2 or not isinstance(parts[1], int) or parts[1] <= 0:
        return Bad("FloorDiv takes a dim and a positive literal divisor: FloorDiv[E, L[4]]")
    if parts[0] is None:
        return None
    quotient = floordiv(parts[0], parts[1])
    if quotient is not None:
        return quotient
    # Not divisible in normal form: an opaque atom that still prints readably.
    name = f"({show_dim(parts[0])} // {parts[1]})"
    atoms[name] = p
    return atom(name)


def shape_of(t: Instance, atoms: dict[str, Type], formal: bool) -> Shape:
    """The items of a ``Tensor[...]`` type; malformed dims read as wildcards.

    Malformed dims are reported where they are written (the annotation hook), so a call
    only sees them as "anything".
    """
    items: list[Item] = []
    for arg in shape_args(t):
        p = get_proper_type(arg)
        if isinstance(p, UnpackType):
            items.extend(_unpacked(p, atoms, formal))
            continue
        d = dim_of(arg, atoms, formal)
        items.append(Fixed(None if isinstance(d, Bad) else d, arg))
    return tuple(items)


def _unpacked(p: UnpackType, atoms: dict[str, Type], formal: bool) -> list[Item]:
    inner = get_proper_type(p.type)
    if isinstance(inner, TypeVarTupleType):
        return [Star(var_name(inner, formal), p)]
    if isinstance(inner, TupleType):
        out: list[Item] = []
        for item in inner.items:
            d = dim_of(item, atoms, formal)
            out.append(Fixed(None if isinstance(d, Bad) else d, item))
        return out
    return [Star(None, p)]


def type_of_dim(d: SDim, atoms: dict[str, Type], infos: Infos) -> Type:
    """Write a normal-form dim back as a type: ``L[7]``, ``H``, ``Add[Mul[L[2], H], In]``."""
    if d is None:
        return AnyType(TypeOfAny.special_form)
    if isinstance(d, int):
        return infos.literal(d)
    terms: list[Type] = []
    for mono, coeff in d.terms:
        if any(name not in atoms for name in mono):
            return AnyType(TypeOfAny.special_form)
        factors: list[Type] = [atoms[name] for name in mono]
        if coeff != 1 or not factors:
            factors.insert(0, infos.literal(coeff))
        terms.append(factors[0] if len(factors) == 1 else Instance(infos.mul, factors))
    return terms[0] if len(terms) == 1 else Instance(infos.add, terms)


def show_dim(d: SDim) -> str:
    """A dim for messages: ``In + 2*H``, ``64``; unknowns lose their ``$``."""
    if d is None:
        return "Any"
    return format_dim(d).replace(UNKNOWN, "")


def show_item(item: Item) -> str:
    """One item of a tensor type for messages."""
    if isinstance(item, Star):
        return "..." if item.name is None else "*" + item.name.replace(UNKNOWN, "")
    if item.dim is None:
        p = get_proper_type(item.type)
        return "Any" if isinstance(p, AnyType) else "int"
    return show_dim(item.dim)


def show_shape(shape: Shape) -> str:
    """``[B, 64]`` (the runtime's spelling of a shape)."""
    return "[" + ", ".join(show_item(i) for i in shape) + "]"


def show_tensor(shape: Shape, kind: str = "Tensor") -> str:
    """``Tensor[B, 64]`` (or ``ndarray[b, 64]``); a scalar is ``Tensor[()]``."""
    if not shape:
        return f"{kind}[()]"
    return f"{kind}[" + ", ".join(show_item(i) for i in shape) + "]"


def _without_defaults(p: Instance) -> list[Type]:
    """``p``'s arguments without the trailing ones that are their parameter's default."""
    args = list(p.args)
    params = p.type.defn.type_vars
    while args and len(args) <= len(params):
        default = getattr(params[len(args) - 1], "default", None)
        if default is None or not is_same_type(args[-1], default):
            break
        args.pop()
    return args


def show_type(t: Type) -> str:
    """A type for messages, with tensors and dims written readably."""
    p = get_proper_type(t)
    if is_shaped(p):
        assert isinstance(p, Instance)
        return show_tensor(shape_of(p, {}, formal=False), kind_of(p))
    if isinstance(p, Instance) and p.args:
        args = []
        for arg in _without_defaults(p):
            d = dim_of(arg, {}, formal=False)
            if not isinstance(d, Bad) and d is not None:
                args.append(show_dim(d))
            else:
                q = get_proper_type(arg)
                args.append(show_type(q) if isinstance(q, Instance) else str(arg))
        return f"{p.type.name}[{', '.join(args)}]"
    if isinstance(p, Instance):
        return p.type.name
    return str(p)
