"""mypy re-checks cached modules when the plugin's source changes (``report_config_data``)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from _mypy_cases import write_config
from mypy import api
from mypy.options import Options

from shapely_nn.mypy_plugin import SOURCES, ShapelyPlugin, source_digest


def test_digest_covers_every_plugin_module_and_the_dim_arithmetic() -> None:
    """Each plugin submodule and ``_dims.py`` feed the hash."""
    names = {p.name for p in SOURCES}
    assert {"__init__.py", "_calls.py", "_unify.py", "_ops.py", "_dims.py"} <= names
    assert all(p.is_file() for p in SOURCES)


def test_digest_changes_when_a_source_changes(tmp_path: Path) -> None:
    """Same files, same hash; one edited byte in any file, another hash."""
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("x = 1\n")
    b.write_text("y = 2\n")
    before = source_digest([a, b])
    assert source_digest([a, b]) == before
    b.write_text("y = 3\n")
    assert source_digest([a, b]) != before


def test_report_config_data_is_the_digest() -> None:
    """mypy stores this in each module's cache meta and re-checks when it differs."""
    plugin = ShapelyPlugin(Options())
    ctx = SimpleNamespace(id="m", path="m.py", is_check=False)
    assert plugin.report_config_data(ctx) == source_digest(SOURCES)  # type: ignore[arg-type]


def test_mypy_rechecks_after_a_plugin_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """End to end: a warm cache is reused, until a plugin source file changes."""
    import shapely_nn.mypy_plugin as plugin_module

    extra = tmp_path / "_extra.py"  # stands for a plugin submodule being edited
    extra.write_text("A = 1\n")
    monkeypatch.setattr(plugin_module, "SOURCES", (*plugin_module.SOURCES, extra))
    case = tmp_path / "case.py"
    case.write_text("from shapely_nn import Tensor\n\n\ndef f(x: Tensor[int]) -> None: ...\n")
    config = write_config(tmp_path)
    args = ["--config-file", str(config), "--cache-dir", str(tmp_path / "cache"), "-v", str(case)]
    api.run(args)
    _, warm, _ = api.run(args)
    assert "Metadata abandoned for case" not in warm
    extra.write_text("A = 2\n")
    _, edited, _ = api.run(args)
    assert "Metadata abandoned for case: plugin configuration differs" in edited
