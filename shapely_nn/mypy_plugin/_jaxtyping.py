"""jaxtyping annotations on NumPy arrays: ``Float[np.ndarray, "b 64"]`` read as a shape.

Under ``TYPE_CHECKING`` jaxtyping's ``Float``, ``Int``, ``Bool``... are ``typing.Annotated``, so
mypy asks the plugin's type-analyze hook for ``typing.Annotated`` and hands it the unanalysed
``Float?[np.ndarray?, 'b 64']``. The dim string is read with jaxtyping's grammar and written into
NumPy's own shape parameter, ``ndarray[tuple[b, Literal[64]], dtype]``, so code that never
mentions shapes keeps exactly the types it had. A named dim (``b``) becomes a size TypeVar of
its own (bound to ``int``): rigid inside the function, bound per call at its call sites, as
jaxtyping binds it at run time. What the plugin does not model stays gradual (``Any``).
"""

from __future__ import annotations

import ast
import functools
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from mypy.plugin import AnalyzeTypeContext
from mypy.types import (
    AnyType,
    Instance,
    LiteralType,
    ProperType,
    RawExpressionType,
    TupleType,
    Type,
    TypeOfAny,
    TypeVarId,
    TypeVarTupleType,
    TypeVarType,
    UnboundType,
    UnpackType,
    get_proper_type,
)

from shapely_nn._dims import Dim, DimLike, add, floordiv, mul
from shapely_nn.mypy_plugin._calls import SHAPE
from shapely_nn.mypy_plugin._shapes import Infos, type_of_dim

NDARRAY = "numpy.ndarray"
ANNOTATED = ("typing.Annotated", "typing_extensions.Annotated")
# jaxtyping's dtype-annotated array types: the names a user writes before ``[array, "dims"]``.
_KINDS = (
    "Shaped Num Real Inexact Float Complex Integer Int UInt Bool Key BFloat16 Float16 Float32 "
    "Float64 Complex64 Complex128 Int2 Int4 Int8 Int16 Int32 Int64 UInt2 UInt4 UInt8 UInt16 "
    "UInt32 UInt64 Float8e4m3b11fnuz Float8e4m3fn Float8e4m3fnuz Float8e5m2 Float8e5m2fnuz"
)
KINDS = frozenset(_KINDS.split())
NAMESPACE = "shapely_nn.jaxtyping"


@dataclass(frozen=True)
class Variadic:
    """``*name`` (bound per call, like ``*Batch``) or ``...`` / ``*_`` / ``*#name`` (untracked)."""

    name: str | None = None


@dataclass(frozen=True)
class Wild:
    """``_``, ``_name``, ``#name``, ``?name``: one dim, not checked statically."""


Token = int | DimLike | Variadic | Wild
_OPS = {ast.Add: add, ast.Mult: mul}


def is_jaxtyping(t: UnboundType) -> bool:
    """``Float[array, "dims"]`` spelled with one of jaxtyping's names and a string."""
    if t.name.rsplit(".", 1)[-1] not in KINDS or len(t.args) != 2:
        return False
    return dim_string(t.args[1]) is not None


def dim_string(arg: Type) -> str | None:
    """The string of ``"b 64"``; a one-word string (``"b"``) reaches the hook as a name."""
    if isinstance(arg, RawExpressionType) and isinstance(arg.literal_value, str):
        return arg.literal_value
    if isinstance(arg, UnboundType) and arg.original_str_expr is not None:
        return arg.original_str_expr
    return None


@functools.lru_cache(maxsize=1024)
def parse_dims(spec: str) -> tuple[Token, ...] | str:
    """jaxtyping's dim string as tokens, or why jaxtyping itself would refuse it (memoised:
    a program spells the same few shapes over and over)."""
    tokens: list[Token] = []
    variadic = 0
    for word in spec.split():
        token = _token(word)
        if isinstance(token, str):
            return f'"{word}": {token}'
        variadic += isinstance(token, Variadic)
        tokens.append(token)
    if variadic > 1:
        return "at most one variadic dim (*name or ...) per array"
    return tuple(tokens)


def _token(word: str) -> Token | str:
    """One dim with jaxtyping's modifiers: ``#`` broadcast, ``*`` variadic, ``_`` anonymous,
    ``?`` tree-path dependent, ``name=`` a label; then a name, a size or an expression."""
    if "," in word and "(" not in word:
        return "dims are separated by spaces, not commas"
    if word.endswith("#"):
        return "# goes before the dim (#name), not after it"
    if "..." in word:
        return Variadic() if word == "..." else "... stands on its own"
    seen: set[str] = set()
    body = word
    while body:
        if body[0] in "#*_?":
            if body[0] in seen:
                return f"{body[0]} twice"
            seen.add(body[0])
            body = body[1:]
        elif body.count("=") == 1:
            body = body.split("=")[1]
        else:
            break
    if not body or body.isidentifier():
        if "_" in seen and "#" in seen:
            return "a dim cannot be both anonymous (_) and broadcastable (#)"
        if "*" in seen:
            return Variadic(body if body and not seen & {"#", "_", "?"} else None)
        return Wild() if seen or not body else Dim(body)
    try:
        size = int(body)
    except ValueError:
        if seen & {"_", "*", "?"}:
            return "an expression of dims takes no _, * or ? modifier"
        expression = _expression(body)
        return Wild() if "#" in seen and not isinstance(expression, str) else expression
    if seen - {"#"}:
        return "a fixed size takes no _, * or ? modifier"
    return Wild() if seen or size < 0 else size


def _expression(text: str) -> Token | str:
    """A symbolic dim (``i+h``, ``4*h``, ``n-1``, ``h//2``); any other Python is gradual."""
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        return "not a dim, a size or a Python expression of dims"
    value = _evaluate(tree)
    return Wild() if value is None else value


def _evaluate(node: ast.expr) -> DimLike | None:
    """The normal form of ``+``, ``-``, ``*`` and ``// k``; ``None`` for what it does not model."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.Name):
        return Dim(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _evaluate(node.operand)
        return None if inner is None else mul(-1, inner)
    if not isinstance(node, ast.BinOp):
        return None
    left, right = _evaluate(node.left), _evaluate(node.right)
    if left is None or right is None:
        return None
    op = _OPS.get(type(node.op))
    if op is not None:
        return op(left, right)
    if isinstance(node.op, ast.Sub):
        return add(left, mul(-1, right))
    if isinstance(node.op, ast.FloorDiv) and isinstance(right, int) and right > 0:
        return floordiv(left, right)
    return None


def named_dim(name: str, int_type: Instance) -> TypeVarType:
    """The size TypeVar standing for the named dim ``name`` (the same one everywhere)."""
    raw = zlib.crc32(name.encode()) & 0x3FFFFFFF
    return TypeVarType(
        name,
        f"{NAMESPACE}.{name}",
        TypeVarId(raw, namespace=NAMESPACE),
        [],
        int_type,
        AnyType(TypeOfAny.from_omitted_generics),
    )


def named_variadic(name: str, int_tuple: Instance, any_tuple: Instance) -> TypeVarTupleType:
    """The TypeVarTuple standing for ``*name`` (bound per call, like a ``*Batch``)."""
    raw = zlib.crc32(b"*" + name.encode()) & 0x3FFFFFFF
    return TypeVarTupleType(
        name,
        f"{NAMESPACE}.*{name}",
        TypeVarId(raw, namespace=NAMESPACE),
        int_tuple,
        int_tuple,
        UnpackType(any_tuple),
    )


def dim_type(token: Token, int_type: Instance, infos: Infos | None) -> Type:
    """One dim token as the type that goes into NumPy's shape tuple."""
    if isinstance(token, int):
        return LiteralType(token, int_type) if token >= 0 else AnyType(TypeOfAny.special_form)
    if isinstance(token, Dim) and token.atom is not None:
        return named_dim(token.atom, int_type)
    if isinstance(token, Dim) and infos is not None:
        atoms: dict[str, Type] = {n: named_dim(n, int_type) for n in token.names}
        return type_of_dim(token, atoms, infos)
    return AnyType(TypeOfAny.special_form)


def analyze_jaxtyping(
    ctx: AnalyzeTypeContext, default: Callable[[], Type], infos: Infos | None
) -> Type:
    """``Float[np.ndarray, "b 64"]`` as ``ndarray[tuple[b, Literal[64]], dtype]``."""
    t = ctx.type
    if not isinstance(t, UnboundType) or not is_jaxtyping(t):
        return default()
    array = ctx.api.analyze_type(t.args[0])
    p = get_proper_type(array)
    if not (isinstance(p, Instance) and p.type.fullname == NDARRAY and len(p.args) == 2):
        # torch and JAX arrays carry no shape in their types: the annotation is the array.
        return array
    spec = dim_string(t.args[1])
    assert spec is not None
    tokens = parse_dims(spec)
    if isinstance(tokens, str):
        ctx.api.fail(f'jaxtyping dims "{spec}": {tokens}', ctx.context, code=SHAPE)
        return array
    int_type = ctx.api.named_type("builtins.int", [])
    any_tuple = ctx.api.named_type("builtins.tuple", [AnyType(TypeOfAny.special_form)])
    # NumPy bounds its shape parameter by ``tuple[int, ...]``: so is the variadic's bound.
    int_tuple = ctx.api.named_type("builtins.tuple", [int_type])
    items: list[Type] = [
        UnpackType(named_variadic(tok.name, int_tuple, any_tuple) if tok.name else any_tuple)
        if isinstance(tok, Variadic)
        else dim_type(tok, int_type, infos)
        for tok in tokens
    ]
    return p.copy_modified(args=[TupleType(items, any_tuple), p.args[1]])


def shape_tuple(t: ProperType) -> TupleType | None:
    """The shape of ``ndarray[tuple[...], dtype]`` when it is a tuple of known length."""
    if isinstance(t, Instance) and t.type.fullname == NDARRAY and t.args:
        shape = get_proper_type(t.args[0])
        if isinstance(shape, TupleType):
            return shape
    return None
