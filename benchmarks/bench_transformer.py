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

from benchmarks.bench_recurrent import on_path, paths
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


def ours_inference(layer: TransformerEncoderLayer[Any, Any, Any], x: Any) -> Callable[[], None]:
    """``layer(x)``: the inference path, no cache."""
    xt: Tensor[Any, Any, Any] = Tensor(x)

    def run() -> None:
        layer(xt)

    return run


def theirs_inference(torch: Any, module: Any, x: Any) -> Callable[[], None]:
    """The torch layer in eval mode under ``no_grad``."""
    xt = torch.from_numpy(x)

    def run() -> None:
        with torch.no_grad():
            module(xt)

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
) -> tuple[Callable[[], None], Callable[[], None]]:
    """Just the matrix products of one forward, and of one forward and backward."""
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

    def forward() -> None:
        # in-projection, scores, weighted values, out-projection, two ff layers
        x @ w_in.T
        q @ k.swapaxes(-1, -2)
        p @ v
        x @ w_out.T
        x @ w1.T
        g_f @ w2.T

    def run() -> None:
        forward()
        # backward: two products per linear layer, four for the attention core
        g_e.T @ g_f, g_e @ w2
        g_f.T @ x, g_f @ w1
        g_e.T @ x, g_e @ w_out
        g_3.T @ x, g_3 @ w_in
        p.swapaxes(-1, -2) @ v, q @ v.swapaxes(-1, -2), p @ k, p.swapaxes(-1, -2) @ q

    return forward, run


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
    names = list(paths())
    print(
        f"paths: {', '.join(names)} (fast: compiled LayerNorm and softmax rows, numba; the "
        "call: fused heads, bias, residual and norm kernels)"
    )
    print("forward+backward:")
    print(_util.ROW_HEADER)
    call_rows: list[str] = []
    rng = np.random.default_rng(0)
    for name in args.size or list(SIZES):
        batch, seq, embed, heads = SIZES[name]
        layer = TransformerEncoderLayer(embed, heads, 4 * embed, rng=rng)
        x = rng.standard_normal((batch, seq, embed)).astype(np.float32)
        g = rng.standard_normal((batch, seq, embed)).astype(np.float32)
        module = to_torch(layer).train()
        floor_fwd, floor_fwd_bwd = floor(batch, seq, embed, heads, rng)
        fns: dict[str, Callable[[], object]] = {
            "torch": theirs(torch, module, x, g),
            "floor": floor_fwd_bwd,
            "torch_eval": theirs_inference(torch, to_torch(layer).eval(), x),
            "floor_fwd": floor_fwd,
        }
        for path, fast in paths().items():
            fns[path] = on_path(fast, ours(layer, x, g))
            fns[f"{path}_call"] = on_path(fast, ours_inference(layer, x))
        times = _util.interleaved(
            fns,
            rounds=3 if args.quick else 7,
            min_time=0.1 if args.quick else 0.3,
            clock=clock.now,
        )
        label = f"B{batch}·T{seq}·E{embed}·H{heads}"
        gflop = layer_gflop(batch, seq, embed, heads)
        for path in names:
            both = (times[path], times["torch"], times["floor"])
            print(_util.row(f"{label} {path}", *both, gflop, peak), flush=True)
            call = times[f"{path}_call"]
            call_rows.append(
                f"{label + ' ' + path:28} {call * 1e3:10.3f}ms "
                f"{call / times['torch_eval']:7.2f}x {call / times['floor_fwd']:7.2f}x"
            )
    print("forward only, layer(x) (the inference path) against torch eval under no_grad:")
    print(f"{'size':28} {'call':>12} {'/torch':>8} {'/floor':>8}")
    print("\n".join(call_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
