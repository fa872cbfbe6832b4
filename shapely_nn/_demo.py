"""``shapely-nn demo``: a shape-typed example, the bugs mypy catches, a bug caught at run time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, Literal as L, TypeVar

import numpy as np

import shapely_nn as sn
from shapely_nn import Add, Tensor, shapechecked
from shapely_nn.layers import Linear

B = TypeVar("B", bound=int)
In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)


@shapechecked
def cell_input(x: Tensor[B, In], h: Tensor[B, H]) -> Tensor[B, Add[In, H]]:
    """The seeds' LSTM cell input ``[x; h]``: ``[B, In], [B, H] -> [B, In + H]``."""
    return sn.concat([x, h], axis=-1)


@shapechecked
def classify(head: Linear[L[128], L[10]], features: Tensor[B, L[128]]) -> Tensor[B, L[10]]:
    """A linear head on 128 features."""
    return head(features)


def _section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 70 - len(title)))


def _static_gallery(root: Path) -> int:
    """Run mypy with the plugin over the bug gallery; print what it reports."""
    gallery = root / "examples" / "bugs"
    config = root / "mypy.ini"
    if not gallery.is_dir() or not config.is_file():
        print("(run from a checkout of shapely_nn to type-check examples/bugs with the plugin)")
        return 0
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(config), "--no-error-summary"]
    models = sorted(str(p) for p in (root / "examples").glob("*.py"))
    if models:
        proc = subprocess.run(
            [*cmd, *models], capture_output=True, text=True, cwd=root, check=False
        )
        status = "clean" if proc.returncode == 0 else "ERRORS:\n" + proc.stdout
        print(f"mypy + plugin on {len(models)} example model files: {status}")
    proc = subprocess.run(
        [*cmd, str(gallery)], capture_output=True, text=True, cwd=root, check=False
    )
    lines = [ln for ln in proc.stdout.splitlines() if ": error:" in ln]
    for line in lines:
        print("  " + line.replace(str(root) + "/", ""))
    print(f"mypy + plugin caught {len(lines)} shape bugs in examples/bugs before anything ran")
    return len(lines)


def run(root: Path | None = None) -> int:
    """The demo; returns a process exit code."""
    root = root or Path.cwd()
    _section("1. shapes in the types, checked again at run time")
    x, h = sn.randn((4, 3), rng=0), sn.randn((4, 5), rng=1)
    print(f"cell_input(x: {x.shape}, h: {h.shape}) -> {cell_input(x, h).shape}  (In + H = 8)")
    head: Linear[L[128], L[10]] = Linear(128, 10, rng=0)
    logits = classify(head, sn.randn((4, 128), rng=2))
    print(f"classify(Linear(128, 10), [4, 128]) -> {logits.shape}")

    _section("2. mypy with the shapely_nn plugin: bugs caught statically")
    _static_gallery(root)

    _section("3. a shape bug caught at run time")
    try:
        cell_input(x, sn.randn((2, 5), rng=3))
    except sn.ShapeError as err:
        print(f"ShapeError: {err}")
    try:
        classify(head, sn.randn((4, 64), rng=4))
    except sn.ShapeError as err:
        print(f"ShapeError: {err}")
    try:
        sn.matmul(sn.zeros((2, 3)), sn.zeros((4, 5)))
    except sn.ShapeError as err:
        print(f"ShapeError: {err}")

    _section("4. preconditions the types cannot carry")
    try:
        sn.guards.require_divisible("embed_dim", 10, "heads", 4)
    except sn.guards.GuardError as err:
        print(f"GuardError: {err}")
    try:
        sn.guards.require_ids_in_range(sn.tensor(np.array([1, 7, 9])), 8, name="token_ids")
    except sn.guards.GuardError as err:
        print(f"GuardError: {err}")
    _section("5. train a Seq2Seq (LSTM encoder, attention) to reverse sequences")
    _train_reverse()
    return 0


def _reverse_batches(
    seed: int, batches: int, batch: int, vocab: int, length: int
) -> list[tuple[tuple[Any, Any], Any]]:
    """Source ids, target input (start token, then the reversed source) and targets."""
    gen = np.random.default_rng(seed)
    data = []
    for _ in range(batches):
        src = gen.integers(0, vocab, size=(length, batch))
        out = np.ascontiguousarray(src[::-1])
        tgt_in = np.concatenate([np.full((1, batch), vocab), out[:-1]])
        pair = (sn.one_hot(sn.tensor(src), vocab), sn.one_hot(sn.tensor(tgt_in), vocab + 1))
        data.append((pair, sn.tensor(out)))
    return data


def _train_reverse(vocab: int = 8, length: int = 5) -> None:
    from shapely_nn import models
    from shapely_nn.train import Adam, cross_entropy, fit

    def step(model: Any, batch: tuple[Any, Any]) -> tuple[float, Any]:
        pair, targets = batch
        logits, cache = model.forward(pair)
        loss, grad = cross_entropy(logits, targets)
        grads, _ = model.backward(cache, grad)
        return loss, grads

    model = models.AttentionSeq2Seq.init(vocab, vocab + 1, 16, 32, encoder="lstm", rng=0)
    data = _reverse_batches(0, 40, 64, vocab, length)
    model, losses = fit(
        model, data, step, Adam(0.01), epochs=6, rng=1, clip=5.0, description="reverse"
    )
    print("loss per epoch: " + " ".join(f"{x:.3f}" for x in losses))
    src = np.random.default_rng(7).integers(0, vocab, size=(length, 256))
    _, tokens = model.forward_inference(sn.tensor(src), vocab, length)
    accuracy = models.greedy_accuracy(tokens, sn.tensor(np.ascontiguousarray(src[::-1])))
    print(f"greedy token accuracy on 256 new sequences: {100 * accuracy:.1f}%")
    for i in range(3):
        print(f"  {src[:, i].tolist()} -> {tokens.numpy()[:, i].tolist()}")
