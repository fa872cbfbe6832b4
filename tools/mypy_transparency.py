"""Does the plugin change what mypy says about code without shapes? Prints every difference.

Two sources of code without shapes, each checked with and without
``plugins = shapely_nn.mypy_plugin`` by the mypy installed beside this script's Python:

* mypy's own single-module check cases (``test-data/unit/check-*.test``), read from a mypy
  source checkout or unpacked sdist that you point ``--mypy-source`` at (nothing of it is
  copied here). They run against the real typeshed, not mypy's test fixtures, so their
  expected output does not apply; only the two runs are compared.
* installed typed packages (``--packages``), checked whole, and source folders (``--files``,
  e.g. NumPy-heavy modules unpacked from a wheel), checked with imports followed silently.

``--jaxtyping`` adds a module that imports jaxtyping to every run, which switches on the
plugin's NumPy rules everywhere: then NumPy code nobody annotated is checked by them too, and
any error they add is a false positive.

Usage::

    python tools/mypy_transparency.py --mypy-source ~/src/mypy
    python tools/mypy_transparency.py --packages hypothesis lark _pytest beartype
    python tools/mypy_transparency.py --jaxtyping --files ~/wheels/sklearn/linear_model

The goal is ``0 differing`` on every line of the summary.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import re
import shlex
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from mypy import api

SUITES = (
    "typeddict",
    "functools",
    "ctypes",
    "literal",
    "dataclasses",
    "enum",
    "classes",
    "inference",
    "overloading",
    "protocols",
    "generics",
)
_CASE = re.compile(r"^\[case ([^\]]+)\]\s*$", re.M)
_SECTION = re.compile(r"^\[([a-z]+)[^\]]*\]\s*$", re.M)
_FLAGS = re.compile(r"^# flags: (.*)$", re.M)
# Flags that make no sense outside mypy's own test harness, or that need fixture stubs.
_DROP = ("--no-site-packages", "--custom-typeshed-dir", "--shadow-file")


@dataclass(frozen=True)
class Case:
    """One single-module check case: its name, source and command-line flags."""

    suite: str
    name: str
    source: str
    flags: tuple[str, ...]


def read_cases(test_file: Path, suite: str) -> tuple[list[Case], int]:
    """The single-module cases of one ``.test`` file, and how many others were passed over."""
    text = test_file.read_text()
    heads = list(_CASE.finditer(text))
    cases: list[Case] = []
    skipped = 0
    for head, nxt in zip(heads, [*heads[1:], None], strict=True):
        name = head.group(1)
        body = text[head.end() : nxt.start() if nxt else len(text)]
        sections = [m.group(1) for m in _SECTION.finditer(body)]
        first = _SECTION.search(body)
        source = body[: first.start()] if first else body
        if name.endswith("-skip") or {"file", "outfile"} & set(sections) or not _parses(source):
            skipped += 1
            continue
        flags_line = _FLAGS.search(source)
        flags = shlex.split(flags_line.group(1)) if flags_line else []
        kept = tuple(f for f in flags if not f.startswith(_DROP))
        cases.append(Case(suite, name.removesuffix("-xfail"), source, kept))
    return cases, skipped


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except SyntaxError:
        return False
    return True


def run(config: Path, cache: Path, args: list[str]) -> tuple[str, int]:
    """One in-process mypy run; its output and exit status."""
    common = ["--config-file", str(config), "--cache-dir", str(cache), "--no-error-summary"]
    common += ["--show-error-codes", "--no-pretty", "--hide-error-context"]
    stdout, stderr, status = api.run(common + args)
    return stdout + stderr, status


def by_file(output: str) -> dict[str, list[str]]:
    """Output lines grouped by the file name they start with."""
    out: dict[str, list[str]] = defaultdict(list)
    for line in output.splitlines():
        name, sep, rest = line.partition(":")
        if sep:
            out[Path(name).name].append(rest)
    return out


def compare_cases(cases: list[Case], work: Path, configs: dict[str, Path]) -> list[str]:
    """The names of the cases whose output differs, with the two outputs for each."""
    groups: dict[tuple[str, ...], list[tuple[str, Case]]] = defaultdict(list)
    for i, case in enumerate(cases):
        groups[case.flags].append((f"case_{i:05d}.py", case))
    report: list[str] = []
    for g, (flags, members) in enumerate(groups.items()):
        folder = work / f"group{g}"
        folder.mkdir()
        for filename, case in members:
            (folder / filename).write_text(case.source)
        outputs = {}
        for name, config in configs.items():
            files = [str(folder / f) for f, _ in members]
            text, status = run(config, work / f"cache-{name}", [*flags, *files])
            if status == 2:
                # A blocking error in one file stops the whole run: check them one by one.
                text = "\n".join(run(config, work / f"cache-{name}", [*flags, f])[0] for f in files)
            outputs[name] = by_file(text)
        for filename, case in members:
            plain, plugged = outputs["without"][filename], outputs["with"][filename]
            if plain != plugged:
                report.append(f"--- {case.suite}: {case.name}")
                report += ["  without: " + line for line in plain]
                report += ["  with:    " + line for line in plugged]
    return report


def compare_package(
    package: str, work: Path, configs: dict[str, Path]
) -> tuple[int, int, list[str]]:
    """Error counts without and with the plugin over an installed package, and the diff."""
    lines = {}
    for name, config in configs.items():
        text, _ = run(config, work / f"pkg-{name}", ["-p", package])
        lines[name] = [line for line in text.splitlines() if ": error: " in line]
    only_with = [
        f"  with only:    {line}" for line in lines["with"] if line not in lines["without"]
    ]
    only_without = [
        f"  without only: {line}" for line in lines["without"] if line not in lines["with"]
    ]
    return len(lines["without"]), len(lines["with"]), only_with + only_without


PROBE = """\
import numpy as np
from jaxtyping import Float

x: Float[np.ndarray, "b 3"] = np.zeros((2, 3))
"""


def compare_files(
    name: str, paths: list[str], work: Path, configs: dict[str, Path], extra: list[str]
) -> tuple[int, int, list[str]]:
    """Error counts without and with the plugin over source files, and the diff."""
    lines = {}
    flags = ["--follow-imports", "silent", "--ignore-missing-imports", *extra]
    for config_name, config in configs.items():
        text, _ = run(config, work / f"files-{name}-{config_name}", [*flags, *paths])
        lines[config_name] = [line for line in text.splitlines() if ": error: " in line]
    only_with = [f"  with only:    {x}" for x in lines["with"] if x not in lines["without"]]
    only_without = [f"  without only: {x}" for x in lines["without"] if x not in lines["with"]]
    return len(lines["without"]), len(lines["with"]), only_with + only_without


def main(argv: list[str] | None = None) -> int:
    """Compare mypy with and without the plugin; print a summary and every difference."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mypy-source", type=Path, help="a mypy checkout or unpacked sdist")
    parser.add_argument("--suites", nargs="*", default=list(SUITES))
    parser.add_argument("--packages", nargs="*", default=[])
    parser.add_argument("--files", nargs="*", default=[], help="source folders or files")
    parser.add_argument("--jaxtyping", action="store_true", help="switch on the NumPy rules")
    args = parser.parse_args(argv)
    import mypy.version

    print(f"mypy {mypy.version.__version__}, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        configs = {}
        for name, line in (("without", ""), ("with", "plugins = shapely_nn.mypy_plugin")):
            configs[name] = work / f"{name}.ini"
            configs[name].write_text(f"[mypy]\n{line}\n")
        differing = 0
        if args.mypy_source:
            for suite in args.suites:
                path = args.mypy_source / "test-data" / "unit" / f"check-{suite}.test"
                cases, skipped = read_cases(path, suite)
                start = time.perf_counter()
                suite_work = work / suite
                suite_work.mkdir()
                report = compare_cases(cases, suite_work, configs)
                diffs = sum(line.startswith("--- ") for line in report)
                differing += diffs
                took = time.perf_counter() - start
                print(
                    f"{suite:12} {len(cases):5} cases ({skipped} multi-module or unparsable "
                    f"passed over): {diffs} differing  [{took:.0f} s]"
                )
                for line in report:
                    print(line)
        for package in args.packages:
            if importlib.util.find_spec(package) is None:
                print(f"{package}: not installed, passed over")
                continue
            without, with_, diff = compare_package(package, work, configs)
            differing += len(diff)
            print(
                f"{package:12} errors without the plugin {without}, with it {with_}: "
                f"{len(diff)} differing lines"
            )
            for line in diff:
                print(line)
        extra: list[str] = []
        if args.jaxtyping:
            probe = work / "shapely_probe.py"
            probe.write_text(PROBE)
            extra = [str(probe)]
        for target in args.files:
            without, with_, diff = compare_files(Path(target).name, [target], work, configs, extra)
            differing += len(diff)
            print(
                f"{target}: errors without the plugin {without}, with it {with_}: "
                f"{len(diff)} differing lines"
            )
            for line in diff:
                print(line)
        print(f"total differing: {differing}")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
