"""Which callees the plugin hooks: only those whose signature can involve a shape.

mypy asks its plugins for a hook by the callee's full name and takes the first hook it is
given, user plugins before its own. A plugin that answers for every name therefore shadows
mypy's built-in handling of ``TypedDict.get``, ``functools.partial``, ``ctypes`` arrays,
``dataclasses.replace`` and more, for the whole program. So the plugin answers only for a
callee whose declared signature, class or type arguments mention a shape: ``Tensor``,
``Add``/``Mul``/``FloorDiv``, a size TypeVar (``bound=int``) or a shapely_nn class. The
verdict is computed from the symbol table once per definition (cached by the identity of its
type, so a daemon run that redefines a function recomputes it).
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import (
    Decorator,
    FuncBase,
    SymbolNode,
    SymbolTableNode,
    TypeAlias,
    TypeInfo,
    Var,
)
from mypy.types import (
    CallableType,
    Instance,
    Overloaded,
    TupleType,
    Type,
    TypeType,
    TypeVarType,
    UnionType,
    UnpackType,
    get_proper_type,
)

from shapely_nn.mypy_plugin._shapes import ARITH, MAX_DEPTH, NDARRAY, TENSOR, array_has_dims

PACKAGE = "shapely_nn."
# Methods whose signature decides what calling or building an instance means.
_CLASS_METHODS = ("__init__", "__new__", "__call__")


def type_involves_shapes(t: Type | None, depth: int = 0) -> bool:
    """Whether a declared type mentions a tensor, a dim or a shapely_nn class anywhere."""
    if t is None or depth > MAX_DEPTH:
        return False
    depth += 1
    p = get_proper_type(t)
    if isinstance(p, Instance):
        name = p.type.fullname
        if name == TENSOR or name in ARITH or name.startswith(PACKAGE):
            return True
        if name == NDARRAY:
            return array_has_dims(p)
        return any(type_involves_shapes(a, depth) for a in p.args)
    if isinstance(p, TypeVarType):
        bound = get_proper_type(p.upper_bound)
        if isinstance(bound, Instance) and bound.type.has_base("builtins.int"):
            return True
        return type_involves_shapes(bound, depth)
    if isinstance(p, CallableType):
        return type_involves_shapes(p.ret_type, depth) or any(
            type_involves_shapes(a, depth) for a in p.arg_types
        )
    if isinstance(p, Overloaded):
        return any(type_involves_shapes(item, depth) for item in p.items)
    if isinstance(p, UnionType | TupleType):
        return any(type_involves_shapes(i, depth) for i in p.items)
    if isinstance(p, UnpackType | TypeType):
        return type_involves_shapes(p.type if isinstance(p, UnpackType) else p.item, depth)
    return False


def _class_involves_shapes(info: TypeInfo) -> bool:
    if any(base.fullname.startswith(PACKAGE) for base in info.mro):
        return True
    if any(type_involves_shapes(v) for v in info.defn.type_vars):
        return True
    for name in _CLASS_METHODS:
        method = info.get(name)
        node = method.node if method is not None else None
        if node is not None and _node_involves_shapes(node, seen=info):
            return True
    return False


def _node_involves_shapes(node: SymbolNode, seen: TypeInfo | None = None) -> bool:
    if isinstance(node, FuncBase):
        return type_involves_shapes(node.type)
    if isinstance(node, Decorator):
        return type_involves_shapes(node.var.type) or type_involves_shapes(node.func.type)
    if isinstance(node, Var):
        return type_involves_shapes(node.type)
    if isinstance(node, TypeInfo):
        return node is not seen and _class_involves_shapes(node)
    if isinstance(node, TypeAlias):
        return type_involves_shapes(node.target)
    # Unknown kinds of definition: let the per-call checks decide.
    return True


def _identity(node: SymbolNode) -> object:
    """What changes when the definition changes (a daemon run re-analyses it)."""
    if isinstance(node, FuncBase | Var):
        return node.type if node.type is not None else node
    if isinstance(node, Decorator):
        return node.var.type if node.var.type is not None else node
    return node


class Scope:
    """``involves(fullname)``: may a call of this callee involve a shape?

    In a one-shot run the symbol table is final before any call is checked, so a verdict is
    kept by name; the daemon (``revalidate``) re-analyses definitions between runs, so there a
    verdict is kept only while the definition's type is the same object.
    """

    def __init__(
        self, lookup: Callable[[str], SymbolTableNode | None], *, revalidate: bool = False
    ) -> None:
        self._lookup = lookup
        self._revalidate = revalidate
        self._by_name: dict[str, bool] = {}
        self._by_identity: dict[str, tuple[object, bool]] = {}

    def involves(self, fullname: str) -> bool:
        """True for a callee whose definition mentions shapes, or that cannot be found."""
        if not self._revalidate:
            verdict = self._by_name.get(fullname)
            if verdict is None:
                verdict = self._by_name[fullname] = self._decide(fullname)[1]
            return verdict
        key, verdict = self._decide(fullname, self._by_identity.get(fullname))
        if key is not None:
            self._by_identity[fullname] = (key, verdict)
        return verdict

    def _decide(
        self, fullname: str, cached: tuple[object, bool] | None = None
    ) -> tuple[object | None, bool]:
        if fullname.startswith(PACKAGE):
            return None, True
        if fullname.startswith("<"):
            # mypy's own synthetic callees (``<list>``, ``<dict>``, comprehensions) are generic
            # in their items: no signature of theirs carries a dim.
            return None, False
        try:
            sym = self._lookup(fullname)
        except (AssertionError, KeyError):
            sym = None
        node = sym.node if sym is not None else None
        if node is None:
            # Not in the symbol table (a local function, a name made up by another plugin):
            # the hook runs, and its per-call test leaves calls without shapes untouched.
            return None, True
        key = _identity(node)
        if cached is not None and cached[0] is key:
            return cached
        return key, _node_involves_shapes(node)
