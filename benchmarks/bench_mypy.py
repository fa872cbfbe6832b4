"""mypy's time with the shapely_nn plugin against plain mypy, side by side in one run.

Run as ``python -m benchmarks.bench_mypy``. Targets: the example models, plain NumPy models
annotated with jaxtyping (``tests/typecheck/cases/ok_numpy_models.py`` 20 times over, the
figure the plugin is held to: within 1.3x of plain mypy), and generated models of 50, 100 and
200 chained layers. Each configuration first warms its own cache (the standard library,
NumPy's stubs and shapely_nn itself), then times re-checking the target alone (its source
changes between rounds), which is the cost a user pays per edit; cold runs (an empty cache)
are reported for the examples and the NumPy models, and over installed packages with no shapes
at all (hypothesis and lark, _pytest and beartype), where the plugin should cost nothing.

Times are medians of the CPU time (user + system) of separate ``python -m mypy`` processes:
both sides pay the same interpreter start-up, and other load on the machine does not count.
Both sides run with the same environment, in which Python keeps the bytecode it compiles (in
a folder of the run's own): an installed package has its bytecode, so the plugin's modules
are not compiled again on every run even where ``PYTHONDONTWRITEBYTECODE`` is set.
"""

from __future__ import annotations

import os
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


def keep_bytecode(work: Path) -> None:
    """Let the ``mypy`` processes (both sides) keep the bytecode they compile, in ``work``."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(work / "bytecode")


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


def timed(
    cfg: dict[str, Path], work: Path, files: list[Path], rounds: int = ROUNDS
) -> dict[str, float]:
    """Median seconds per configuration to re-check ``files`` after an edit (warm cache),
    and ``ratio``: the median of each round's plugin/plain ratio.

    Rounds alternate between the configurations so that load from other processes on the
    machine falls on both sides alike; the ratio of one round's two runs, taken moments
    apart, varies less under such load than the ratio of two medians.
    """
    for name, config in cfg.items():
        run_mypy(config, work / f"cache-{name}", files)
    times: dict[str, list[float]] = {name: [] for name in cfg}
    for r in range(rounds):
        for name, config in cfg.items():
            for f in files:
                f.write_text(f.read_text() + f"# round {r} {name}\n")
            times[name].append(run_mypy(config, work / f"cache-{name}", files))
    out = {name: statistics.median(t) for name, t in times.items()}
    paired = [a / b for a, b in zip(times["plugin"], times["plain"], strict=True)]
    out["ratio"] = statistics.median(paired)
    return out


def configs(work: Path) -> dict[str, Path]:
    """The two mypy configurations: with and without the plugin."""
    out = {}
    for name, plugins in (("plain", ""), ("plugin", "plugins = shapely_nn.mypy_plugin")):
        path = work / f"{name}.ini"
        path.write_text(CONFIG.format(plugins=plugins))
        out[name] = path
    return out


def targets(work: Path) -> dict[str, list[Path]]:
    """Copies of the examples, the NumPy models, and the generated chains."""
    examples = work / "examples"
    examples.mkdir(parents=True)
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


def cold(work: Path, cfg: dict[str, Path], target: str) -> dict[str, float]:
    """Median seconds of runs over a target with an empty cache, per configuration."""
    times: dict[str, list[float]] = {name: [] for name in cfg}
    for r in range(COLD_ROUNDS):
        for name, path in cfg.items():
            folder = work / f"cold-{target}-{name}-{r}"
            times[name].append(run_mypy(path, folder / "cache", targets(folder)[target]))
    return {name: statistics.median(t) for name, t in times.items()}


# The figure the plugin is held to (issue 12): NumPy code, re-checked on a warm cache.
HEADLINE = "numpy 20x"
HEADLINE_ROUNDS = 15
TARGET_RATIO = 1.3


def main() -> None:
    """Print the table of medians and ratios, then the NumPy figure on its own."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        keep_bytecode(work)
        cfg = configs(work)
        # Compile the bytecode both sides use before anything is timed.
        for name, path in cfg.items():
            run_mypy(path, work / f"bytecode-{name}", targets(work / f"first-{name}")["examples"])
        import mypy.version

        version = f"mypy {mypy.version.__version__}, Python {sys.version.split()[0]}"
        print(version)
        print(
            f"mypy re-check of the target on a warm cache, median of {ROUNDS} "
            f"({HEADLINE_ROUNDS} for {HEADLINE}) (seconds)"
        )
        print(f"{'target':<12} {'plain':>8} {'plugin':>8} {'ratio':>7}")
        warm: dict[str, dict[str, float]] = {}
        for target, files in targets(work).items():
            rounds = HEADLINE_ROUNDS if target == HEADLINE else ROUNDS
            median = warm[target] = timed(cfg, work, files, rounds)
            plain, plugin = median["plain"], median["plugin"]
            print(f"{target:<12} {plain:8.2f} {plugin:8.2f} {median['ratio']:7.2f}")
        print(f"cold runs (empty cache), median of {COLD_ROUNDS} (seconds)")
        cold_runs = {target: cold(work, cfg, target) for target in ("examples", HEADLINE)}
        for target, median in cold_runs.items():
            plain, plugin = median["plain"], median["plugin"]
            print(f"{target:<12} {plain:8.2f} {plugin:8.2f} {plugin / plain:7.2f}")
        print(f"code without shapes, cold runs, median of {COLD_ROUNDS} (seconds)")
        for target, median in no_shapes(work, cfg).items():
            plain, plugin = median["plain"], median["plugin"]
            print(f"{target:<16} {plain:8.2f} {plugin:8.2f} {plugin / plain:7.2f}")
        print(headline(version, warm[HEADLINE], cold_runs[HEADLINE]))


def headline(version: str, warm: dict[str, float], cold: dict[str, float]) -> str:
    """The NumPy figure: both CPU times and their ratio, warm and cold, against the target."""
    ratio = warm["ratio"]
    verdict = "within" if ratio <= TARGET_RATIO else "over"
    return (
        f"NumPy models ({HEADLINE}), {version}: warm re-check plain {warm['plain']:.2f} s, "
        f"plugin {warm['plugin']:.2f} s CPU, ratio {ratio:.2f} ({verdict} the {TARGET_RATIO}x "
        f"target); cold plain {cold['plain']:.2f} s, plugin {cold['plugin']:.2f} s, "
        f"ratio {cold['plugin'] / cold['plain']:.2f}"
    )


if __name__ == "__main__":
    main()
