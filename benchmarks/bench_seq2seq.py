"""A whole Seq2Seq training step against its ``to_torch`` twin trained by torch's Adam.

Run: ``python -m benchmarks.bench_seq2seq [--quick] [--cpu-time] [--size mid ...]``.
The model is an ``AttentionSeq2Seq`` with an LSTM encoder (float32, one-hot inputs, teacher
forcing). One step is: forward, mean cross-entropy against the one-hot targets, backward and
an Adam update (``shapely_nn.train.train_step`` with ``Adam``; for torch: ``zero_grad``,
forward, the same loss, ``backward`` and ``torch.optim.Adam.step``). Both of our paths are
timed in the same run: the NumPy kernels (``numpy``) and the compiled ones (``fast``, numba).
Each figure is the best of interleaved rounds; ``--cpu-time`` runs one thread each and times
process CPU time, which other load disturbs much less.
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
from shapely_nn.models import AttentionSeq2Seq
from shapely_nn.train import Adam, cross_entropy_onehot, train_step

SIZES = {  # (batch, steps, hidden = embed, vocab)
    "small": (16, 8, 32, 32),
    "mid": (64, 20, 128, 128),
    "large": (128, 30, 256, 256),
}


def onehot(rng: np.random.Generator, steps: int, batch: int, vocab: int) -> Any:
    """Random one-hot rows ``[steps, batch, vocab]`` (float32)."""
    ids = rng.integers(0, vocab, size=(steps, batch))
    return np.eye(vocab, dtype=np.float32)[ids]


def ours(model: Any, src: Any, tgt: Any, targets: Any) -> Callable[[], None]:
    """One training step of our model (the model is replaced by the updated one each time)."""
    state = {"model": model}
    optimizer = Adam(1e-3)
    pair: tuple[Tensor[Any, Any, Any], Tensor[Any, Any, Any]] = (Tensor(src), Tensor(tgt))
    target_tensor: Tensor[Any, Any, Any] = Tensor(targets)

    def loss_and_grads(m: Any, batch: Any) -> tuple[float, Any]:
        logits, cache = m.forward(batch)
        loss, grad = cross_entropy_onehot(logits, target_tensor)
        grads, _ = m.backward(cache, grad)
        return loss, grads

    def run() -> None:
        state["model"], _ = train_step(state["model"], pair, loss_and_grads, optimizer)

    return run


def theirs(torch: Any, model: Any, src: Any, tgt: Any, targets: Any) -> Callable[[], None]:
    """One training step of the ``to_torch`` twin with ``torch.optim.Adam``."""
    module = to_torch(model).train()
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)
    pair = (torch.from_numpy(src), torch.from_numpy(tgt))
    target_t = torch.from_numpy(targets)
    rows = targets.shape[0] * targets.shape[1]

    def run() -> None:
        optimizer.zero_grad(set_to_none=True)
        logits = module(pair)
        loss = -(target_t * torch.log_softmax(logits, dim=-1)).sum() / rows
        loss.backward()
        optimizer.step()

    return run


def main() -> int:
    """Print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    _util.add_common_args(parser, list(SIZES))
    args = parser.parse_args()
    torch = _util.setup_torch()
    clock = _util.configure(torch, args.cpu_time)
    print(_util.header(clock, torch, _util.sgemm_peak(clock.now)))
    names = list(paths())
    print("AttentionSeq2Seq (LSTM encoder) training step: forward, cross-entropy, backward, Adam")
    print(f"{'size':22} {'torch':>10} " + " ".join(f"{n:>10} {n + '/torch':>11}" for n in names))
    for name in args.size or list(SIZES):
        batch, steps, hidden, vocab = SIZES[name]
        rng = np.random.default_rng(0)
        model = AttentionSeq2Seq.init(vocab, vocab, hidden, hidden, encoder="lstm", rng=0)
        src, tgt = onehot(rng, steps, batch, vocab), onehot(rng, steps, batch, vocab)
        targets = onehot(rng, steps, batch, vocab)
        fns: dict[str, Callable[[], object]] = {"torch": theirs(torch, model, src, tgt, targets)}
        for path, fast in paths().items():
            fns[path] = on_path(fast, ours(model, src, tgt, targets))
        times = _util.interleaved(
            fns,
            rounds=3 if args.quick else 7,
            min_time=0.1 if args.quick else 0.3,
            clock=clock.now,
        )
        label = f"B{batch}·T{steps}·H{hidden}·V{vocab}"
        cells = " ".join(
            f"{times[n] * 1e3:8.3f}ms {times[n] / times['torch']:10.2f}x" for n in names
        )
        print(f"{label:22} {times['torch'] * 1e3:8.3f}ms {cells}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
