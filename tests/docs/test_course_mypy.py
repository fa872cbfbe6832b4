"""The course pages that type-check: mypy with the plugin says exactly what `# E:` lines say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "docs" / "course"
# Each checked page, with how many lines it marks as errors.
PAGES = {"02-catching-bugs-with-mypy.md": 3, "07-static-checks-for-numpy.md": 4}
CONFIG = "[mypy]\nplugins = shapely_nn.mypy_plugin\nstrict = True\n"


@pytest.mark.parametrize(("page", "marked"), PAGES.items())
def test_every_marked_line_and_only_those_are_flagged(
    page: str, marked: int, tmp_path: Path
) -> None:
    """Each page's blocks, as one program, get exactly the errors their lines mark."""
    blocks = re.findall(r"```python\n(.*?)```", (COURSE / page).read_text(), re.S)
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
    assert len(expected) == marked
    assert got == expected, stdout + stderr
    assert status == 1
