"""Per-call cost of the runtime checks, on and off, beside one NumPy LSTM step.

Run: ``python -m benchmarks.bench_checks``. Compares an unchecked function, ``@shapechecked``
with the checks on, the same with the checks off (``set_checks(False)`` at decoration), and
jaxtyping's ``@jaxtyped(typechecker=beartype)`` on raw arrays, on a ``[32, 64] @ [64, 128]``
product; and reports each overhead as a share of one LSTM step at B32, I64, H128 and of the
same product in PyTorch.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
from beartype import beartype
from jaxtyping import Float, jaxtyped

import shapely_nn as sn
from benchmarks._util import blas_info, mypy_info, setup_torch, timeit
from shapely_nn import Tensor

B = TypeVar("B", bound=int)
K = TypeVar("K", bound=int)
N = TypeVar("N", bound=int)


def plain(x: Tensor[B, K], w: Tensor[K, N]) -> Tensor[B, N]:
    return x @ w


def raw(x: Float[np.ndarray, "b k"], w: Float[np.ndarray, "k n"]) -> Float[np.ndarray, "b n"]:
    return x @ w  # type: ignore[no-any-return]


def main() -> None:
    """Print the table."""
    torch = setup_torch()
    print(f"BLAS: {blas_info()}\n{mypy_info()}")
    rng = np.random.default_rng(0)
    xa = rng.standard_normal((32, 64)).astype(np.float32)
    wa = rng.standard_normal((64, 128)).astype(np.float32)
    x, w = sn.tensor(xa), sn.tensor(wa)
    checked = sn.shapechecked(plain)
    sn.set_checks(False)
    off = sn.shapechecked(plain)
    sn.set_checks(True)
    jax_checked = jaxtyped(typechecker=beartype)(raw)

    wx = rng.standard_normal((64 + 128, 4 * 128)).astype(np.float32)
    h = np.zeros((32, 128), np.float32)
    c = np.zeros((32, 128), np.float32)

    def lstm_step() -> None:
        gates = np.concatenate([xa, h], axis=1) @ wx
        i, f, g, o = np.split(gates, 4, axis=1)
        c2 = 1 / (1 + np.exp(-f)) * c + 1 / (1 + np.exp(-i)) * np.tanh(g)
        _ = 1 / (1 + np.exp(-o)) * np.tanh(c2)

    xt, wt = torch.from_numpy(xa), torch.from_numpy(wa)
    step = timeit(lstm_step)
    base = timeit(lambda: plain(x, w))
    rows = [
        ("unchecked Tensor matmul", base),
        ("@shapechecked, checks on", timeit(lambda: checked(x, w))),
        ("@shapechecked, checks off", timeit(lambda: off(x, w))),
        ("jaxtyped+beartype, raw arrays", timeit(lambda: jax_checked(xa, wa))),
        ("numpy matmul, raw arrays", timeit(lambda: xa @ wa)),
        ("torch matmul", timeit(lambda: xt @ wt)),
    ]
    print(f"one NumPy LSTM step (B32 I64 H128): {step * 1e6:.1f} us")
    print(f"{'variant':34} {'us/call':>8} {'overhead us':>12} {'% of step':>10}")
    for name, t in rows:
        over = t - base
        print(f"{name:34} {t * 1e6:8.2f} {over * 1e6:12.2f} {100 * over / step:9.1f}%")


if __name__ == "__main__":
    main()
