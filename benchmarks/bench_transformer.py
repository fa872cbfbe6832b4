"""Transformer encoder layer fwd+bwd: shapely_nn against PyTorch CPU and the NumPy floor.

``python -m benchmarks.bench_transformer`` prints, per size, the time of one forward+backward of
a post-norm ``TransformerEncoderLayer`` (float32, ReLU, ff width 4E, dropout off), as ratios:
shapely_nn / torch, and shapely_nn / floor, where the floor is the time of just the matrix
products the layer must do (6 forward, 12 backward), timed with the same NumPy in the same run.
Each figure is the best of three interleaved rounds of ``timeit`` medians (robust to shared cores).
"""

from __future__ import annotations

# First: it clears OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE before NumPy loads.
from benchmarks._util import THREADS, blas_info, setup_torch, timeit

# isort: split

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from shapely_nn import Tensor
from shapely_nn.io import to_torch
from shapely_nn.layers import TransformerEncoderLayer

SIZES = [  # (batch, seq_len, embed, heads)
    (1, 20, 32, 4),
    (32, 50, 128, 4),
    (64, 100, 512, 8),
]


def ours(layer: TransformerEncoderLayer[Any, Any, Any], x: Any, g: Any) -> Callable[[], None]:
    """One forward and backward of our layer."""
    xt: Tensor[Any, Any, Any] = Tensor(x)
    gt: Tensor[Any, Any, Any] = Tensor(g)

    def run() -> None:
        _, cache = layer.forward(xt)
        layer.backward(cache, gt)

    return run


def theirs(torch: Any, module: Any, x: Any, g: Any) -> Callable[[], None]:
    """One forward and backward of the equivalent ``nn.TransformerEncoderLayer``."""
    xt = torch.from_numpy(x).requires_grad_(True)
    gt = torch.from_numpy(g)

    def run() -> None:
        module.zero_grad(set_to_none=True)
        xt.grad = None
        module(xt).backward(gt)

    return run


def floor(
    batch: int, seq: int, embed: int, heads: int, rng: np.random.Generator
) -> Callable[[], None]:
    """Just the matrix products of one forward and backward, on arrays of the right shapes."""
    n, ff, dh = batch * seq, 4 * embed, embed // heads

    def r(*shape: int) -> Any:
        return rng.standard_normal(shape).astype(np.float32)

    x, w_in, w_out, w1, w2 = (
        r(n, embed),
        r(3 * embed, embed),
        r(embed, embed),
        r(ff, embed),
        r(embed, ff),
    )
    q, k, v = r(batch, heads, seq, dh), r(batch, heads, seq, dh), r(batch, heads, seq, dh)
    p, g_e, g_f, g_3 = r(batch, heads, seq, seq), r(n, embed), r(n, ff), r(n, 3 * embed)

    def run() -> None:
        # forward: in-projection, scores, weighted values, out-projection, two ff layers
        x @ w_in.T
        q @ k.swapaxes(-1, -2)
        p @ v
        x @ w_out.T
        x @ w1.T
        g_f @ w2.T
        # backward: two products per linear layer, four for the attention core
        g_e.T @ g_f, g_e @ w2
        g_f.T @ x, g_f @ w1
        g_e.T @ x, g_e @ w_out
        g_3.T @ x, g_3 @ w_in
        p.swapaxes(-1, -2) @ v, q @ v.swapaxes(-1, -2), p @ k, p.swapaxes(-1, -2) @ q

    return run


def interleaved(fns: list[Callable[[], None]], *, repeat: int, rounds: int = 3) -> list[float]:
    """Per function, the best of ``rounds`` medians, the rounds alternating between functions.

    On shared cores, other load only ever adds time; alternating spreads it over all three and
    the minimum over rounds keeps the least disturbed one.
    """
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            best[i] = min(best[i], timeit(fn, repeat=repeat))
    return best


def sgemm_gflops(rng: np.random.Generator, size: int = 2048) -> float:
    """GFLOP/s of one large square float32 product: the machine's practical SGEMM peak."""
    a = rng.standard_normal((size, size)).astype(np.float32)
    b = rng.standard_normal((size, size)).astype(np.float32)
    seconds = timeit(lambda: a @ b, repeat=3)
    return 2 * size**3 / seconds / 1e9


def layer_gflop(batch: int, seq: int, embed: int, heads: int) -> float:
    """Floating-point work of the products of one fwd+bwd, in GFLOP."""
    n, ff = batch * seq, 4 * embed
    linear = 2 * n * embed * (3 * embed + embed + 2 * ff)
    attention = 2 * 2 * batch * seq * seq * embed
    return 3 * (linear + attention) / 1e9


def main() -> int:
    torch = setup_torch()
    rng = np.random.default_rng(0)
    print(
        f"numpy {np.__version__} ({blas_info()}); torch {torch.__version__} "
        f"threads={torch.get_num_threads()}; THREADS={THREADS}"
    )
    peak = sgemm_gflops(rng)
    print(f"SGEMM peak (2048^3, numpy): {peak:.1f} GFLOP/s")
    header = (
        f"{'size':>18} {'shapely_nn':>11} {'torch':>9} {'floor':>9} "
        f"{'/torch':>7} {'/floor':>7} {'floor/torch':>11} {'%peak':>6}"
    )
    print(header)
    for batch, seq, embed, heads in SIZES:
        layer = TransformerEncoderLayer(embed, heads, 4 * embed, rng=rng)
        x = rng.standard_normal((batch, seq, embed)).astype(np.float32)
        g = rng.standard_normal((batch, seq, embed)).astype(np.float32)
        module = to_torch(layer).train()
        t_ours, t_torch, t_floor = interleaved(
            [ours(layer, x, g), theirs(torch, module, x, g), floor(batch, seq, embed, heads, rng)],
            repeat=3 if embed >= 512 else 7,
        )
        percent = 100 * layer_gflop(batch, seq, embed, heads) / t_ours / peak
        name = f"B{batch}·T{seq}·E{embed}·H{heads}"
        print(
            f"{name:>18} {t_ours * 1e3:9.2f}ms {t_torch * 1e3:7.2f}ms {t_floor * 1e3:7.2f}ms "
            f"{t_ours / t_torch:6.2f}x {t_ours / t_floor:6.2f}x {t_floor / t_torch:10.2f}x "
            f"{percent:5.0f}%"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
