"""``shapely-nn run FILE.qvr`` and ``shapely-nn diagram FILE.qvr``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from qvr_programs import SEED_PROGRAM

from shapely_nn import models
from shapely_nn.cli import main
from shapely_nn.qvr import load


def test_run_prints_the_structure_and_a_forward_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(SEED_PROGRAM), "--seed", "3", "--batch", "5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("program seq2seq : Source * Target -> Target\n")
    assert "fan(enc_head): Fan x4" in out and "stack(dec_block, 2): Stack x2" in out
    assert "lm_head: CategoricalHead[32, 32]" in out
    count = sum(a.size for a in models.quivers_seq2seq(rng=0).parameters().values())
    assert f"parameters: {count}\n" in out
    assert "forward (seed 3): input [5, 2] -> output [5, 32]" in out
    sums = re.search(r"sum to ([\d.]+)\.\.([\d.]+)", out)
    assert sums and abs(float(sums.group(1)) - 1) < 1e-5 and abs(float(sums.group(2)) - 1) < 1e-5
    # the same seed gives the same run
    assert main(["run", str(SEED_PROGRAM), "--seed", "3", "--batch", "5"]) == 0
    assert capsys.readouterr().out == out


def test_run_reports_a_bad_file_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.qvr"
    bad.write_text(SEED_PROGRAM.read_text().replace("Combined : Real 32", "Combined : Real 30"))
    assert main(["run", str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"{bad}: line 27, col 39: cross expects Combined (Real 30), but encoder @ decoder "
        "gives Latent * Latent (Real 32)\n"
    )
    assert main(["run", str(tmp_path / "missing.qvr")]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_diagram_prints_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagram", str(SEED_PROGRAM)]) == 0
    out = capsys.readouterr().out
    assert out == load(SEED_PROGRAM).mermaid()
    assert out.startswith("flowchart LR\n") and "subgraph s" in out
    for name in ("encoder", "decoder", "src_embed: Embed[32, 16]", "cross: Kernel[32, 32]"):
        assert name in out


def test_diagram_of_a_bad_file_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.qvr"
    bad.write_text("object A : Real 3\nlet x = f\n")
    assert main(["diagram", str(bad)]) == 1
    assert capsys.readouterr().err == f"{bad}: line 2, col 9: unknown morphism or let 'f'\n"


@pytest.mark.parametrize("command", ["run", "diagram", "check", "demo"])
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert f"usage: shapely-nn {command}" in capsys.readouterr().out


def test_top_level_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert all(c in out for c in ("demo", "check", "run", "diagram"))


def test_run_refuses_a_non_positive_batch(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["run", str(SEED_PROGRAM), "--batch", "0"])
    assert (
        info.value.code == 2
        and "--batch must be positive and --seed non-negative" in capsys.readouterr().err
    )
