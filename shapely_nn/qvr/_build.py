"""From declarations to a ``QvrProgram``: check every statement in order, build the export.

Names must be declared before they are used (as in the seed). A program is a straight line:
each ``sample``/``observe`` step reads the value bound just before it (a bare right-hand side
reads the program's input), and ``return`` names the last one. Every morphism and ``let``
reached from the exported program is used once: parameters are never shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shapely_nn.layers._base import Rng, as_generator
from shapely_nn.models._quivers import Columns
from shapely_nn.modules._compose import Chain, Concat
from shapely_nn.qvr._decls import check_morphism, check_object, resolve_type
from shapely_nn.qvr._errors import Pos, QvrError
from shapely_nn.qvr._exprs import Names, Plan, Scope, plan, unknown
from shapely_nn.qvr._grammar import (
    Compose,
    Decl,
    ExportDecl,
    Expr,
    LetDecl,
    MorphismDecl,
    Name,
    ObjectDecl,
    ProgramDecl,
    Ref,
    Step,
    Tensor,
    first_pos,
)
from shapely_nn.qvr._program import QvrProgram, Site, paths_of
from shapely_nn.qvr._types import FINSET, REAL, Type, flows, same_object, show


@dataclass(frozen=True)
class _Checked:
    """A checked program: its steps' plans and how each joins the value before it."""

    decl: ProgramDecl
    domain: Type
    codomain: Type
    steps: tuple[tuple[Step, Plan, bool], ...]


def _input_kind(decl: ProgramDecl, domain: Type) -> str:
    kinds = [p.kind for p in domain]
    if kinds in ([FINSET], [REAL], [FINSET, FINSET]):
        return "columns" if len(kinds) == 2 else kinds[0]
    raise QvrError(
        f"program {decl.name.text} reads {show(domain)}; a program's input must be FinSet ids, "
        "a Real vector or a pair of FinSet ids (Source * Target)",
        decl.domain.pos,
    )


def _check_program(scope: Scope, decl: ProgramDecl) -> _Checked:
    name = decl.name.text
    domain = resolve_type(decl.domain, scope.objects, join=False)
    codomain = resolve_type(decl.codomain, scope.objects, join=True)
    _input_kind(decl, domain)
    current, current_label = domain, f"the input of {name}"
    latest: Name | None = None
    bound: dict[str, Pos] = {}
    steps: list[tuple[Step, Plan, bool]] = []
    for step in decl.steps:
        if step.arg is not None:
            arg = step.arg.text
            if arg not in bound:
                raise unknown(arg, step.arg.pos, bound, "variable")
            if latest is None or arg != latest.text:
                raise QvrError(
                    f"{step.var.text} reads {arg}, but programs here are straight lines: "
                    f"this step must read {latest.text if latest else 'the input'}",
                    step.arg.pos,
                )
        elif latest is not None:
            raise QvrError(
                f"{step.var.text} has no argument, so it reads the input of {name}, but "
                f"programs here are straight lines: write ...({latest.text})",
                first_pos(step.expr),
            )
        step_plan = plan(scope, step.expr)
        join = flows(current, step_plan.domain)
        if join is None:
            raise QvrError(
                f"{step_plan.first} expects {show(step_plan.domain)}, but {current_label} "
                f"is {show(current)}",
                first_pos(step.expr),
            )
        if step.declared is not None:
            declared = resolve_type(step.declared, scope.objects, join=True)
            if not same_object(declared, step_plan.codomain):
                raise QvrError(
                    f"{step.var.text} is declared {show(declared)}, but {step_plan.last} gives "
                    f"{show(step_plan.codomain)}",
                    step.declared.pos,
                )
        if step.var.text in bound:
            first = bound[step.var.text]
            raise QvrError(f"'{step.var.text}' is already bound at {first}", step.var.pos)
        bound[step.var.text] = step.var.pos
        steps.append((step, step_plan, join))
        current, current_label, latest = step_plan.codomain, step.var.text, step.var
    result = decl.result
    if result.text not in bound:
        raise unknown(result.text, result.pos, bound, "variable")
    if latest is None or result.text != latest.text:
        raise QvrError(
            f"return {result.text}: programs here are straight lines, so return the last "
            f"value, {latest.text if latest else ''}",
            result.pos,
        )
    if not same_object(codomain, current):
        raise QvrError(
            f"program {name} returns {show(codomain)}, but {result.text} is {show(current)}",
            result.pos,
        )
    return _Checked(decl, domain, codomain, tuple(steps))


def _refs(expr: Expr) -> list[Ref]:
    if isinstance(expr, Ref):
        return [expr]
    if isinstance(expr, Compose | Tensor):
        return _refs(expr.left) + _refs(expr.right)
    return _refs(expr.inner)


def _check_single_use(scope: Scope, checked: _Checked) -> None:
    """Each morphism and let reached from the program is used once (no shared parameters)."""
    seen: dict[str, Pos] = {}

    def visit(expr: Expr) -> None:
        for ref in _refs(expr):
            name = ref.name.text
            if name in seen:
                raise QvrError(
                    f"{name} is used twice (first at {seen[name]}); its parameters would be "
                    "shared, which shapely_nn does not support: declare a second morphism "
                    "(or use stack(...) for copies)",
                    ref.pos,
                )
            seen[name] = ref.pos
            if name in scope.lets:
                visit(scope.lets[name][0].expr)

    for step, _, _ in checked.steps:
        visit(step.expr)


MAX_PARAMETERS = 50_000_000


def _build(checked: _Checked, scope: Scope, rng: Rng) -> QvrProgram:
    total = sum(p.params for _, p, _ in checked.steps)
    if total > MAX_PARAMETERS:
        raise QvrError(
            f"program {checked.decl.name.text} would have {total} parameters; the loader "
            f"refuses more than {MAX_PARAMETERS}",
            checked.decl.name.pos,
        )
    names = Names()
    parts: list[Any] = []
    if len(checked.domain) == 2:
        parts.append(names.add(Columns(), " * ".join(p.name for p in checked.domain)))
    sites: list[Site] = []
    gens = as_generator(rng).spawn(max(1, len(checked.steps)))
    for (step, step_plan, join), gen in zip(checked.steps, gens, strict=False):
        if join:
            parts.append(Concat())
        module = step_plan.build(gen, names)
        parts.extend(module.layers if type(module) is Chain else (module,))
        sites.append(Site(step.var.text, step.kind, len(parts)))
    module = Chain(parts)
    paths = paths_of(module)
    labels = {path: names.by_id[ident] for ident, path in paths.items() if ident in names.by_id}
    return QvrProgram(
        name=checked.decl.name.text,
        domain=str(checked.decl.domain),
        codomain=str(checked.decl.codomain),
        input_parts=checked.domain,
        module=module,
        objects=dict(scope.objects),
        morphisms={k: m.info for k, m in scope.morphisms.items()},
        lets=tuple(scope.lets),
        sites=tuple(sites),
        labels=labels,
        log_probs=checked.steps[-1][1].codomain[0].categorical,
    )


def _export(decls: list[Decl], programs: dict[str, _Checked], scope: Scope) -> _Checked:
    exports = [d for d in decls if isinstance(d, ExportDecl)]
    for export in exports:
        if export.name.text not in scope.defined:
            raise unknown(export.name.text, export.name.pos, programs, "program")
        if export.name.text not in programs:
            raise QvrError(
                f"export {export.name.text}: only a program can be exported", export.name.pos
            )
    if len(exports) > 1:
        raise QvrError(
            f"only one program can be exported (already exporting {exports[0].name.text})",
            exports[1].name.pos,
        )
    if exports:
        return programs[exports[0].name.text]
    if len(programs) == 1:
        return next(iter(programs.values()))
    if not programs:
        raise QvrError("the file declares no program", Pos(1, 1))
    listed = ", ".join(programs)
    raise QvrError(f"several programs ({listed}): add 'export NAME' to pick one", Pos(1, 1))


def build(decls: list[Decl], *, rng: Rng) -> QvrProgram:
    """Check every declaration in order and build the exported program's module."""
    scope = Scope()
    programs: dict[str, _Checked] = {}
    for decl in decls:
        if isinstance(decl, ObjectDecl):
            scope.define(decl.name.text, decl.name.pos)
            scope.objects[decl.name.text] = check_object(decl)
        elif isinstance(decl, MorphismDecl):
            scope.define(decl.name.text, decl.name.pos)
            scope.morphisms[decl.name.text] = check_morphism(decl, scope.objects)
        elif isinstance(decl, LetDecl):
            scope.define(decl.name.text, decl.name.pos)
            scope.lets[decl.name.text] = (decl, plan(scope, decl.expr))
        elif isinstance(decl, ProgramDecl):
            scope.define(decl.name.text, decl.name.pos)
            programs[decl.name.text] = _check_program(scope, decl)
            scope.programs.add(decl.name.text)
    chosen = _export(decls, programs, scope)
    _check_single_use(scope, chosen)
    return _build(chosen, scope, rng)
