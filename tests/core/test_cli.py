"""The command line: check, diagram and export (run/diagram of .qvr files: tests/qvr)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from shapely_nn.cli import main
from shapely_nn.io import load, to_torch

ROOT = Path(__file__).resolve().parents[2]


def test_check_prints_each_shape_error_with_its_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code = main(["check", "examples/bugs/forgot_state_concat.py"])
    out, err = capsys.readouterr()
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("examples/bugs/forgot_state_concat.py:18: error: Linear[H + In, H]")
    assert lines[1].strip().startswith("18 | cell(x)")
    assert err.strip().endswith("1 shape errors, 1 errors in all")


def test_check_passes_a_clean_example(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["check", "examples/lstm_seed_cell.py"]) == 0
    assert capsys.readouterr().err.strip().endswith("0 shape errors, 0 errors in all")


def test_diagram_of_a_module_spec(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagram", "shapely_nn.models:quivers_seq2seq"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("flowchart LR\n") and out.count('"fan x4"') == 4


def test_export_torch_source_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "model.py"
    assert main(["export", "shapely_nn.models:quivers_seq2seq", "--out", str(target)]) == 0
    namespace: dict[str, object] = {}
    exec(target.read_text(), namespace)
    built = namespace["build"]()  # type: ignore[operator]
    from shapely_nn import models

    reference = to_torch(models.quivers_seq2seq(rng=0))
    assert sorted(built.state_dict()) == sorted(reference.state_dict())
    built.load_state_dict(reference.state_dict())
    ids = torch.from_numpy(np.random.default_rng(0).integers(0, 32, size=(3, 2)))
    torch.testing.assert_close(built(ids), reference(ids))


def test_export_npz_and_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "model.npz"
    program = str(ROOT / "examples" / "qvr" / "seq2seq.qvr")
    assert main(["export", program, "--to", "npz", "--out", str(target)]) == 0
    assert "saved Chain to" in capsys.readouterr().out
    assert len(load(target).parameters()) == 78
    assert main(["diagram", str(target)]) == 0


def test_bad_spec_exits_non_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "no_such_thing"]) == 1
    assert "expected FILE.qvr, FILE.npz or package.module:name" in capsys.readouterr().err
    assert main(["export", str(ROOT / "examples" / "qvr" / "seq2seq.qvr"), "--to", "npz"]) == 1
