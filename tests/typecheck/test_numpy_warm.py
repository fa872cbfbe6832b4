"""NumPy code with jaxtyping costs little on a warm cache, and says there what it says cold.

A module importing jaxtyping gets one extra dependency from the plugin, the module of the
dims it writes (``Add`` for ``"i+h"``). That module imports nothing else of the package, so a
warm re-check loads it alone from the cache, not ``shapely_nn._tensor`` and all it imports:
the plugin then works without Tensor's TypeInfo. The session's case run checks everything
cold and with Tensor loaded, so these runs check the NumPy cases again, warm and on their own.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
from _mypy_cases import CASES, expected, parse, run_mypy, write_config
from mypy.build import PRI_LOW
from mypy.nodes import ImportFrom, MypyFile
from mypy.options import Options

from shapely_nn.mypy_plugin import DIMS_MODULE, TENSOR_MODULE, ShapelyPlugin

NUMPY_CASES = ("ok_numpy_models.py", "bad_numpy_ops.py")


def test_a_jaxtyping_module_depends_on_the_dims_module() -> None:
    """The dependency the plugin adds is the dims' module, not Tensor's."""
    plugin = ShapelyPlugin(Options())
    uses = MypyFile([], [ImportFrom("jaxtyping", 0, [("Float", None)])])
    assert plugin.get_additional_deps(uses) == [(PRI_LOW, DIMS_MODULE, -1)]
    assert plugin.get_additional_deps(MypyFile([], [])) == []
    assert DIMS_MODULE != TENSOR_MODULE


def test_the_dims_module_imports_nothing_but_typing() -> None:
    """What a NumPy program loads: the dims' package, which imports no module of shapely_nn
    (mypy would load shapely_nn's ``__init__`` with it, and so the whole library)."""
    import importlib.util

    spec = importlib.util.find_spec(DIMS_MODULE)
    assert spec is not None and spec.origin is not None
    assert "." not in DIMS_MODULE
    imported: set[str] = set()
    for node in ast.walk(ast.parse(Path(spec.origin).read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert imported <= {"__future__", "typing"}


def test_a_numpy_program_never_analyses_the_library(tmp_path: Path) -> None:
    """mypy's graph for jaxtyping code with dim arithmetic (``"i+h"``) holds the dims' package
    and no module of shapely_nn: the library is neither analysed nor loaded for it."""
    from mypy import build
    from mypy.main import process_options

    case = tmp_path / "ok_numpy_models.py"
    shutil.copy(CASES / case.name, case)
    config = write_config(tmp_path)
    args = ["--config-file", str(config), "--cache-dir", str(tmp_path / "cache"), str(case)]
    sources, options = process_options(args)
    result = build.build(sources, options)
    assert not [e for e in result.errors if ": error:" in e], result.errors
    assert DIMS_MODULE in result.graph and "numpy" in result.graph
    assert not [m for m in result.graph if m == "shapely_nn" or m.startswith("shapely_nn.")]


@pytest.mark.parametrize("name", NUMPY_CASES)
def test_a_numpy_case_says_the_same_cold_and_warm(tmp_path: Path, name: str) -> None:
    """Cold (the whole package analysed) and warm (the dims' module alone): same diagnostics."""
    case = tmp_path / name
    shutil.copy(CASES / name, case)
    config = write_config(tmp_path)
    want = [str(d) for d in expected(case)]
    for run in ("cold", "warm"):
        if run == "warm":
            case.write_text(case.read_text() + "# edited, so that mypy checks it again\n")
        stdout, stderr, status = run_mypy([case], config, tmp_path / "cache")
        assert "INTERNAL ERROR" not in stdout + stderr, stdout + stderr
        assert status in (0, 1), stdout + stderr
        got = [str(d) for d in parse(stdout).get(case.resolve(), [])]
        assert got == want, run
