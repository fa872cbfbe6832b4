"""Timing helpers shared by the benchmarks.

The package ``__init__`` has already cleared the OpenBLAS variables and pinned the threads;
``blas_info`` reports which BLAS kernel actually ran.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

THREADS = 2


def blas_info() -> str:
    """One line naming NumPy's BLAS, its kernel and thread count."""
    from threadpoolctl import threadpool_info

    parts = [
        f"{i.get('internal_api')} {i.get('version')} {i.get('architecture', '')} "
        f"threads={i.get('num_threads')}"
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    ]
    return "; ".join(parts) or "no BLAS found by threadpoolctl"


def mypy_info() -> str:
    """One line naming the mypy release the plugin figures were (or would be) taken with."""
    try:
        from mypy.version import __version__
    except ImportError:
        return "mypy: not installed"
    return f"mypy {__version__}"


def setup_torch() -> Any:
    """Import torch pinned to the same thread count."""
    import torch

    torch.set_num_threads(THREADS)
    return torch


def timeit(fn: Callable[[], object], *, repeat: int = 7, min_time: float = 0.2) -> float:
    """Median seconds per call over ``repeat`` rounds of at least ``min_time`` each."""
    fn()  # warm up
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time / 4 or number >= 1 << 20:
            break
        number *= 4
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        rounds.append((time.perf_counter() - start) / number)
    return statistics.median(rounds)


# ---- shared by bench_recurrent and bench_transformer ----------------------------------------


@dataclass(frozen=True)
class Clock:
    """How a benchmark run times: the clock function, thread count and a label for the table."""

    now: Callable[[], float]
    threads: int
    label: str


def add_common_args(parser: argparse.ArgumentParser, sizes: list[str]) -> None:
    """``--quick``, ``--cpu-time`` and ``--size`` (repeatable; default: every size)."""
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="one thread each, timed by process CPU time: steadier when the cores are shared",
    )
    parser.add_argument(
        "--size", action="append", choices=sizes, help="run only this size (repeatable)"
    )


def configure(torch: Any, cpu_time: bool) -> Clock:
    """Pin NumPy's BLAS and torch to the run's thread count; return its clock."""
    if not cpu_time:
        return Clock(time.perf_counter, THREADS, "wall time")
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    threadpool_limits(1)
    torch.set_num_threads(1)
    return Clock(time.process_time, 1, "process CPU time")


def interleaved(
    fns: dict[str, Callable[[], object]],
    rounds: int,
    min_time: float,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Best seconds per call of each function, timed in alternating rounds.

    The cores are shared: alternating the candidates round by round exposes them to the same
    background load, and the best round of each is the least disturbed one (load only ever
    adds time).
    """
    numbers = {}
    for name, fn in fns.items():
        one = timeit(fn, repeat=1, min_time=0.0)
        numbers[name] = max(1, int(min_time / max(one, 1e-9)))
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(rounds):
        for name, fn in fns.items():
            start = clock()
            for _ in range(numbers[name]):
                fn()
            best[name] = min(best[name], (clock() - start) / numbers[name])
    return best


def sgemm_peak(clock: Callable[[], float], size: int = 2048, rounds: int = 5) -> float:
    """GFLOP/s of a large square float32 product in NumPy: the practical SGEMM peak here.

    Timed with the run's clock and thread count, so "% of peak" compares like with like.
    """
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size)).astype(np.float32)
    b = rng.standard_normal((size, size)).astype(np.float32)
    out = np.empty((size, size), np.float32)
    seconds = interleaved(
        {"sgemm": lambda: np.matmul(a, b, out=out)}, rounds=rounds, min_time=0.3, clock=clock
    )["sgemm"]
    return 2 * size**3 / seconds / 1e9


def header(clock: Clock, torch: Any, peak: float) -> str:
    """The lines above a table: versions, BLAS kernel, clock and the measured SGEMM peak."""
    import numpy as np

    return (
        f"numpy {np.__version__}, torch {torch.__version__}, float32, {clock.threads} "
        f"thread(s), clock: {clock.label}\nBLAS: {blas_info()}\n{mypy_info()}\n"
        f"SGEMM peak (2048^3 in NumPy, same clock and threads): {peak:.1f} GFLOP/s"
    )


def row(label: str, ours: float, theirs: float, floor: float, gflop: float, peak: float) -> str:
    """One table line: times, the three ratios and the achieved GFLOP/s and % of peak."""
    rate = gflop / ours
    return (
        f"{label:22} {ours * 1e3:10.3f}ms {theirs * 1e3:10.3f}ms {floor * 1e3:10.3f}ms "
        f"{ours / theirs:7.2f}x {ours / floor:7.2f}x {floor / theirs:8.2f}x "
        f"{rate:7.1f} {100 * rate / peak:5.0f}%"
    )


ROW_HEADER = (
    f"{'size':22} {'shapely_nn':>12} {'torch':>12} {'floor':>12} {'/torch':>8} {'/floor':>8} "
    f"{'fl/torch':>9} {'GFLOP/s':>7} {'%peak':>6}"
)
