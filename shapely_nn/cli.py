"""Command line: ``shapely-nn demo``, ``check PATHS``, ``run FILE.qvr``, ``diagram FILE.qvr``."""

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


def _run(path: str, seed: int, batch: int) -> int:
    """Load a ``.qvr`` program, print its structure and a forward pass on random input."""
    import numpy as np

    from shapely_nn.qvr import QvrError, load

    try:
        program = load(Path(path), rng=seed)
    except QvrError as exc:
        print(f"{path}: {exc}" if exc.line is not None else str(exc), file=sys.stderr)
        return 1
    print(program.summary())
    x = program.example_input(batch, seed)
    y = program(x).numpy()
    print(f"forward (seed {seed}): input {list(x.shape)} -> output {list(y.shape)}")
    if program.log_probs:
        rows = np.exp(y.astype(np.float64)).sum(-1)
        print(f"probabilities per row sum to {rows.min():.6f}..{rows.max():.6f}")
        print(f"most likely next token per row: {y.argmax(-1).tolist()}")
    return 0


def _diagram(path: str) -> int:
    """Print a ``.qvr`` program's module as a mermaid flowchart."""
    from shapely_nn.qvr import QvrError, load

    try:
        program = load(Path(path))
    except QvrError as exc:
        print(f"{path}: {exc}" if exc.line is not None else str(exc), file=sys.stderr)
        return 1
    print(program.mermaid(), end="")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``shapely-nn`` and ``python -m shapely_nn``."""
    parser = argparse.ArgumentParser(prog="shapely-nn", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="show shape bugs caught statically and at run time")
    check = commands.add_parser("check", help="type-check files with mypy and the plugin")
    check.add_argument("paths", nargs="+")
    run = commands.add_parser(
        "run", help="load a .qvr program, print its structure and a forward pass"
    )
    run.add_argument("file", metavar="FILE.qvr")
    run.add_argument("--seed", type=int, default=0, help="seed for the parameters and the input")
    run.add_argument("--batch", type=int, default=4, help="rows of random input (default 4)")
    diagram = commands.add_parser("diagram", help="print a .qvr program as a mermaid flowchart")
    diagram.add_argument("file", metavar="FILE.qvr")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from shapely_nn import _demo

        return _demo.run()
    if args.command == "run":
        if args.batch <= 0 or args.seed < 0:
            parser.error("run: --batch must be positive and --seed non-negative")
        return _run(args.file, args.seed, args.batch)
    if args.command == "diagram":
        return _diagram(args.file)
    return _check(args.paths)


if __name__ == "__main__":
    sys.exit(main())
