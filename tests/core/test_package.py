"""The package surface: lazy exports, a plugin import free of NumPy, the demo."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import shapely_nn

ROOT = Path(__file__).resolve().parents[2]


def test_every_public_name_resolves() -> None:
    for name in shapely_nn.__all__:
        assert getattr(shapely_nn, name) is not None, name


def test_type_checking_imports_match_the_lazy_exports() -> None:
    tree = ast.parse((ROOT / "shapely_nn" / "__init__.py").read_text())
    block = next(n for n in tree.body if isinstance(n, ast.If))
    imported = {
        alias.asname or alias.name
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert imported == set(shapely_nn._EXPORTS) | {"functional", "guards", "io", "layers", "train"}


def test_the_distribution_ships_both_typed_packages() -> None:
    """``shapely_nn`` and the dims' own package (what jaxtyping programs load), each marked
    typed (PEP 561), so that mypy reads them from an install too."""
    import tomllib

    from setuptools import find_packages

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = find_packages(where=str(ROOT), include=config["packages"]["find"]["include"])
    for package in ("shapely_nn", "shapely_nn_dims"):
        assert package in found
        assert "py.typed" in config["package-data"][package]
        assert (ROOT / package / "py.typed").is_file()
    assert shapely_nn.Add.__module__ == "shapely_nn_dims"


def test_plugin_import_does_not_load_numpy() -> None:
    code = "import sys, shapely_nn.mypy_plugin, shapely_nn._dims; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_demo_shows_a_runtime_shape_bug() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "shapely_nn", "demo"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert 'ShapeError: cell_input(): argument "h" has shape [2, 5]' in out.stdout
    assert "GuardError: embed_dim % heads == 0 does not hold" in out.stdout
    assert "example model files: clean" in out.stdout
    bugs = len(list((ROOT / "examples" / "bugs").glob("*.py")))
    assert f"mypy + plugin caught {bugs} shape bugs in examples/bugs" in out.stdout
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("greedy token accuracy"))
    assert float(line.rsplit(" ", 1)[1].rstrip("%")) >= 95.0
