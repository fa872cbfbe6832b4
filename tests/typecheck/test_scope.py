"""Where the plugin hooks in: only shape callees, after mypy's own hook for the same name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from mypy.nodes import MypyFile
from mypy.options import Options

from shapely_nn.mypy_plugin import TENSOR_MODULE, ShapelyPlugin
from shapely_nn.mypy_plugin._guard import after


class _Ctx(NamedTuple):
    default_return_type: str
    seen: tuple[str, ...]


def test_ours_runs_on_the_answer_of_mypys_hook() -> None:
    """mypy's default-plugin hook answers first; ours sees that answer as the default."""

    def theirs(ctx: _Ctx) -> str:
        return ctx.default_return_type + " | theirs"

    def ours(ctx: _Ctx) -> str:
        return ctx.default_return_type + " | ours"

    both = after(theirs, "default_return_type", ours)
    assert both(_Ctx("mypy", ())) == "mypy | theirs | ours"
    assert after(None, "default_return_type", ours) is ours


def test_shapely_callees_are_hooked_once_tensor_is_loaded() -> None:
    """Every callee of the package may involve a shape; none can before Tensor is imported."""
    plugin = ShapelyPlugin(Options())
    plugin.set_modules({})
    assert plugin.get_method_hook("shapely_nn.layers._linear.Linear.__call__") is None
    plugin.set_modules({TENSOR_MODULE: MypyFile([], [])})
    assert plugin.get_function_hook("shapely_nn._tensor.concat") is not None
    assert plugin.get_method_hook("shapely_nn.layers._linear.Linear.__call__") is not None
    assert plugin.get_method_signature_hook("shapely_nn._tensor.Tensor.__add__") is not None
    assert plugin.get_function_hook("<list>") is None


def test_mypy_finds_the_package_and_the_plugin_from_any_folder(tmp_path: Path) -> None:
    """The venv's mypy, run in a folder of its own, reports a shape bug under [shape]."""
    (tmp_path / "mypy.ini").write_text("[mypy]\nplugins = shapely_nn.mypy_plugin\n")
    (tmp_path / "model.py").write_text(
        "from typing import Literal as L\n"
        "from shapely_nn import Tensor\n"
        "from shapely_nn.layers import Linear\n"
        "\n"
        "def head(x: Tensor[L[8], L[32]]) -> None:\n"
        "    Linear(64, 10, rng=0)(x)\n"
    )
    cmd = [sys.executable, "-m", "mypy", "--no-error-summary", "--config-file", "mypy.ini"]
    done = subprocess.run(
        [*cmd, "model.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    errors = [line for line in done.stdout.splitlines() if ": error: " in line]
    assert errors == [
        'model.py:6: error: Linear[64, 10] expects last dim In = 64, got 32 in argument "x" '
        "(Tensor[8, 32])  [shape]"
    ], done.stdout + done.stderr
