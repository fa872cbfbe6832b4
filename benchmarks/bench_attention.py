"""MultiHeadAttention (self-attention) against ``nn.MultiheadAttention`` and the NumPy floor.

Run: ``python -m benchmarks.bench_attention [--quick] [--cpu-time] [--size mid ...]``.
Per size: forward+backward (ours: ``forward`` then ``backward``; torch: the output's backward
to the input and the parameters, ``need_weights=False``) and the inference call (``layer(x)``
against torch under ``no_grad``), beside the NumPy floor: the in-projection, scores, weighted
values and out-projection products (and their gradients for the backward). Both of our paths
are timed (compiled: the unmasked softmax rows in training; the inference call runs the heads in
one kernel calling BLAS, with the biases folded).
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
from benchmarks.bench_transformer import SIZES
from shapely_nn import Tensor
from shapely_nn.io import to_torch
from shapely_nn.layers import MultiHeadAttention


def floor(
    batch: int, seq: int, embed: int, heads: int, rng: np.random.Generator
) -> tuple[Callable[[], None], Callable[[], None]]:
    """The products of one forward, and of one forward and backward."""
    n, dh = batch * seq, embed // heads

    def r(*shape: int) -> Any:
        return rng.standard_normal(shape).astype(np.float32)

    x, w_in, w_out, g_e, g_3 = (
        r(n, embed),
        r(3 * embed, embed),
        r(embed, embed),
        r(n, embed),
        r(n, 3 * embed),
    )
    q, k, v, p = (
        r(batch, heads, seq, dh),
        r(batch, heads, seq, dh),
        r(batch, heads, seq, dh),
        r(batch, heads, seq, seq),
    )

    def forward() -> None:
        x @ w_in.T
        q @ k.swapaxes(-1, -2)
        p @ v
        x @ w_out.T

    def both() -> None:
        forward()
        g_e.T @ x, g_e @ w_out
        g_3.T @ x, g_3 @ w_in
        p.swapaxes(-1, -2) @ v, q @ v.swapaxes(-1, -2), p @ k, p.swapaxes(-1, -2) @ q

    return forward, both


def ours(layer: Any, x: Any, g: Any) -> tuple[Callable[[], None], Callable[[], None]]:
    """Our forward+backward, and our inference call."""
    xt: Tensor[Any, Any, Any] = Tensor(x)
    gt: Tensor[Any, Any, Any] = Tensor(g)

    def both() -> None:
        _, cache = layer.forward(xt)
        layer.backward(cache, gt)

    def call() -> None:
        layer(xt)

    return both, call


def theirs(
    torch: Any, module: Any, x: Any, g: Any
) -> tuple[Callable[[], None], Callable[[], None]]:
    """torch's forward+backward, and its forward under ``no_grad``."""
    xt = torch.from_numpy(x).requires_grad_(True)
    gt = torch.from_numpy(g)
    params = list(module.parameters())

    def both() -> None:
        y, _ = module(xt, xt, xt, need_weights=False)
        torch.autograd.grad(y, [xt, *params], gt)

    def call() -> None:
        with torch.no_grad():
            module(xt, xt, xt, need_weights=False)

    return both, call


def main() -> int:
    """Print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    _util.add_common_args(parser, list(SIZES))
    args = parser.parse_args()
    torch = _util.setup_torch()
    clock = _util.configure(torch, args.cpu_time)
    print(_util.header(clock, torch, _util.sgemm_peak(clock.now)))
    names = list(paths())
    print(
        f"{'size':28} {'fwd+bwd':>10} {'/torch':>7} {'/floor':>7} "
        f"{'call':>10} {'/torch':>7} {'/floor':>7}"
    )
    rng = np.random.default_rng(0)
    for name in args.size or list(SIZES):
        batch, seq, embed, heads = SIZES[name]
        layer = MultiHeadAttention(embed, heads, rng=rng)
        x = rng.standard_normal((batch, seq, embed)).astype(np.float32)
        g = rng.standard_normal((batch, seq, embed)).astype(np.float32)
        floor_fwd, floor_both = floor(batch, seq, embed, heads, rng)
        torch_both, torch_call = theirs(torch, to_torch(layer), x, g)
        fns: dict[str, Callable[[], object]] = {
            "torch": torch_both,
            "torch_call": torch_call,
            "floor": floor_both,
            "floor_fwd": floor_fwd,
        }
        for path, fast in paths().items():
            both, call = ours(layer, x, g)
            fns[path], fns[f"{path}_call"] = on_path(fast, both), on_path(fast, call)
        t = _util.interleaved(
            fns, rounds=3 if args.quick else 7, min_time=0.1 if args.quick else 0.3, clock=clock.now
        )
        for path in names:
            label = f"B{batch}·T{seq}·E{embed}·H{heads} {path}"
            both_t, call_t = t[path], t[f"{path}_call"]
            print(
                f"{label:28} {both_t * 1e3:8.3f}ms {both_t / t['torch']:6.2f}x "
                f"{both_t / t['floor']:6.2f}x {call_t * 1e3:8.3f}ms "
                f"{call_t / t['torch_call']:6.2f}x {call_t / t['floor_fwd']:6.2f}x",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
