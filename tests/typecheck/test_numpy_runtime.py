"""The static verdict on jaxtyping-annotated NumPy code agrees with jaxtyping's at run time.

Every NumPy bug in the gallery (``examples/bugs/numpy_*.py``) is flagged by the plugin and,
run under ``jaxtyping.install_import_hook(..., "beartype.beartype")``, fails at run time too:
NumPy refuses the op, or jaxtyping refuses a shape. The passing programs run clean.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import jaxtyping
import pytest
from _mypy_cases import BUGS, CASES, expected

GALLERY = sorted(BUGS.glob("numpy_*.py"))
PASSING = sorted(CASES.glob("ok_numpy_*.py"))


def checked_import(path: Path) -> ModuleType:
    """``path`` imported with every annotated function checked by jaxtyping and beartype."""
    name = path.stem
    sys.modules.pop(name, None)
    with jaxtyping.install_import_hook(name, "beartype.beartype"):
        return importlib.import_module(name)


@pytest.fixture(autouse=True)
def importable(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The gallery and the cases as top-level modules, for this test only."""
    monkeypatch.syspath_prepend(str(BUGS))
    monkeypatch.syspath_prepend(str(CASES))
    yield


def test_the_gallery_has_the_numpy_bugs_the_issue_names() -> None:
    """Weight untransposed, forgotten [x; h], wrong axis, keepdims, einsum, key, head split."""
    names = {p.stem for p in GALLERY}
    assert {
        "numpy_linear_weight_untransposed",
        "numpy_cell_forgot_concat",
        "numpy_reduce_wrong_axis",
        "numpy_softmax_without_keepdims",
        "numpy_einsum_wrong_output",
        "numpy_attention_key_untransposed",
        "numpy_head_split_wrong_size",
    } <= names


@pytest.mark.parametrize("path", GALLERY, ids=lambda p: p.stem)
def test_a_statically_flagged_bug_fails_at_run_time(path: Path) -> None:
    """One [shape] error statically; NumPy or jaxtyping refuses the same call at run time."""
    errors = [d for d in expected(path) if d.kind == "E"]
    assert len(errors) == 1 and errors[0].message.endswith("[shape]")
    module = checked_import(path)
    with pytest.raises((ValueError, jaxtyping.TypeCheckError)):
        module.main()


@pytest.mark.parametrize("path", PASSING, ids=lambda p: p.stem)
def test_a_statically_clean_program_runs_clean(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No error statically; every call passes jaxtyping's checks at run time."""
    assert not [d for d in expected(path) if d.kind == "E"]
    module = checked_import(path)
    module.main()
    assert "Runtime type is" in capsys.readouterr().err
