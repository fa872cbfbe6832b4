"""Runtime-validated imports: ``check_package("mymodels")``.

An import hook rewrites each module of the named packages as it is imported so that every
annotated function and method is decorated with ``shapechecked`` (innermost, under
``@property``/``@staticmethod``/...). beartype.claw and jaxtyping's hook do the same with
their own decorators; ours is needed because the dim binding across a call is ours.
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import CodeType, ModuleType, TracebackType

from shapely_nn import _checking
from shapely_nn.guards import describe

_DECORATOR = "__shapely_nn_shapechecked__"
_SKIP_DECORATORS = {"overload", "no_type_check"}


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _annotated(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    a = fn.args
    every = [*a.posonlyargs, *a.args, *a.kwonlyargs]
    return fn.returns is not None or any(arg.annotation is not None for arg in every)


class _Decorate(ast.NodeTransformer):
    def _visit_fn(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> ast.FunctionDef | ast.AsyncFunctionDef:
        self.generic_visit(node)
        names = {_decorator_name(d) for d in node.decorator_list}
        if _annotated(node) and not names & _SKIP_DECORATORS:
            node.decorator_list.append(ast.Name(id=_DECORATOR, ctx=ast.Load()))
        return node

    visit_FunctionDef = _visit_fn  # noqa: N815 (ast.NodeTransformer's naming)
    visit_AsyncFunctionDef = _visit_fn  # noqa: N815


def transform(tree: ast.Module) -> ast.Module:
    """Decorate every annotated function in ``tree`` and import the decorator at the top."""
    _Decorate().visit(tree)
    body = tree.body
    at = 0
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        at = 1  # keep the docstring first
    while at < len(body) and isinstance(body[at], ast.ImportFrom):
        node = body[at]
        assert isinstance(node, ast.ImportFrom)
        if node.module != "__future__":
            break
        at += 1
    body.insert(
        at,
        ast.ImportFrom(
            module="shapely_nn._checking",
            names=[ast.alias(name="shapechecked", asname=_DECORATOR)],
            level=0,
        ),
    )
    return ast.fix_missing_locations(tree)


class _CheckedLoader(importlib.machinery.SourceFileLoader):
    """Compiles the transformed source; skips the bytecode cache so no checked code leaks
    into an unchecked import (or the other way round)."""

    def get_code(self, fullname: str) -> CodeType:
        path = self.get_filename(fullname)
        source = self.get_data(path)
        tree = transform(ast.parse(source, filename=path))
        code: CodeType = compile(tree, path, "exec", dont_inherit=True)
        return code


class _CheckedFinder(importlib.abc.MetaPathFinder):
    def __init__(self, packages: tuple[str, ...]) -> None:
        self.packages = packages

    def _wanted(self, fullname: str) -> bool:
        return any(fullname == p or fullname.startswith(p + ".") for p in self.packages)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if not self._wanted(fullname):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return spec
        assert spec.origin is not None
        spec.loader = _CheckedLoader(fullname, spec.origin)
        return spec


class CheckedImports:
    """The installed hook; ``uninstall()`` it, or use it as a context manager."""

    def __init__(self, finder: _CheckedFinder | None) -> None:
        self._finder = finder

    @property
    def active(self) -> bool:
        """True while the hook is installed (False when the checks were off)."""
        return self._finder is not None and self._finder in sys.meta_path

    def uninstall(self) -> None:
        """Remove the hook; modules imported already stay checked."""
        if self._finder is not None and self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)

    def __enter__(self) -> CheckedImports:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.uninstall()


def check_package(*packages: str) -> CheckedImports:
    """Check every annotated function of these packages at call time, from their import on.

    Call it before the package is imported. With the checks off (``SHAPELY_NN_CHECKS=0`` or
    ``set_checks(False)``) nothing is installed and the package runs unchecked, at full speed.
    """
    if not packages:
        raise ValueError("check_package: name at least one package")
    # Refused before anything is installed: a finder holding a non-str would break every import.
    for name in packages:
        if not isinstance(name, str):
            raise TypeError(
                f"check_package: a package name must be a str, got {describe(name)} "
                f"in packages {packages!r}"
            )
        if not all(part.isidentifier() for part in name.split(".")):
            raise ValueError(f"check_package: {name!r} is not a package name (a.b.c)")
    already = [p for p in packages if p in sys.modules]
    if already:
        raise RuntimeError(
            f"check_package: {', '.join(already)} is imported already; call check_package "
            "before the first import so that its functions are checked"
        )
    if not _checking.checks_enabled():
        return CheckedImports(None)
    finder = _CheckedFinder(tuple(packages))
    sys.meta_path.insert(0, finder)
    return CheckedImports(finder)
