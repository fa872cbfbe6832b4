"""Command line: ``shapely-nn demo | check | run | diagram | export``."""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MYPY_MISSING = (
    "shapely-nn check needs mypy, which is optional at run time: pip install 'shapely_nn[mypy]'"
)


def _check(paths: Sequence[str]) -> int:
    """Run mypy with the shapely_nn plugin on ``paths``; print each shape error with its line."""
    try:
        from mypy import api
    except ImportError:
        print(MYPY_MISSING, file=sys.stderr)
        return 2

    args = ["--no-error-summary", "--show-error-codes", "--hide-error-context", "--no-pretty"]
    if not Path("mypy.ini").is_file():
        args += ["--strict", "--plugin", "shapely_nn.mypy_plugin"]
    stdout, stderr, status = api.run([*args, *paths])
    if stderr:
        print(stderr, end="", file=sys.stderr)
    shape_errors = 0
    for line in stdout.splitlines():
        print(line)
        match = re.match(r"(?P<file>[^:]+):(?P<line>\d+): error: .*\[shape\]$", line)
        if match:
            shape_errors += 1
            source = _source_line(match["file"], int(match["line"]))
            if source:
                print(f"    {match['line']:>4} | {source}")
    total = sum(": error:" in line for line in stdout.splitlines())
    print(f"{shape_errors} shape errors, {total} errors in all", file=sys.stderr)
    return int(status)


def _source_line(path: str, number: int) -> str:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return ""
    return lines[number - 1].strip() if 0 < number <= len(lines) else ""


def _module(spec: str) -> Any:
    """A module from ``FILE.qvr``, ``FILE.npz`` or ``package.module:name`` (a module, or a
    function returning one, called with ``rng=0`` if it takes a seed)."""
    if spec.endswith(".qvr"):
        from shapely_nn.qvr import load as load_qvr

        return load_qvr(Path(spec)).module
    if spec.endswith(".npz"):
        from shapely_nn.io import load

        return load(spec)
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise ValueError(f"expected FILE.qvr, FILE.npz or package.module:name, got {spec!r}")
    value = getattr(importlib.import_module(module_name), attr)
    from shapely_nn.layers import Layer

    if isinstance(value, Layer):
        return value
    takes_rng = "rng" in inspect.signature(value).parameters
    return value(rng=0) if takes_rng else value()


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


def _diagram(spec: str) -> int:
    """Print a ``.qvr`` program or a module as a mermaid flowchart."""
    from shapely_nn.io import to_mermaid
    from shapely_nn.qvr import QvrError, load

    try:
        if spec.endswith(".qvr"):
            print(load(Path(spec)).mermaid(), end="")
        else:
            print(to_mermaid(_module(spec)), end="")
    except QvrError as exc:
        print(f"{spec}: {exc}" if exc.line is not None else str(exc), file=sys.stderr)
        return 1
    except (ValueError, ImportError, AttributeError, TypeError) as exc:
        print(f"{spec}: {exc}", file=sys.stderr)
        return 1
    return 0


def _export(spec: str, to: str, out: str | None) -> int:
    """Export a module as PyTorch source (printed or written) or as a ``.npz`` file."""
    from shapely_nn.io import save, to_pytorch_source
    from shapely_nn.qvr import QvrError

    try:
        module = _module(spec)
        if to == "npz":
            if out is None:
                raise ValueError("export --to npz needs --out FILE.npz")
            save(module, out)
            print(f"saved {type(module).__name__} to {out}")
            return 0
        source = to_pytorch_source(module)
    except (QvrError, ValueError, ImportError, AttributeError, TypeError) as exc:
        print(f"{spec}: {exc}", file=sys.stderr)
        return 1
    if out is None:
        print(source, end="")
    else:
        Path(out).write_text(source)
        print(f"wrote PyTorch source for {type(module).__name__} to {out}")
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
    diagram = commands.add_parser(
        "diagram", help="print a .qvr program or a module as a mermaid flowchart"
    )
    diagram.add_argument("file", metavar="FILE.qvr|FILE.npz|package.module:name")
    export = commands.add_parser(
        "export", help="export a module as PyTorch source or as a .npz file"
    )
    export.add_argument("file", metavar="FILE.qvr|FILE.npz|package.module:name")
    export.add_argument("--to", choices=("torch-source", "npz"), default="torch-source")
    export.add_argument("--out", default=None, help="write here instead of printing")
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
    if args.command == "export":
        return _export(args.file, args.to, args.out)
    return _check(args.paths)


if __name__ == "__main__":
    sys.exit(main())
