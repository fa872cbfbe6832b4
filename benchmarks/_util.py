"""Timing helpers shared by the benchmarks.

The package ``__init__`` has already cleared the OpenBLAS variables and pinned the threads;
``blas_info`` reports which BLAS kernel actually ran.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
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
