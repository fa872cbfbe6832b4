"""``%load_ext shapely_nn`` and ``%%shapecheck`` in IPython's own shell."""

from __future__ import annotations

import builtins
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import IPython  # noqa: F401  (the notebook extra, in the test extra: no skip)
import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from shapely_nn.notebook import cell_source

LAYER = """\
from typing import Literal as L, TypeVar
import shapely_nn as sn
from shapely_nn import Tensor
from shapely_nn.layers import Linear

B = TypeVar("B", bound=int)
head: Linear[L[128], L[10]] = Linear(128, 10, rng=0)
"""

BAD = """\
def classify(features: Tensor[B, L[64]]) -> Tensor[B, L[10]]:
    return head(features)
ran = True
"""

GOOD = """\
def classify(features: Tensor[B, L[128]]) -> Tensor[B, L[10]]:
    return head(features)
logits = classify(sn.zeros((2, 128)))
"""


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A fresh IPython shell with its history in memory and the extension loaded."""
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    config.InteractiveShell.ipython_dir = str(tmp_path_factory.mktemp("ipython"))
    # The shell takes over sys.modules["__main__"] and adds builtins (__IPYTHON__, display):
    # put them back so later tests in this process do not believe they run in IPython.
    main, names = sys.modules["__main__"], set(vars(builtins))
    InteractiveShell.clear_instance()
    ip = InteractiveShell.instance(config=config)
    ip.run_cell("%load_ext shapely_nn", store_history=True)
    yield ip
    ip.history_manager.end_session()
    InteractiveShell.clear_instance()
    sys.modules["__main__"] = main
    for name in set(vars(builtins)) - names:
        delattr(builtins, name)


def run(shell: Any, source: str) -> int:
    """Run one cell as a notebook does; its cell number."""
    number: int = shell.execution_count
    result = shell.run_cell(source, store_history=True)
    assert result.error_in_exec is None, result.error_in_exec
    return number


def test_a_bug_using_an_earlier_cell_is_reported_by_cell_and_line_and_not_run(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    layer_cell = run(shell, LAYER)
    bug_cell = run(shell, "%%shapecheck\n" + BAD)
    out = capsys.readouterr().out
    assert layer_cell < bug_cell
    assert out.splitlines() == [
        f"cell [{bug_cell}], line 3: error: Linear[128, 10] expects last dim In = 128, got 64 "
        'in argument "x" (Tensor[B, 64])  [shape]',
        f"cell [{bug_cell}] not run: fix the errors above, or run it without %%shapecheck",
    ]
    assert "ran" not in shell.user_ns


def test_a_correct_cell_prints_nothing_and_runs(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # The refused cell above is left out: its classify would clash with this one.
    run(shell, "%%shapecheck\n" + GOOD)
    assert capsys.readouterr().out == ""
    assert shell.user_ns["logits"].numpy().shape == (2, 10)


def test_ipython_syntax_reads_as_pass_and_other_cell_magics_are_skipped() -> None:
    assert cell_source("%%shapecheck\nx = 1\n  !ls\n%time f()") == "\nx = 1\n  pass\npass"
    assert cell_source("%%bash\necho hi") is None


def test_load_ipython_extension_is_reachable_from_the_package() -> None:
    import shapely_nn

    assert callable(shapely_nn.load_ipython_extension)
    assert "load_ipython_extension" not in shapely_nn.__all__
    assert Path(shapely_nn.__file__).name == "__init__.py"
