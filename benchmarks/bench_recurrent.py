"""RNN, GRU and LSTM sequence forward+backward against PyTorch CPU and the NumPy floor.

Run: ``python -m benchmarks.bench_recurrent [--quick] [--cpu-time] [--size mid ...]
[--kind LSTM ...]``.
float32, 2 threads, time-major input (``--cpu-time``: 1 thread each, timed by process CPU time,
which a shared machine disturbs much less than wall time).

For each layer and size it prints, from the same run, the forward+backward time of shapely_nn,
of torch (``nn.LSTM``/``nn.GRU`` with the same parameters, the backward through
``torch.autograd.grad`` of the output, the input and the parameters) and of the NumPy floor
(just the matrix products the layer must do: the input projection of all steps, one
``[B, H] @ [H, G*H]`` product per step forward, one ``[B, G*H] @ [G*H, H]`` per step backward,
and the three weight/input gradient products, timed with the same NumPy); the ratios to torch
and to the floor; and the achieved GFLOP/s of those products against an SGEMM peak measured in
the same run. Both of our paths are timed side by side in the same run: the NumPy kernels
(``SHAPELY_NN_FAST=0``) and the compiled ones (``fast``, when numba is installed). A second
table gives the forward-only ratios: ``forward`` (with the cache for backward) and ``call``
(``layer(x)``, the inference path: no tape), against torch under ``no_grad`` and the floor's
forward products.
"""

from __future__ import annotations

from benchmarks import _util  # first: it clears the OpenBLAS variables  # isort: skip

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np

from shapely_nn import Tensor
from shapely_nn.io import to_torch
from shapely_nn.layers import _fast
from shapely_nn.modules import GRU, LSTM, RNN

SIZES = {  # (B, T, In, H)
    "small": (1, 20, 16, 32),
    "mid": (32, 50, 64, 128),
    "large": (64, 100, 256, 512),
}
GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
KINDS: dict[str, Any] = {"RNN": RNN, "LSTM": LSTM, "GRU": GRU}


def floor_fns(
    batch: int, steps: int, in_size: int, hidden: int, gates: int
) -> tuple[Callable[[], None], Callable[[], None]]:
    """The matrix products of a forward and of a backward pass, preallocated."""
    rng = np.random.default_rng(0)
    f32 = np.float32
    gh = gates * hidden
    x = rng.standard_normal((steps * batch, in_size)).astype(f32)
    w_x = rng.standard_normal((gh, in_size)).astype(f32)
    w_h = rng.standard_normal((gh, hidden)).astype(f32)
    w_h_t = np.ascontiguousarray(w_h.T)
    proj = np.empty((steps * batch, gh), f32)
    hs = rng.standard_normal((steps, batch, hidden)).astype(f32)
    step_out = np.empty((batch, gh), f32)
    d_gates = rng.standard_normal((steps, batch, gh)).astype(f32)
    dh = np.empty((batch, hidden), f32)
    dx = np.empty((steps * batch, in_size), f32)
    dw_x, dw_h = np.empty((gh, in_size), f32), np.empty((gh, hidden), f32)

    def forward() -> None:
        np.matmul(x, w_x.T, out=proj)
        for t in range(steps):
            np.matmul(hs[t], w_h_t, out=step_out)

    def backward() -> None:
        for t in range(steps):
            np.matmul(d_gates[t], w_h, out=dh)
        flat = d_gates.reshape(steps * batch, gh)
        np.matmul(flat.T, x, out=dw_x)
        np.matmul(flat.T, hs.reshape(steps * batch, hidden), out=dw_h)
        np.matmul(flat, w_x, out=dx)

    return forward, backward


def on_path(fast: bool, fn: Callable[[], None]) -> Callable[[], None]:
    """``fn`` run with the compiled kernels switched on or off."""

    def run() -> None:
        with _fast.fast_kernels(fast):
            fn()

    return run


def paths() -> dict[str, bool]:
    """The paths this run can time: NumPy always, ``fast`` when numba is installed."""
    with _fast.fast_kernels(True):
        return {"numpy": False, "fast": True} if _fast.fast_kernels_enabled() else {"numpy": False}


def bench(
    kind: str, size: tuple[int, int, int, int], torch: Any, quick: bool, clock: Callable[[], float]
) -> dict[str, float]:
    """Best seconds per call of ours (each path), torch's and the floor's passes."""
    batch, steps, in_size, hidden = size
    rng = np.random.default_rng(0)
    layer: Any = KINDS[kind](in_size, hidden, rng=0)
    x: Tensor[Any, Any, Any] = Tensor(
        rng.standard_normal((steps, batch, in_size)).astype(np.float32)
    )
    gy: Tensor[Any, Any, Any] = Tensor(
        rng.standard_normal((steps, batch, hidden)).astype(np.float32)
    )

    def ours_fwd() -> None:
        layer.forward(x)

    def ours_call() -> None:
        layer(x)

    def ours_fwd_bwd() -> None:
        _, cache = layer.forward(x)
        layer.backward(cache, gy)

    module = to_torch(layer)
    params = list(module.parameters())
    xt = torch.from_numpy(x.numpy().copy()).requires_grad_(True)
    gyt = torch.from_numpy(gy.numpy().copy())

    def torch_fwd() -> None:
        with torch.no_grad():
            module(xt)

    def torch_fwd_bwd() -> None:
        yt, _ = module(xt)
        torch.autograd.grad(yt, [xt, *params], gyt)

    floor_f, floor_b = floor_fns(batch, steps, in_size, hidden, GATES[kind])

    def floor_fwd_bwd() -> None:
        floor_f()
        floor_b()

    fns: dict[str, Callable[[], object]] = {}
    for path, fast in paths().items():
        fns |= {
            f"{path}_fwd": on_path(fast, ours_fwd),
            f"{path}_call": on_path(fast, ours_call),
            f"{path}_fwd_bwd": on_path(fast, ours_fwd_bwd),
        }
    fns |= {
        "torch_fwd": torch_fwd,
        "torch_fwd_bwd": torch_fwd_bwd,
        "floor_fwd": floor_f,
        "floor_fwd_bwd": floor_fwd_bwd,
    }
    return _util.interleaved(
        fns, rounds=3 if quick else 9, min_time=0.03 if quick else 0.1, clock=clock
    )


def gflop(size: tuple[int, int, int, int], gates: int) -> float:
    """Floating-point work of the products of one fwd+bwd (the floor's), in GFLOP."""
    batch, steps, in_size, hidden = size
    # forward: input and recurrent products; backward: each again twice (weights, inputs)
    return 3 * 2 * steps * batch * gates * hidden * (in_size + hidden) / 1e9


def main() -> None:
    """Print the tables."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    _util.add_common_args(parser, list(SIZES))
    parser.add_argument("--kind", action="append", choices=list(KINDS), help="repeatable")
    args = parser.parse_args()
    torch = _util.setup_torch()
    clock = _util.configure(torch, args.cpu_time)
    peak = _util.sgemm_peak(clock.now)
    print(_util.header(clock, torch, peak))
    names = list(paths())
    print(f"paths: {', '.join(names)} (fast = compiled kernels, numba)")
    print("forward+backward:")
    print(_util.ROW_HEADER)
    forward_rows = []
    for kind in args.kind or list(KINDS):
        for name in args.size or list(SIZES):
            size = SIZES[name]
            r = bench(kind, size, torch, args.quick, clock.now)
            label = f"{kind} " + "·".join(f"{c}{v}" for c, v in zip("BTIH", size, strict=True))
            work = gflop(size, GATES[kind])
            for path in names:
                both = (r[f"{path}_fwd_bwd"], r["torch_fwd_bwd"], r["floor_fwd_bwd"])
                print(_util.row(f"{label} {path}", *both, work, peak), flush=True)
                fwd, call = r[f"{path}_fwd"], r[f"{path}_call"]
                forward_rows.append(
                    f"{label + ' ' + path:28} {fwd / r['torch_fwd']:7.2f}x "
                    f"{fwd / r['floor_fwd']:7.2f}x {call * 1e3:10.3f}ms "
                    f"{call / r['torch_fwd']:7.2f}x {call / r['floor_fwd']:7.2f}x"
                )
    print("forward only (forward: with its cache; call: layer(x), the inference path):")
    print(
        f"{'size':28} {'fwd/torch':>8} {'fwd/floor':>8} {'call':>12} "
        f"{'call/torch':>8} {'call/floor':>8}"
    )
    print("\n".join(forward_rows))


if __name__ == "__main__":
    main()
