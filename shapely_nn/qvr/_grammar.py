"""The ``.qvr`` grammar (lark, LALR) and the syntax tree it is turned into.

Statements are keyword-led, so line breaks are plain whitespace; ``#`` starts a comment that
runs to the end of the line (as in quivers). ``@`` binds tighter than ``>>`` (as in Python),
so ``a @ b >> c`` is ``(a @ b) >> c``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import lark
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from shapely_nn.qvr._errors import Pos, QvrError

GRAMMAR = r"""
start: _stmt*
_stmt: object_decl | morphism_decl | let_decl | program_decl | export_decl

object_decl: "object" NAME ":" kind INT
!kind: "FinSet" | "Real"

morphism_decl: "morphism" NAME ":" type_expr "->" type_expr attrs? dist?
attrs: "[" [attr ("," attr)*] "]"
attr: NAME "=" (NAME | SIGNED_NUMBER)
dist: "~" NAME

type_expr: NAME ("*" NAME)*

let_decl: "let" NAME "=" expr

?expr: par
     | expr ">>" par                      -> compose
?par: atom
    | par "@" atom                        -> tensor
?atom: NAME                               -> ref
     | "fan" "(" expr ["," INT] ")"       -> fan
     | "stack" "(" expr "," INT ")"       -> stack
     | "(" expr ")"

program_decl: "program" NAME ":" type_expr "->" type_expr _step* return_stmt
_step: sample_stmt | observe_stmt
sample_stmt: "sample" NAME "<-" rhs
observe_stmt: "observe" NAME ":" type_expr "<-" rhs
rhs: expr                                 -> bare
   | atom "(" NAME ")"                    -> call
return_stmt: "return" NAME

export_decl: "export" NAME

NAME: /[A-Za-z_][A-Za-z0-9_]*/
INT: /[0-9]+/
SIGNED_NUMBER: /[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?/
COMMENT: /#[^\n]*/
%import common.WS
%ignore WS
%ignore COMMENT
"""


# ---- syntax tree ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Name:
    """An identifier where it was written."""

    text: str
    pos: Pos


@dataclass(frozen=True)
class Number:
    """A number (or a bare word, for attribute values) as written."""

    text: str
    pos: Pos


@dataclass(frozen=True)
class TypeExpr:
    """``A`` or ``A * B``: object names."""

    names: tuple[Name, ...]

    @property
    def pos(self) -> Pos:
        """Where the type starts."""
        return self.names[0].pos

    def __str__(self) -> str:
        return " * ".join(n.text for n in self.names)


@dataclass(frozen=True)
class Ref:
    """A morphism or ``let`` name used in an expression."""

    name: Name

    @property
    def pos(self) -> Pos:
        """Where the name is."""
        return self.name.pos


@dataclass(frozen=True)
class Compose:
    """``left >> right``."""

    left: Expr
    right: Expr
    pos: Pos


@dataclass(frozen=True)
class Tensor:
    """``left @ right``."""

    left: Expr
    right: Expr
    pos: Pos


@dataclass(frozen=True)
class Fan:
    """``fan(inner)`` or ``fan(inner, count)``."""

    inner: Expr
    count: Number | None
    pos: Pos


@dataclass(frozen=True)
class Stack:
    """``stack(inner, count)``."""

    inner: Expr
    count: Number
    pos: Pos


Expr = Ref | Compose | Tensor | Fan | Stack


@dataclass(frozen=True)
class ObjectDecl:
    """``object X : FinSet n`` or ``object X : Real n``."""

    name: Name
    kind: str
    size: Number


@dataclass(frozen=True)
class Attr:
    """``key=value`` in a morphism's brackets."""

    key: Name
    value: Number


@dataclass(frozen=True)
class MorphismDecl:
    """``morphism f : A -> B [attrs] ~ Dist``."""

    name: Name
    domain: TypeExpr
    codomain: TypeExpr
    attrs: tuple[Attr, ...]
    dist: Name | None


@dataclass(frozen=True)
class LetDecl:
    """``let name = expr``."""

    name: Name
    expr: Expr


@dataclass(frozen=True)
class Step:
    """``sample x <- rhs`` or ``observe x : T <- rhs``; ``arg`` is ``None`` for a bare rhs."""

    kind: str
    var: Name
    declared: TypeExpr | None
    expr: Expr
    arg: Name | None


@dataclass(frozen=True)
class ProgramDecl:
    """``program name : A -> B`` with its steps and ``return``."""

    name: Name
    domain: TypeExpr
    codomain: TypeExpr
    steps: tuple[Step, ...]
    result: Name


@dataclass(frozen=True)
class ExportDecl:
    """``export name``."""

    name: Name


Decl = ObjectDecl | MorphismDecl | LetDecl | ProgramDecl | ExportDecl


def first_pos(expr: Expr) -> Pos:
    """Where an expression's text starts."""
    if isinstance(expr, Compose | Tensor):
        return first_pos(expr.left)
    return expr.pos


# ---- from lark's tree to ours ---------------------------------------------------------------


def _pos(token: Token) -> Pos:
    return Pos(token.line or 0, token.column or 0)


def _name(token: Token) -> Name:
    return Name(str(token), _pos(token))


def _number(token: Token) -> Number:
    return Number(str(token), _pos(token))


@v_args(inline=True)
class _ToAst(Transformer[Token, list[Decl]]):
    """lark tree -> ``Decl`` list."""

    def start(self, *decls: Decl) -> list[Decl]:
        return list(decls)

    def kind(self, token: Token) -> str:
        return str(token)

    def object_decl(self, name: Token, kind: str, size: Token) -> ObjectDecl:
        return ObjectDecl(_name(name), kind, _number(size))

    def type_expr(self, *names: Token) -> TypeExpr:
        return TypeExpr(tuple(_name(n) for n in names))

    def attr(self, key: Token, value: Token) -> Attr:
        return Attr(_name(key), _number(value))

    def attrs(self, *items: Attr | None) -> tuple[Attr, ...]:
        return tuple(a for a in items if a is not None)

    def dist(self, name: Token) -> Name:
        return _name(name)

    def morphism_decl(self, name: Token, dom: TypeExpr, cod: TypeExpr, *rest: Any) -> MorphismDecl:
        attrs: tuple[Attr, ...] = ()
        dist: Name | None = None
        for item in rest:
            if isinstance(item, tuple):
                attrs = item
            elif isinstance(item, Name):
                dist = item
        return MorphismDecl(_name(name), dom, cod, attrs, dist)

    def let_decl(self, name: Token, expr: Expr) -> LetDecl:
        return LetDecl(_name(name), expr)

    def ref(self, name: Token) -> Ref:
        return Ref(_name(name))

    @v_args(meta=True, inline=True)
    def compose(self, meta: Any, left: Expr, right: Expr) -> Compose:
        return Compose(left, right, first_pos(right))

    @v_args(meta=True, inline=True)
    def tensor(self, meta: Any, left: Expr, right: Expr) -> Tensor:
        return Tensor(left, right, first_pos(left))

    @v_args(meta=True, inline=True)
    def fan(self, meta: Any, inner: Expr, count: Token | None) -> Fan:
        return Fan(
            inner, _number(count) if count is not None else None, Pos(meta.line, meta.column)
        )

    @v_args(meta=True, inline=True)
    def stack(self, meta: Any, inner: Expr, count: Token) -> Stack:
        return Stack(inner, _number(count), Pos(meta.line, meta.column))

    def bare(self, expr: Expr) -> tuple[Expr, Name | None]:
        return expr, None

    def call(self, expr: Expr, arg: Token) -> tuple[Expr, Name | None]:
        return expr, _name(arg)

    def sample_stmt(self, var: Token, rhs: tuple[Expr, Name | None]) -> Step:
        return Step("sample", _name(var), None, rhs[0], rhs[1])

    def observe_stmt(self, var: Token, declared: TypeExpr, rhs: tuple[Expr, Name | None]) -> Step:
        return Step("observe", _name(var), declared, rhs[0], rhs[1])

    def return_stmt(self, name: Token) -> Name:
        return _name(name)

    def program_decl(
        self, name: Token, dom: TypeExpr, cod: TypeExpr, *rest: Step | Name
    ) -> ProgramDecl:
        *steps, result = rest
        assert isinstance(result, Name)
        return ProgramDecl(
            _name(name), dom, cod, tuple(s for s in steps if isinstance(s, Step)), result
        )

    def export_decl(self, name: Token) -> ExportDecl:
        return ExportDecl(_name(name))


@cache
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=True)


def _describe_terminal(parser: Lark, name: str) -> str:
    friendly = {
        "NAME": "a name",
        "INT": "an integer",
        "SIGNED_NUMBER": "a number",
        "$END": "the end of the file",
    }
    if name in friendly:
        return friendly[name]
    try:
        pattern = parser.get_terminal(name).pattern
    except KeyError:
        return name
    return f"'{pattern.value}'" if isinstance(pattern, lark.lexer.PatternStr) else name


def _end_pos(text: str) -> Pos:
    lines = text.split("\n")
    return Pos(len(lines), len(lines[-1]) + 1)


def _syntax_error(parser: Lark, text: str, exc: UnexpectedInput) -> QvrError:
    expected: set[str] = set()
    if isinstance(exc, UnexpectedToken):
        expected = set(exc.accepts or exc.expected)  # accepts: keywords (fan, stack) too
    elif isinstance(exc, UnexpectedEOF):
        expected = set(exc.expected)
    wanted = sorted({_describe_terminal(parser, t) for t in expected})
    hint = f"; expected {', '.join(wanted[:-1])} or {wanted[-1]}" if len(wanted) > 1 else ""
    if len(wanted) == 1:
        hint = f"; expected {wanted[0]}"
    if isinstance(exc, UnexpectedCharacters):
        at: Any = exc.pos_in_stream  # an int here; lark declares the base attribute None
        char = text[at] if isinstance(at, int) and 0 <= at < len(text) else ""
        # no "expected" list: lark's lexer only knows a superset of what the parser accepts
        return QvrError(f"unexpected character {char!r}", Pos(exc.line, exc.column))
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        return QvrError(f"unexpected '{exc.token}'{hint}", Pos(exc.line, exc.column))
    return QvrError(f"unexpected end of file{hint}", _end_pos(text))


def parse(text: str) -> list[Decl]:
    """The declarations of a ``.qvr`` program; syntax errors raise ``QvrError`` at their place."""
    parser = _parser()
    try:
        tree = parser.parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(parser, text, exc) from None
    return _ToAst().transform(tree)
