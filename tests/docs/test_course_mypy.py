"""The course's type-checking page: mypy with the plugin says exactly what its `# E:` lines say."""

from __future__ import annotations

import re
from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "course" / "02-catching-bugs-with-mypy.md"
CONFIG = "[mypy]\nplugins = shapely_nn.mypy_plugin\nstrict = True\n"


def test_every_marked_line_and_only_those_are_flagged(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)
    source = "".join(blocks)
    program = tmp_path / "lesson.py"
    program.write_text(source)
    config = tmp_path / "mypy.ini"
    config.write_text(CONFIG)
    expected = [
        f"{n}: {m.group(1)}"
        for n, line in enumerate(source.splitlines(), start=1)
        if (m := re.search(r"# E: (.*)$", line))
    ]
    stdout, stderr, status = api.run(
        [
            "--config-file",
            str(config),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-error-summary",
            "--hide-error-context",
            str(program),
        ]
    )
    got = [
        f"{m.group(1)}: {m.group(2)}"
        for line in stdout.splitlines()
        if (m := re.match(r".*?:(\d+): error: (.*)$", line))
    ]
    assert len(expected) == 3
    assert got == expected, stdout + stderr
    assert status == 1
