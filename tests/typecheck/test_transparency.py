"""The plugin is invisible where there are no shapes: mypy says exactly what it says without it.

The programs in ``transparency/`` exercise what mypy's built-in plugins and special cases do
(TypedDict methods, ``functools``, ``ctypes`` arrays, ``dataclasses``, enums, ``Literal``
arithmetic, ``str.format``, overloads, protocols, constrained generics, attrs). Each is checked
once with the plugin and once without; every line of output must be the same.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from mypy import api

HERE = Path(__file__).resolve().parent / "transparency"
CONFIG = """\
[mypy]
{plugins}
python_version = 3.11
strict = True
warn_unreachable = True
"""


def programs() -> list[Path]:
    """The transparency programs (attrs' only where attrs is installed)."""
    files = sorted(HERE.glob("*.py"))
    if importlib.util.find_spec("attrs") is None:
        files = [f for f in files if f.stem != "attrs_uses"]
    return files


def check(tmp: Path, plugin: bool) -> str:
    """mypy's whole output over the programs, with or without the plugin."""
    config = tmp / ("with.ini" if plugin else "without.ini")
    line = "plugins = shapely_nn.mypy_plugin" if plugin else ""
    config.write_text(CONFIG.format(plugins=line))
    args = ["--config-file", str(config), "--cache-dir", str(tmp / config.stem)]
    args += ["--no-error-summary", "--show-error-codes", "--no-pretty", "--hide-error-context"]
    stdout, stderr, status = api.run(args + [str(p) for p in programs()])
    assert "INTERNAL ERROR" not in stdout + stderr, stdout + stderr
    assert status in (0, 1), stdout + stderr
    return stdout


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str]]:
    """mypy's output lines with and without the plugin."""
    tmp = tmp_path_factory.mktemp("transparency")
    return check(tmp, plugin=True).splitlines(), check(tmp, plugin=False).splitlines()


def _of(lines: list[str], path: Path) -> list[str]:
    """The output lines about ``path`` (mypy prints paths relative to the working folder)."""
    out = []
    for line in lines:
        name, sep, rest = line.partition(":")
        if sep and Path(name).resolve() == path:
            out.append(path.name + ":" + rest)
    return out


@pytest.mark.parametrize("path", programs(), ids=lambda p: p.stem)
def test_same_output_with_and_without_the_plugin(
    path: Path, outputs: tuple[list[str], list[str]]
) -> None:
    """Every error and note on the program is the same with the plugin on."""
    with_plugin, without = outputs
    assert _of(with_plugin, path) == _of(without, path)


@pytest.mark.parametrize("path", programs(), ids=lambda p: p.stem)
def test_the_program_is_really_checked(path: Path, outputs: tuple[list[str], list[str]]) -> None:
    """Each reveal_type gets its note and each program has errors: the comparison has teeth."""
    lines = _of(outputs[1], path)
    reveals = len(re.findall(r"^\s*reveal_type\(|[^_]reveal_type\(", path.read_text(), re.M))
    assert sum("Revealed type is" in line for line in lines) == reveals
    assert any(": error: " in line for line in lines) or path.stem == "mixed_with_tensors"
