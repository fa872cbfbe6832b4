"""Command line: ``shapely-nn demo`` and ``shapely-nn check PATHS``."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


def _check(paths: Sequence[str]) -> int:
    """Run mypy with the shapely_nn plugin on ``paths``; mypy's exit code."""
    cmd = [sys.executable, "-m", "mypy"]
    if not Path("mypy.ini").is_file():
        cmd += ["--config-file", "", "--strict", "--plugin", "shapely_nn.mypy_plugin"]
    return subprocess.run([*cmd, *paths], check=False).returncode


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``shapely-nn`` and ``python -m shapely_nn``."""
    parser = argparse.ArgumentParser(prog="shapely-nn", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="show shape bugs caught statically and at run time")
    check = commands.add_parser("check", help="type-check files with mypy and the plugin")
    check.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from shapely_nn import _demo

        return _demo.run()
    return _check(args.paths)


if __name__ == "__main__":
    sys.exit(main())
