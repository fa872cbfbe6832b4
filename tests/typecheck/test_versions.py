"""The supported mypy range: enforced when mypy loads the plugin, and mypy optional at run time."""

from __future__ import annotations

import sys

import pytest

from shapely_nn import cli
from shapely_nn.mypy_plugin import NEWEST_MYPY, OLDEST_MYPY, ShapelyPlugin, plugin, supported


@pytest.mark.parametrize(
    ("version", "ok"),
    [
        (OLDEST_MYPY, True),
        (NEWEST_MYPY, True),
        ("2.0.0", True),
        ("2.4.0+dev.8b3e7d8b9f", True),
        ("2.4.9", True),
        ("1.15.0", False),
        ("1.16.0", False),
        ("2.5.0", False),
        ("2.5.0rc1", False),
        ("3.0", False),
        ("0.991", False),
    ],
)
def test_supported_range(version: str, ok: bool) -> None:
    """From the oldest tested release to any patch release of the newest tested minor."""
    assert supported(version) is ok


def test_an_unsupported_mypy_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit status 2 and one line naming both versions and the fix; no traceback."""
    monkeypatch.delenv("SHAPELY_NN_ANY_MYPY", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        plugin("1.15.0")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"supports mypy {OLDEST_MYPY}" in err
    assert "this is mypy 1.15.0" in err
    assert "pip install 'shapely_nn[mypy]'" in err


def test_the_refusal_can_be_overridden(monkeypatch: pytest.MonkeyPatch) -> None:
    """SHAPELY_NN_ANY_MYPY=1 lets a user try an untested release at their own risk."""
    monkeypatch.setenv("SHAPELY_NN_ANY_MYPY", "1")
    assert plugin("2.9.0") is ShapelyPlugin


def test_check_without_mypy_says_how_to_install_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``shapely-nn check`` with no mypy installed: status 2 and the install line."""
    monkeypatch.setitem(sys.modules, "mypy", None)
    assert cli.main(["check", "model.py"]) == 2
    assert capsys.readouterr().err.strip() == cli.MYPY_MISSING
