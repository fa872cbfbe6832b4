"""``fit``: the training loop, seeded, with a progress bar showing the loss."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import numpy as np
from tqdm.auto import tqdm

from shapely_nn.layers._base import Array, GradRecord, Layer, Rng, as_generator
from shapely_nn.train._optim import clip_grad_norm

M = TypeVar("M", bound=Layer)
B = TypeVar("B")


class Optimizer(Protocol):
    """What ``fit`` needs of an optimizer."""

    def step(self, params: Mapping[str, Array], grads: Mapping[str, Array]) -> dict[str, Array]:
        """New parameters after one update."""
        ...


LossAndGrads = Callable[[M, B], tuple[float, GradRecord | Mapping[str, Array]]]


def train_step(
    model: M,
    batch: B,
    loss_and_grads: LossAndGrads[M, B],
    optimizer: Optimizer,
    clip: float | None = None,
) -> tuple[M, float]:
    """One update: loss and grads on ``batch``, optional clipping, optimizer step."""
    loss, grads = loss_and_grads(model, batch)
    named = grads.as_dict() if isinstance(grads, GradRecord) else dict(grads)
    if clip is not None:
        named, _ = clip_grad_norm(named, clip)
    params = model.parameters()
    return model.with_parameters(optimizer.step(params, named)), loss


def fit(
    model: M,
    data: Sequence[B],
    loss_and_grads: LossAndGrads[M, B],
    optimizer: Optimizer,
    *,
    epochs: int,
    rng: Rng,
    clip: float | None = None,
    progress: bool = True,
    description: str = "train",
) -> tuple[M, list[float]]:
    """Train for ``epochs`` passes over ``data`` (shuffled by ``rng`` each epoch).

    Returns the trained model and the mean loss of each epoch. The same seed, data and
    optimizer settings give the same losses, bit for bit.
    """
    if epochs <= 0:
        raise ValueError(f"fit: epochs must be positive, got {epochs}")
    if not data:
        raise ValueError("fit: no data")
    gen = as_generator(rng)
    history: list[float] = []
    bar: Any = tqdm(total=epochs * len(data), desc=description, disable=not progress, leave=False)
    try:
        for _ in range(epochs):
            total = 0.0
            for index in gen.permutation(len(data)):
                model, loss = train_step(model, data[int(index)], loss_and_grads, optimizer, clip)
                if not np.isfinite(loss):
                    raise FloatingPointError(f"fit: the loss became {loss}")
                total += loss
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            history.append(total / len(data))
    finally:
        bar.close()
    return model, history
