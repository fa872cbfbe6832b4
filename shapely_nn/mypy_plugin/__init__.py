"""The shapely_nn mypy plugin: enable with ``plugins = shapely_nn.mypy_plugin``.

Imports only mypy, the standard library and ``shapely_nn._dims``. A hook is handed out only
for a callee whose definition can involve a shape (``_scope``); everywhere else mypy runs
exactly as it does without the plugin.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import sys
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from mypy.build import PRI_LOW
from mypy.nodes import Import, MypyFile, TypeInfo
from mypy.plugin import (
    AnalyzeTypeContext,
    AttributeContext,
    FunctionContext,
    FunctionSigContext,
    MethodContext,
    MethodSigContext,
    Plugin,
    ReportConfigContext,
)
from mypy.plugins.default import DefaultPlugin
from mypy.types import FunctionLike, Instance, Type

from shapely_nn.mypy_plugin import _numpy_ops, _ops
from shapely_nn.mypy_plugin._annotations import analyze_arith, analyze_tensor
from shapely_nn.mypy_plugin._calls import SHAPE, CallChecker
from shapely_nn.mypy_plugin._context import against_context
from shapely_nn.mypy_plugin._guard import after, guarded
from shapely_nn.mypy_plugin._jaxtyping import ANNOTATED, analyze_jaxtyping
from shapely_nn.mypy_plugin._plain import listen
from shapely_nn.mypy_plugin._scope import Scope
from shapely_nn.mypy_plugin._shapes import ADD, ARITH, MUL, TENSOR, Infos

TENSOR_MODULE = TENSOR.rsplit(".", 1)[0]
R = TypeVar("R")
# The names whose annotations the plugin reads (every other name: no type-analyze hook).
_ANALYZED = frozenset((*ARITH, TENSOR, *ANNOTATED))
# Where the dims the plugin writes into a jaxtyping annotation live (``Add`` for ``"i+h"``): a
# package of their own that imports nothing, so a NumPy program pays for analysing (or loading
# from mypy's cache) that alone, not shapely_nn and everything its ``__init__`` imports: mypy
# loads a module's parent packages with it.
DIMS_MODULE = ADD.rsplit(".", 1)[0]

__all__ = [
    "DIMS_MODULE",
    "NEWEST_MYPY",
    "OLDEST_MYPY",
    "SHAPE",
    "TENSOR_MODULE",
    "ShapelyPlugin",
    "plugin",
    "source_digest",
    "supported",
]

# The mypy releases the plugin is tested with on every ``make test`` (the range it accepts).
OLDEST_MYPY = "1.16.1"
NEWEST_MYPY = "2.4.1"

_HERE = Path(__file__).resolve().parent
# Everything whose change can change what the plugin reports: its modules and the shared
# dim arithmetic.
SOURCES = (*sorted(_HERE.glob("*.py")), _HERE.parent / "_dims.py")


def source_digest(paths: Iterable[Path]) -> str:
    """A hash of the files' names and contents (a missing file counts as empty)."""
    h = hashlib.sha256()
    for path in paths:
        h.update(path.name.encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"")
        h.update(b"\0")
    return h.hexdigest()


class ShapelyPlugin(Plugin):
    """Static dimension checks for ``shapely_nn.Tensor`` and the layers built on it."""

    def __init__(self, options: object) -> None:
        super().__init__(options)  # type: ignore[arg-type]
        self._infos: Infos | None = None
        # The same without Tensor, for a NumPy program that never loads shapely_nn._tensor.
        self._array_infos: Infos | None = None
        # Names whose type-analyze hook is switched off while mypy analyses them itself.
        self._default_for: set[str] = set()
        self._calls = CallChecker(self.infos)
        daemon = bool(getattr(options, "fine_grained_incremental", False))
        self._scope = Scope(self.lookup_fully_qualified, revalidate=daemon)
        # mypy asks for a callee's hook on every call, and on every item it tries of an
        # overloaded one: the answer for a name is built once. Not in the daemon, whose
        # definitions (and so the scope's verdicts) change between runs.
        self._kept: dict[str, dict[str, Any]] | None = None
        if not daemon:
            self._kept = {kind: {} for kind in ("analyze", "fsig", "msig", "function", "method")}
        # mypy's own plugin, asked for the same names so that ours never shadows it.
        self._mypy = DefaultPlugin(options)  # type: ignore[arg-type]
        self._digest = source_digest(SOURCES)

    def set_modules(self, modules: dict[str, MypyFile]) -> None:
        """mypy hands every plugin the modules; the default plugin we delegate to too."""
        super().set_modules(modules)
        self._mypy.set_modules(modules)

    def report_config_data(self, ctx: ReportConfigContext) -> str:
        """The plugin's source hash: editing any plugin module invalidates mypy's cache."""
        return self._digest

    def infos(self) -> Infos | None:
        """The TypeInfos of Tensor, Add, Mul, int and tuple, once they are loaded."""
        if self._infos is not None:
            return self._infos
        modules = self._modules
        if modules is not None and TENSOR_MODULE not in modules:
            return self._array_infos or self._infos_without_tensor()
        found = [self._info(name) for name in (TENSOR, ADD, MUL, "builtins.int")]
        tuple_info = self._info("builtins.tuple")
        if any(i is None for i in found) or tuple_info is None:
            return None
        tensor, add, mul, int_info = found
        assert tensor and add and mul and int_info
        self._infos = Infos(tensor, add, mul, Instance(int_info, []), tuple_info)
        return self._infos

    def _infos_without_tensor(self) -> Infos | None:
        """Infos for arrays alone, while Tensor is not loaded (a NumPy program).

        Its ``tensor`` is never read: only a Tensor type leads there, and a program with one
        has loaded Tensor's module, when ``infos`` answers the full set instead.
        """
        found = [self._info(name) for name in (ADD, MUL, "builtins.int", "builtins.tuple")]
        if any(i is None for i in found):
            return None
        add, mul, int_info, tuple_info = found
        assert add and mul and int_info and tuple_info
        self._array_infos = Infos(add, add, mul, Instance(int_info, []), tuple_info)
        return self._array_infos

    def _info(self, fullname: str) -> TypeInfo | None:
        sym = self.lookup_fully_qualified(fullname)
        return sym.node if sym is not None and isinstance(sym.node, TypeInfo) else None

    def _default_analysis(self, ctx: AnalyzeTypeContext, fullname: str) -> Type:
        self._default_for.add(fullname)
        try:
            return ctx.api.analyze_type(ctx.type)
        finally:
            self._default_for.discard(fullname)

    # ---- annotations --------------------------------------------------------------
    def get_type_analyze_hook(self, fullname: str) -> Callable[[AnalyzeTypeContext], Type] | None:
        """Normal form for ``Add``/``Mul``/``FloorDiv``; validation for ``Tensor``."""
        if fullname in self._default_for or fullname not in _ANALYZED:
            return None
        return self._cached("analyze", self._analyze_hook, fullname)

    def _analyze_hook(self, fullname: str) -> Callable[[AnalyzeTypeContext], Type] | None:
        if fullname in ARITH:
            return guarded(self._arith_hook(fullname))
        if fullname == TENSOR:
            return guarded(listening(partial(analyze_tensor, default=self._default_analysis)))
        if fullname in ANNOTATED:
            return guarded(listening(self._annotated_hook(fullname)))
        return None

    def _annotated_hook(self, fullname: str) -> Callable[[AnalyzeTypeContext], Type]:
        def hook(ctx: AnalyzeTypeContext) -> Type:
            return analyze_jaxtyping(
                ctx, lambda: self._default_analysis(ctx, fullname), self.infos()
            )

        return hook

    def get_additional_deps(self, file: MypyFile) -> list[tuple[int, str, int]]:
        """A module using jaxtyping needs the dim types (``Add``...) the plugin writes."""
        for imp in file.imports:
            ids = [i for i, _ in imp.ids] if isinstance(imp, Import) else [getattr(imp, "id", "")]
            if any(i == "jaxtyping" or i.startswith("jaxtyping.") for i in ids):
                return [(PRI_LOW, DIMS_MODULE, -1)]
        return []

    def _arith_hook(self, fullname: str) -> Callable[[AnalyzeTypeContext], Type]:
        def hook(ctx: AnalyzeTypeContext) -> Type:
            return analyze_arith(ctx, fullname, self._default_analysis, self.infos())

        return hook

    # ---- calls --------------------------------------------------------------------
    def _shapes_loaded(self) -> bool:
        """Whether the program can have a shape: Tensor, or the dims of jaxtyping's arrays."""
        modules = self._modules
        return modules is None or TENSOR_MODULE in modules or DIMS_MODULE in modules

    def _involves(self, fullname: str) -> bool:
        """May a call of ``fullname`` involve a shape? Never, in a program without shapes."""
        return self._shapes_loaded() and self._scope.involves(fullname)

    def _numpy_result(self, fullname: str) -> bool:
        """A NumPy callee whose result may meet a declared shape (``y: Float[...] = f(x)``)."""
        return fullname.startswith("numpy.") and self._shapes_loaded()

    def _cached(self, kind: str, make: Callable[[str], R | None], fullname: str) -> R | None:
        """``make(fullname)``, kept per name once the program's shape modules are loaded."""
        kept = self._kept[kind] if self._kept is not None else None
        if kept is not None and fullname in kept:
            known: R | None = kept[fullname]
            return known
        hook = make(fullname)
        if kept is not None and self._shapes_loaded():
            kept[fullname] = hook
        return hook

    # Each hook is handed out only for a callee that can involve a shape (``_scope``), and
    # runs after mypy's own default-plugin hook for the same name, if there is one, so that
    # mypy's behaviour is kept wherever ours applies too.
    def get_function_signature_hook(
        self, fullname: str
    ) -> Callable[[FunctionSigContext], FunctionLike] | None:
        """Erase shapes before mypy checks the arguments of a callee with shapes."""
        return self._cached("fsig", self._function_signature_hook, fullname)

    def _function_signature_hook(
        self, fullname: str
    ) -> Callable[[FunctionSigContext], FunctionLike] | None:
        if fullname in _ops.FUNCTIONS or fullname in _numpy_ops.FUNCTIONS:
            return None
        if not self._involves(fullname):
            return None
        theirs = self._mypy.get_function_signature_hook(fullname)
        return after(theirs, "default_signature", guarded(self._calls.signature))

    def get_method_signature_hook(
        self, fullname: str
    ) -> Callable[[MethodSigContext], FunctionLike] | None:
        """As for functions, for methods and operators."""
        return self._cached("msig", self._method_signature_hook, fullname)

    def _method_signature_hook(
        self, fullname: str
    ) -> Callable[[MethodSigContext], FunctionLike] | None:
        if fullname in _numpy_ops.METHODS and self._numpy_result(fullname):
            return guarded(_numpy_ops.loose_signature)
        if fullname in _ops.METHODS or fullname in _numpy_ops.METHODS:
            return None
        if not self._involves(fullname):
            return None
        theirs = self._mypy.get_method_signature_hook(fullname)
        return after(theirs, "default_signature", guarded(self._calls.signature))

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        """Computed shapes of the tensor ops; strict unification for other shape callees."""
        return self._cached("function", self._function_hook, fullname)

    def _function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        op = _ops.FUNCTIONS.get(fullname)
        array_op = _numpy_ops.FUNCTIONS.get(fullname)
        if op is not None:
            hook = against_context(partial(_ops.run_function, op, self.infos))
        elif array_op is not None and self._numpy_result(fullname):
            # Compares its answer with the declared type itself, to answer once per call.
            hook = partial(_numpy_ops.run, array_op, self.infos)
        elif self._involves(fullname) or self._numpy_result(fullname):
            hook = against_context(partial(self._calls.function, fullname))
        else:
            return None
        theirs = self._mypy.get_function_hook(fullname)
        return after(theirs, "default_return_type", guarded(hook))

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        """Computed shapes of tensor methods; strict unification for other shape methods."""
        return self._cached("method", self._method_hook, fullname)

    def _method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        op = _ops.METHODS.get(fullname)
        array_op = _numpy_ops.METHODS.get(fullname)
        if op is not None:
            hook = against_context(partial(_ops.run_method, op, self.infos))
        elif array_op is not None and self._numpy_result(fullname):
            # Compares its answer with the declared type itself, to answer once per call.
            hook = partial(_numpy_ops.run, array_op, self.infos)
        elif self._involves(fullname) or self._numpy_result(fullname):
            hook = against_context(partial(self._calls.method, fullname))
        else:
            return None
        theirs = self._mypy.get_method_hook(fullname)
        return after(theirs, "default_return_type", guarded(hook))

    def get_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        """``Tensor.T`` swaps the last two dims; an ndarray's ``.T`` reverses them all."""
        if fullname == TENSOR + ".T":
            return guarded(against_context(partial(_ops.transpose_attribute, self.infos)))
        if fullname in _numpy_ops.TRANSPOSE_ATTRIBUTES and self._numpy_result(fullname):
            hook = partial(_numpy_ops.transpose_attribute, self.infos)
            return guarded(against_context(hook))
        return None


def listening(hook: Callable[[AnalyzeTypeContext], Type]) -> Callable[[AnalyzeTypeContext], Type]:
    """``hook``, after making sure plain-name returns are reported under ``shape`` too."""

    def run(ctx: AnalyzeTypeContext) -> Type:
        listen(getattr(getattr(ctx.api, "api", None), "errors", None))
        return hook(ctx)

    return run


def _release(version: str) -> tuple[int, ...]:
    """``(2, 4, 1)`` for ``"2.4.1"``, ``"2.4.0+dev.abc"`` or ``"2.5.0rc1"``."""
    parts = []
    for piece in version.split("+")[0].split(".")[:3]:
        digits = "".join(itertools.takewhile(str.isdigit, piece))
        parts.append(int(digits or 0))
    return tuple(parts)


def supported(version: str) -> bool:
    """Whether the plugin is tested with this mypy: from OLDEST_MYPY to NEWEST_MYPY's minor."""
    newest = _release(NEWEST_MYPY)[:2]
    return _release(OLDEST_MYPY) <= _release(version) and _release(version)[:2] <= newest


def plugin(version: str) -> type[Plugin]:
    """Entry point mypy calls with its version; an untested mypy is refused in one line."""
    if not supported(version) and not os.environ.get("SHAPELY_NN_ANY_MYPY"):
        print(
            f"shapely_nn.mypy_plugin supports mypy {OLDEST_MYPY} to {NEWEST_MYPY.rsplit('.', 1)[0]}"
            f".x, this is mypy {version}: pip install 'shapely_nn[mypy]' for a supported one "
            "(or set SHAPELY_NN_ANY_MYPY=1 to try it anyway)",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return ShapelyPlugin
