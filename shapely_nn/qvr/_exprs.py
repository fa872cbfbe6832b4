"""Expressions (``>>``, ``@``, ``fan``, ``stack``, names): type-checked into build plans.

A ``Plan`` is a checked expression: its domain and codomain and a function that builds a fresh
module (its own parameters) from a generator, so ``stack`` and ``fan`` can build copies.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shapely_nn.modules._compose import Chain, Concat, Parallel, fan, stack
from shapely_nn.qvr._decls import Morphism, QvrObject, positive_int
from shapely_nn.qvr._errors import Pos, QvrError
from shapely_nn.qvr._grammar import Compose, Expr, Fan, LetDecl, Ref, Stack, Tensor, first_pos
from shapely_nn.qvr._types import REAL, Part, Type, flows, show


@dataclass
class Names:
    """``id(module) -> name`` for the modules built, keeping them alive while building."""

    by_id: dict[int, str] = field(default_factory=dict)
    alive: list[Any] = field(default_factory=list)

    def add(self, module: Any, name: str) -> Any:
        """Name ``module`` unless an inner expression already named it; returns it."""
        self.alive.append(module)
        self.by_id.setdefault(id(module), name)
        return module


Build = Callable[[np.random.Generator, Names], Any]


@dataclass(frozen=True)
class Plan:
    """A checked expression: ``domain -> codomain``, labels for messages, a builder."""

    domain: Type
    codomain: Type
    label: str
    first: str  # what reads the input, for "X expects ..."
    last: str  # what gives the output, for "... but Y gives"
    build: Build
    params: int  # parameters one build makes (checked against MAX_PARAMETERS before building)
    parallel: bool = False  # builds a bare ``Parallel`` (its branches join a surrounding @)


@dataclass
class Scope:
    """Everything declared so far, by name."""

    objects: dict[str, QvrObject] = field(default_factory=dict)
    morphisms: dict[str, Morphism] = field(default_factory=dict)
    lets: dict[str, tuple[LetDecl, Plan]] = field(default_factory=dict)
    programs: set[str] = field(default_factory=set)
    defined: dict[str, Pos] = field(default_factory=dict)

    def define(self, name: str, pos: Pos) -> None:
        """Record a new name; a second definition is an error."""
        if name in self.defined:
            first = self.defined[name]
            raise QvrError(f"'{name}' is already defined at {first}", pos)
        self.defined[name] = pos


def unknown(name: str, pos: Pos, known: Mapping[str, object], what: str) -> QvrError:
    """``unknown morphism 'x'`` with a close match suggested."""
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return QvrError(f"unknown {what} '{name}'{hint}", pos)


def _ref(scope: Scope, expr: Ref, in_fan: bool) -> Plan:
    name, pos = expr.name.text, expr.pos
    if name in scope.morphisms:
        m = scope.morphisms[name]
        rep = m.info.replicate
        if rep is not None and not in_fan:
            raise QvrError(
                f"{name} has replicate={rep}, so it can only be used as fan({name})", pos
            )
        make = m.make

        def build_morphism(gen: np.random.Generator, names: Names) -> Any:
            return names.add(make(gen), name)

        return Plan(m.domain, m.codomain, name, name, name, build_morphism, m.params)
    if name in scope.lets:
        plan = scope.lets[name][1]
        inner = plan.build

        def build_let(gen: np.random.Generator, names: Names) -> Any:
            return names.add(inner(gen, names), name)

        return Plan(
            plan.domain, plan.codomain, name, name, name, build_let, plan.params, plan.parallel
        )
    if name in scope.objects:
        raise QvrError(f"{name} is an object, not a morphism", pos)
    if name in scope.programs:
        raise QvrError(f"{name} is a program; only morphisms and lets can be composed", pos)
    raise unknown(name, pos, {**scope.morphisms, **scope.lets}, "morphism or let")


def _compose(scope: Scope, expr: Compose) -> Plan:
    left, right = plan(scope, expr.left), plan(scope, expr.right)
    join = flows(left.codomain, right.domain)
    if join is None:
        raise QvrError(
            f"{right.first} expects {show(right.domain)}, but {left.last} gives "
            f"{show(left.codomain)}",
            expr.pos,
        )

    def build(gen: np.random.Generator, names: Names) -> Any:
        g_left, g_right = gen.spawn(2)
        first = left.build(g_left, names)
        second = right.build(g_right, names)
        return Chain([first, Concat(), second] if join else [first, second])

    label = f"{left.label} >> {right.label}"
    params = left.params + right.params
    return Plan(left.domain, right.codomain, label, left.first, right.last, build, params)


def _tensor(scope: Scope, expr: Tensor) -> Plan:
    branches = (plan(scope, expr.left), plan(scope, expr.right))
    for branch, where in zip(branches, (expr.left, expr.right), strict=True):
        if (len(branch.domain) > 1 or len(branch.codomain) > 1) and not branch.parallel:
            raise QvrError(
                f"{branch.label} maps {show(branch.domain)} to {show(branch.codomain)}; a branch "
                "of @ must read and give a single object (or be an @ itself)",
                first_pos(where),
            )
    left, right = branches

    def build(gen: np.random.Generator, names: Names) -> Any:
        g_left, g_right = gen.spawn(2)
        return Parallel([left.build(g_left, names), right.build(g_right, names)])

    label = f"{left.label} @ {right.label}"
    return Plan(
        left.domain + right.domain,
        left.codomain + right.codomain,
        label,
        label,
        label,
        build,
        left.params + right.params,
        True,
    )


def _fan(scope: Scope, expr: Fan) -> Plan:
    direct = isinstance(expr.inner, Ref) and expr.inner.name.text in scope.morphisms
    inner = plan(scope, expr.inner, in_fan=direct)
    replicate = (
        scope.morphisms[inner.label].info.replicate
        if direct and isinstance(expr.inner, Ref)
        else None
    )
    if expr.count is not None:
        heads = positive_int(expr.count, "the number of heads")
        if replicate is not None and replicate != heads:
            raise QvrError(
                f"fan({inner.label}, {heads}) asks for {heads} heads, but {inner.label} has "
                f"replicate={replicate}",
                expr.count.pos,
            )
        label = f"fan({inner.label}, {heads})"
    elif replicate is None:
        raise QvrError(
            f"fan({inner.label}) needs a head count: declare {inner.label} with [replicate=k] "
            f"or write fan({inner.label}, k)",
            expr.pos,
        )
    else:
        heads, label = replicate, f"fan({inner.label})"
    dom, cod = inner.domain, inner.codomain
    if not (len(dom) == len(cod) == 1 and dom[0].kind == REAL and cod[0].kind == REAL) or (
        cod[0].categorical
    ):
        raise QvrError(
            f"{label}: each head must map a Real object to a Real object, but {inner.label} "
            f"maps {show(dom)} to {show(cod)}",
            expr.pos,
        )
    joined = (Part(f"{cod[0].name} x {heads}", REAL, heads * cod[0].size),)
    make_head = inner.build

    def build(gen: np.random.Generator, names: Names) -> Any:
        module = fan(lambda g: make_head(g, names), heads, rng=gen)
        return names.add(module, label)

    return Plan(dom, joined, label, label, label, build, heads * inner.params)


def _stack(scope: Scope, expr: Stack) -> Plan:
    inner = plan(scope, expr.inner)
    depth = positive_int(expr.count, "the depth of stack")
    label = f"stack({inner.label}, {depth})"
    if flows(inner.codomain, inner.domain) is not False:
        raise QvrError(
            f"{label}: {inner.label} maps {show(inner.domain)} to {show(inner.codomain)}; a "
            "stacked block must give what it reads",
            expr.pos,
        )
    make_block = inner.build

    def build(gen: np.random.Generator, names: Names) -> Any:
        module = stack(lambda g: make_block(g, names), depth, rng=gen)
        return names.add(module, label)

    return Plan(inner.domain, inner.codomain, label, label, label, build, depth * inner.params)


def plan(scope: Scope, expr: Expr, *, in_fan: bool = False) -> Plan:
    """Type-check ``expr`` against the declarations in ``scope``; its build plan."""
    if isinstance(expr, Ref):
        return _ref(scope, expr, in_fan)
    if isinstance(expr, Compose):
        return _compose(scope, expr)
    if isinstance(expr, Tensor):
        return _tensor(scope, expr)
    if isinstance(expr, Fan):
        return _fan(scope, expr)
    return _stack(scope, expr)
