"""The error catalogue is current, and the plugin stays free of NumPy."""

from __future__ import annotations

import subprocess
import sys

from _errors_doc import DOC, render


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
    assert out.stdout.split("\n")[0] == str(
        [
            "shapely_nn",
            "shapely_nn._dims",
            "shapely_nn.mypy_plugin",
            "shapely_nn.mypy_plugin._annotations",
            "shapely_nn.mypy_plugin._calls",
            "shapely_nn.mypy_plugin._guard",
            "shapely_nn.mypy_plugin._ops",
            "shapely_nn.mypy_plugin._shapes",
            "shapely_nn.mypy_plugin._unify",
        ]
    )
