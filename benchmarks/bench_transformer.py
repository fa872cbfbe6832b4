"""Transformer encoder layer fwd+bwd: shapely_nn against PyTorch CPU and the NumPy floor.

Run: ``python -m benchmarks.bench_transformer [--quick] [--cpu-time] [--size mid ...]``.
Per size it prints the time of one forward+backward of a post-norm ``TransformerEncoderLayer``
(float32, ReLU, ff width 4E, dropout off) for shapely_nn, torch (``nn.TransformerEncoderLayer``
with the same parameters, train mode) and the NumPy floor (just the matrix products the layer
must do: 6 forward, 12 backward, timed with the same NumPy), the ratios to torch and to the
floor, and the achieved GFLOP/s of those products against an SGEMM peak measured in the same
run. Each figure is the best of interleaved rounds (robust to shared cores); ``--cpu-time``
runs one thread each and times process CPU time, which other load disturbs much less.
"""

from __future__ import annotations

# First: it clears OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE before NumPy loads.
from benchmarks import _util  # isort: skip

import argparse
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from shapely_nn import Tensor
from shapely_nn.io import to_torch
from shapely_nn.layers import TransformerEncoderLayer

SIZES = {  # (batch, seq_len, embed, heads)
    "small": (1, 20, 32, 4),
    "mid": (32, 50, 128, 4),
    "large": (64, 100, 512, 8),
}


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


def layer_gflop(batch: int, seq: int, embed: int, heads: int) -> float:
    """Floating-point work of the products of one fwd+bwd, in GFLOP."""
    n, ff = batch * seq, 4 * embed
    linear = 2 * n * embed * (3 * embed + embed + 2 * ff)
    attention = 2 * 2 * batch * seq * seq * embed
    return 3 * (linear + attention) / 1e9


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    _util.add_common_args(parser, list(SIZES))
    args = parser.parse_args()
    torch = _util.setup_torch()
    clock = _util.configure(torch, args.cpu_time)
    peak = _util.sgemm_peak(clock.now)
    print(_util.header(clock, torch, peak))
    print(_util.ROW_HEADER)
    rng = np.random.default_rng(0)
    for name in args.size or list(SIZES):
        batch, seq, embed, heads = SIZES[name]
        layer = TransformerEncoderLayer(embed, heads, 4 * embed, rng=rng)
        x = rng.standard_normal((batch, seq, embed)).astype(np.float32)
        g = rng.standard_normal((batch, seq, embed)).astype(np.float32)
        module = to_torch(layer).train()
        times = _util.interleaved(
            {
                "ours": ours(layer, x, g),
                "torch": theirs(torch, module, x, g),
                "floor": floor(batch, seq, embed, heads, rng),
            },
            rounds=3 if args.quick else 7,
            min_time=0.1 if args.quick else 0.3,
            clock=clock.now,
        )
        label = f"B{batch}·T{seq}·E{embed}·H{heads}"
        gflop = layer_gflop(batch, seq, embed, heads)
        print(
            _util.row(label, times["ours"], times["torch"], times["floor"], gflop, peak),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
