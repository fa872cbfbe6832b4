"""Each course page opens as a notebook: ``jupytext --to ipynb`` gives one code cell per block."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs" / "course").glob("*.md"))
JUPYTEXT = Path(sys.executable).parent / "jupytext"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_jupytext_turns_the_page_into_its_code_cells(page: Path, tmp_path: Path) -> None:
    assert JUPYTEXT.exists(), "jupytext is not installed: pip install -e '.[test]'"
    notebook = tmp_path / (page.stem + ".ipynb")
    # The command docs/editors.md gives, with the output placed outside the checkout.
    subprocess.run(
        [str(JUPYTEXT), "--to", "ipynb", "--output", str(notebook), str(page)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    cells = json.loads(notebook.read_text())["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), re.S)
    assert code == [b.rstrip("\n") for b in blocks]
    assert len(code) >= 2
    assert any(c["cell_type"] == "markdown" for c in cells)
