"""Returns and assignments of a plain name, reported under ``[shape]`` like every other.

``return x`` and ``y: T = x`` involve no call, so no plugin hook runs for them: mypy compares
the types itself and says ``Incompatible return value type (got "Tensor[B, Literal[4]]", ...)``.
mypy's plugin API has no hook there, so the plugin listens where the error is recorded: one
error watcher at the bottom of mypy's stack (it sees only errors that are really reported)
reads the two types back from mypy's own message and, when they are tensors or arrays whose
shapes disagree, reports the disagreement under ``shape`` in the words of the other messages
instead. Any other error, or a message it cannot read, passes through untouched.
"""

from __future__ import annotations

import re
from typing import Any

from mypy.errors import ErrorWatcher
from mypy.types import AnyType, TypeOfAny

from shapely_nn._dims import DimLike, add, floordiv, mul
from shapely_nn.mypy_plugin._calls import SHAPE
from shapely_nn.mypy_plugin._context import _disagreement
from shapely_nn.mypy_plugin._shapes import Fixed, Item, SDim, Shape, Star, atom, show_tensor

_RETURN = re.compile(r'Incompatible return value type \(got "(.+)", expected "(.+)"\)')
_ASSIGN = re.compile(
    r'Incompatible types in assignment \(expression has type "(.+)", variable has type "(.+)"\)'
)
_CODES = ("return-value", "assignment")
_ANY = AnyType(TypeOfAny.special_form)


def split_args(text: str) -> list[str]:
    """``"B, Add[H, In], Literal[3]"`` as its top-level parts."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    tail = text[start:].strip()
    return [*parts, tail] if tail else parts


def _generic(text: str) -> tuple[str, list[str]] | None:
    match = re.fullmatch(r"([\w.]+)\[(.*)\]", text)
    return None if match is None else (match.group(1), split_args(match.group(2)))


def read_dim(text: str) -> SDim | str:
    """A dim as mypy prints it; ``"?"`` for what is not one."""
    if text in ("Any", "int", "builtins.int"):
        return None
    if re.fullmatch(r"[A-Za-z_]\w*", text):
        return atom(text)
    generic = _generic(text)
    if generic is None:
        return "?"
    name, args = generic
    if name == "Literal" and len(args) == 1 and re.fullmatch(r"-?\d+\??", args[0]):
        return int(args[0].rstrip("?"))
    parts = [read_dim(a) for a in args]
    if any(p == "?" for p in parts):
        return "?"
    if any(p is None for p in parts):
        return None
    known: list[DimLike] = [p for p in parts if p is not None and not isinstance(p, str)]
    short = name.rsplit(".", 1)[-1]
    if short == "Add":
        return add(*known)
    if short == "Mul":
        return mul(*known)
    if short == "FloorDiv" and len(known) == 2 and isinstance(known[1], int):
        return floordiv(known[0], known[1]) if known[1] > 0 else "?"
    return "?"


def read_shaped(text: str) -> tuple[str, Shape] | None:
    """``("Tensor", shape)`` or ``("ndarray", shape)`` from mypy's spelling of the type."""
    generic = _generic(text)
    if generic is None:
        return None
    name, args = generic
    kind = name.rsplit(".", 1)[-1]
    if kind == "ndarray" and args:
        inner = _generic(args[0])
        if inner is None or inner[0].rsplit(".", 1)[-1] != "tuple":
            return None
        args = [] if inner[1] == ["()"] else inner[1]
    elif kind != "Tensor":
        return None
    items: list[Item] = []
    for arg in args:
        star = re.fullmatch(r"\*(.+)|Unpack\[(.+)\]", arg)
        if star:
            inner_text = star.group(1) or star.group(2)
            items.append(Star(None if inner_text.startswith("tuple[") else inner_text, _ANY))
            continue
        dim = read_dim(arg)
        if isinstance(dim, str):
            return None
        items.append(Fixed(dim, _ANY))
    return kind, tuple(items)


def _rest(text: str) -> list[str]:
    """An ndarray's type arguments after its shape (its dtype), as mypy prints them."""
    generic = _generic(text)
    return [] if generic is None else generic[1][1:]


def shape_message(message: str) -> str | None:
    """The ``[shape]`` message for mypy's return/assignment message, if it is about shapes
    (``""``: it is no error at all)."""
    for pattern, what in ((_RETURN, "Return value"), (_ASSIGN, "Assigned value")):
        match = pattern.fullmatch(message)
        if match is None:
            continue
        got, want = read_shaped(match.group(1)), read_shaped(match.group(2))
        if got is None or want is None or got[0] != want[0]:
            return None
        kind = got[0]
        reason = _disagreement(want[1], got[1], {}, lenient=kind == "ndarray")
        if reason is None:
            # Arrays whose dims may agree at run time (a jaxtyping name against a literal
            # size) and that differ in nothing else are no error: "" drops mypy's message.
            same_rest = _rest(match.group(1)) == _rest(match.group(2))
            return "" if kind == "ndarray" and same_rest else None
        return (
            f"{what} {show_tensor(got[1], kind)} does not match the declared "
            f"{show_tensor(want[1], kind)}: {reason}"
        )
    return None


# The watcher installed in each error store, kept to find it again in the store's stack.
_listening: dict[int, ErrorWatcher] = {}


def listen(errors: Any) -> None:
    """Put the watcher at the bottom of ``errors``' stack, once per mypy error store."""
    watchers = getattr(errors, "_watchers", None)
    if not isinstance(watchers, list):
        return
    mine = _listening.get(id(errors))
    if mine is not None and any(w is mine for w in watchers):
        return
    replacing = False

    def replace(file: str, info: Any) -> bool:
        nonlocal replacing
        code = getattr(getattr(info, "code", None), "code", None)
        if replacing or code not in _CODES:
            return False
        said = shape_message(info.message)
        if said is None:
            return False
        if not said:
            return True
        replacing = True
        try:
            errors.report(info.line, info.column, said, code=SHAPE)
        finally:
            replacing = False
        return True

    watcher = ErrorWatcher(errors, filter_errors=replace)
    watchers.insert(0, watcher)
    _listening[id(errors)] = watcher
