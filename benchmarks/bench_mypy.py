"""mypy's time with the shapely_nn plugin against plain mypy, side by side in one run.

Run as ``python -m benchmarks.bench_mypy``. Targets: the example models, and generated
models of 50, 100 and 200 chained layers. Each configuration first warms its own cache (the
standard library, NumPy's stubs and shapely_nn itself), then times re-checking the target
alone (its source changes between rounds), which is the cost a user pays per edit; a cold
run (empty cache) is reported for the examples too, and cold runs over installed packages
with no shapes at all (hypothesis and lark, _pytest and beartype), where the plugin should
cost nothing. Times are medians of the CPU time (user + system) of
separate ``mypy`` processes, so both sides pay the same start-up and other load on the machine
does not count.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 5
CONFIG = """\
[mypy]
{plugins}
python_version = 3.11
strict = True
"""


def chain(layers: int) -> str:
    """A model of ``layers`` chained Linear layers (sizes alternate 16 and 32) with ReLUs."""
    lines = [
        "from typing import Literal as L, TypeVar",
        "",
        "from shapely_nn import Tensor, relu",
        "from shapely_nn.layers import Linear",
        "",
        'B = TypeVar("B", bound=int)',
        "",
        "",
        "def model(x: Tensor[B, L[16]]) -> Tensor[B, L[16]]:",
        "    h0 = x",
    ]
    for i in range(layers):
        n_in, n_out = (16, 32) if i % 2 == 0 else (32, 16)
        lines.append(f"    layer{i} = Linear({n_in}, {n_out}, rng={i})")
        lines.append(f"    h{i + 1} = relu(layer{i}(h{i}))")
    out = f"h{layers}" if layers % 2 == 0 else f"Linear(32, 16, rng=0)(h{layers})"
    lines.append(f"    return {out}")
    return "\n".join(lines) + "\n"


NUMPY_CASE = ROOT / "tests" / "typecheck" / "cases" / "ok_numpy_models.py"


def numpy_heavy(copies: int) -> str:
    """Plain NumPy models with jaxtyping annotations (the passing case), ``copies`` times."""
    source = NUMPY_CASE.read_text().split("\ndef main", 1)[0]
    head, body = source.split("\n\n\n", 1)
    body = body.replace("reveal_type(", "print(")
    names = [line.split("(")[0][4:] for line in body.splitlines() if line.startswith("def ")]
    parts = [head]
    for k in range(copies):
        part = body
        for name in names:
            part = part.replace(f"{name}(", f"{name}_{k}(")
        parts.append(part)
    return "\n\n\n".join(parts)


def run_mypy(config: Path, cache: Path, files: list[Path] | list[str]) -> float:
    """Seconds for one ``mypy`` process over ``files`` (paths, or arguments such as ``-p``)."""
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(config), "--cache-dir", str(cache)]
    before = _children_cpu()
    subprocess.run([*cmd, *map(str, files)], cwd=ROOT, capture_output=True, check=False)
    return _children_cpu() - before


def _children_cpu() -> float:
    """CPU seconds (user + system) of finished child processes: steady under other load."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# Installed packages with no tensor in them: what the plugin costs a whole project's run.
NO_SHAPES = {"hypothesis+lark": ["hypothesis", "lark"], "_pytest+beartype": ["_pytest", "beartype"]}
COLD_ROUNDS = 3


def no_shapes(work: Path, cfg: dict[str, Path]) -> dict[str, dict[str, float]]:
    """Median seconds of cold runs (empty cache) over packages without shapes, per config."""
    out: dict[str, dict[str, float]] = {}
    for target, packages in NO_SHAPES.items():
        args = [a for p in packages for a in ("-p", p)]
        times: dict[str, list[float]] = {name: [] for name in cfg}
        for r in range(COLD_ROUNDS):
            for name, config in cfg.items():
                cache = work / f"noshape-{target}-{name}-{r}"
                times[name].append(run_mypy(config, cache, args))
        out[target] = {name: statistics.median(t) for name, t in times.items()}
    return out


def timed(cfg: dict[str, Path], work: Path, files: list[Path]) -> dict[str, float]:
    """Median seconds per configuration to re-check ``files`` after an edit (warm cache).

    Rounds alternate between the configurations so that load from other processes on the
    machine falls on both sides alike.
    """
    for name, config in cfg.items():
        run_mypy(config, work / f"cache-{name}", files)
    times: dict[str, list[float]] = {name: [] for name in cfg}
    for r in range(ROUNDS):
        for name, config in cfg.items():
            for f in files:
                f.write_text(f.read_text() + f"# round {r} {name}\n")
            times[name].append(run_mypy(config, work / f"cache-{name}", files))
    return {name: statistics.median(t) for name, t in times.items()}


def configs(work: Path) -> dict[str, Path]:
    """The two mypy configurations: with and without the plugin."""
    out = {}
    for name, plugins in (("plain", ""), ("plugin", "plugins = shapely_nn.mypy_plugin")):
        path = work / f"{name}.ini"
        path.write_text(CONFIG.format(plugins=plugins))
        out[name] = path
    return out


def targets(work: Path) -> dict[str, list[Path]]:
    """Copies of the examples, and the generated chains."""
    examples = work / "examples"
    examples.mkdir()
    copies = []
    for src in sorted((ROOT / "examples").glob("*.py")):
        dst = examples / src.name
        dst.write_text(src.read_text())
        copies.append(dst)
    out = {"examples": copies}
    numpy_models = work / "numpy_models.py"
    numpy_models.write_text(numpy_heavy(20))
    out["numpy 20x"] = [numpy_models]
    for n in (50, 100, 200):
        path = work / f"chain_{n}.py"
        path.write_text(chain(n))
        out[f"chain {n}"] = [path]
    return out


def cold_examples(work: Path, cfg: dict[str, Path]) -> dict[str, float]:
    """Seconds for a run over the examples with an empty cache, per configuration."""
    out = {}
    for name, path in cfg.items():
        (work / name).mkdir()
        out[name] = run_mypy(path, work / f"cold-{name}", targets(work / name)["examples"])
    return out


def main() -> None:
    """Print the table of medians and ratios."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cfg = configs(work)
        cold = cold_examples(work, cfg)
        import mypy.version

        print(f"mypy {mypy.version.__version__}, Python {sys.version.split()[0]}")
        print(f"mypy re-check of the target on a warm cache, median of {ROUNDS} (seconds)")
        print(f"{'target':<12} {'plain':>8} {'plugin':>8} {'ratio':>7}")
        for target, files in targets(work).items():
            median = timed(cfg, work, files)
            plain, plugin = median["plain"], median["plugin"]
            print(f"{target:<12} {plain:8.2f} {plugin:8.2f} {plugin / plain:7.2f}")
        ratio = cold["plugin"] / cold["plain"]
        print(
            f"cold run on the examples (empty cache): plain {cold['plain']:.2f} s, "
            f"plugin {cold['plugin']:.2f} s, ratio {ratio:.2f}"
        )
        print(f"code without shapes, cold runs, median of {COLD_ROUNDS} (seconds)")
        for target, median in no_shapes(work, cfg).items():
            plain, plugin = median["plain"], median["plugin"]
            print(f"{target:<16} {plain:8.2f} {plugin:8.2f} {plugin / plain:7.2f}")


if __name__ == "__main__":
    main()
