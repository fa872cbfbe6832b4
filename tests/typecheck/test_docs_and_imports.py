"""The error catalogue is current, and the plugin stays free of NumPy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from _errors_doc import DOC, render

import shapely_nn.mypy_plugin as plugin


def test_errors_doc_is_up_to_date() -> None:
    """docs/errors.md is what the gallery renders to (regenerate with _errors_doc.py)."""
    assert DOC.read_text() == render()


def test_plugin_does_not_import_numpy() -> None:
    """mypy loads the plugin; importing it must not pull NumPy (or the runtime package)."""
    code = (
        "import sys; import shapely_nn.mypy_plugin as p; p.plugin('2.4.1'); "
        "print(sorted(m for m in sys.modules if m == 'numpy' or m.startswith('shapely_nn')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    plugin_dir = Path(plugin.__file__).parent
    modules = sorted(f"shapely_nn.mypy_plugin.{p.stem}" for p in plugin_dir.glob("_[a-z]*.py"))
    expected = ["shapely_nn", "shapely_nn._dims", "shapely_nn.mypy_plugin", *modules]
    assert out.stdout.split("\n")[0] == str(sorted(expected))
