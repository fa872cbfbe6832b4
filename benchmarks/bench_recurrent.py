"""LSTM and GRU sequence forward+backward against PyTorch CPU, and against the NumPy floor.

Run: ``python -m benchmarks.bench_recurrent [--quick] [--cpu-time]``. float32, 2 threads,
time-major input (``--cpu-time``: 1 thread each, timed by process CPU time, which a shared
machine disturbs much less than wall time).

For each size it prints, from the same run:

* ``vs torch``: our time / torch's time (``nn.LSTM``/``nn.GRU`` with the same parameters, the
  backward through ``torch.autograd.grad`` of the output, the input and the parameters);
* ``vs floor``: our time / the NumPy floor, the time of just the matrix products the layer
  must do (the input projection of all steps, one ``[B, H] @ [H, G*H]`` product per step
  forward, one ``[B, G*H] @ [G*H, H]`` per step backward, and the three weight/input gradient
  products), timed with the same NumPy.
"""

from __future__ import annotations

from benchmarks import _util  # first: it clears the OpenBLAS variables  # isort: skip

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from shapely_nn import Tensor
from shapely_nn.io import to_torch
from shapely_nn.modules import GRU, LSTM

SIZES = [(1, 20, 16, 32), (32, 50, 64, 128), (64, 100, 256, 512)]  # (B, T, In, H)
GATES = {"LSTM": 4, "GRU": 3}


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


def bench(
    kind: str, size: tuple[int, int, int, int], torch: Any, quick: bool, clock: Callable[[], float]
) -> dict[str, float]:
    """Best seconds per call of ours, torch's and the floor's forward and forward+backward."""
    batch, steps, in_size, hidden = size
    rng = np.random.default_rng(0)
    layer: LSTM[Any, Any] | GRU[Any, Any] = (
        LSTM(in_size, hidden, rng=0) if kind == "LSTM" else GRU(in_size, hidden, rng=0)
    )
    x: Tensor[Any, Any, Any] = Tensor(
        rng.standard_normal((steps, batch, in_size)).astype(np.float32)
    )
    gy: Tensor[Any, Any, Any] = Tensor(
        rng.standard_normal((steps, batch, hidden)).astype(np.float32)
    )

    def ours_fwd() -> None:
        layer.forward(x)

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

    fns = {
        "fwd": ours_fwd,
        "fwd_bwd": ours_fwd_bwd,
        "torch_fwd": torch_fwd,
        "torch_fwd_bwd": torch_fwd_bwd,
        "floor_fwd": floor_f,
        "floor_fwd_bwd": floor_fwd_bwd,
    }
    return interleaved(fns, rounds=3 if quick else 9, min_time=0.03 if quick else 0.1, clock=clock)


def interleaved(
    fns: dict[str, Callable[[], None]],
    rounds: int,
    min_time: float,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Best seconds per call of each function, timed in alternating rounds.

    The cores are shared: alternating the candidates round by round exposes them to the same
    background load, and the best round of each is the least disturbed one.
    """
    numbers = {}
    for name, fn in fns.items():
        one = _util.timeit(fn, repeat=1, min_time=0.0)
        numbers[name] = max(1, int(min_time / max(one, 1e-9)))
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(rounds):
        for name, fn in fns.items():
            start = clock()
            for _ in range(numbers[name]):
                fn()
            best[name] = min(best[name], (clock() - start) / numbers[name])
    return best


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="one thread each, timed by process CPU time: steadier when the cores are shared",
    )
    args = parser.parse_args()
    torch = _util.setup_torch()
    threads, clock = _util.THREADS, time.perf_counter
    if args.cpu_time:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

        threadpool_limits(1)
        torch.set_num_threads(1)
        threads, clock = 1, time.process_time
    print(f"numpy {np.__version__}, torch {torch.__version__}, float32, {threads} threads")
    print("clock: process CPU time" if args.cpu_time else "clock: wall time")
    print(f"BLAS: {_util.blas_info()}")
    header = (
        f"{'layer':5} {'size (B·T·I·H)':18} {'ours fwd+bwd':>12} {'vs torch':>9} "
        f"{'vs floor':>9} {'| ours fwd':>11} {'vs torch':>9} {'vs floor':>9}"
    )
    print(header)
    for kind in ("LSTM", "GRU"):
        for size in SIZES:
            r = bench(kind, size, torch, args.quick, clock)
            label = "·".join(f"{c}{v}" for c, v in zip("BTIH", size, strict=True))
            both, fwd = r["fwd_bwd"], r["fwd"]
            print(
                f"{kind:5} {label:18} {both * 1e3:10.3f}ms "
                f"{both / r['torch_fwd_bwd']:8.2f}x {both / r['floor_fwd_bwd']:8.2f}x"
                f" | {fwd * 1e3:8.3f}ms {fwd / r['torch_fwd']:8.2f}x {fwd / r['floor_fwd']:8.2f}x",
                flush=True,
            )


if __name__ == "__main__":
    main()
