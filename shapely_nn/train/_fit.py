"""``fit``: the training loop, seeded, with a progress bar showing the loss."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import numpy as np
from tqdm.auto import tqdm

from shapely_nn._tensor import describe
from shapely_nn.guards import require_positive_number, require_size
from shapely_nn.layers._base import Array, GradRecord, Layer, Rng, as_generator, require_module
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
    _check_training("train_step", model, loss_and_grads, optimizer, clip)
    loss, grads = loss_and_grads(model, batch)
    named = grads.as_dict() if isinstance(grads, GradRecord) else dict(grads)
    if clip is not None:
        named, _ = clip_grad_norm(named, clip)
    params = model.parameters()
    return model.with_parameters(optimizer.step(params, named)), loss


def _check_training(
    callee: str, model: object, loss_and_grads: object, optimizer: object, clip: object
) -> None:
    """The arguments ``fit`` and ``train_step`` share, each refused by name when wrong."""
    require_module(callee, model, "model")
    if not callable(loss_and_grads):
        raise TypeError(
            f'{callee}: argument "loss_and_grads" must be a function (model, batch) -> '
            f"(loss, grads), got {describe(loss_and_grads)}"
        )
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(
            f'{callee}: argument "optimizer" must have a step(params, grads) method (SGD, '
            f"Adam), got {describe(optimizer)}"
        )
    if clip is not None:
        require_positive_number(clip=clip)


class NonFiniteLossError(FloatingPointError):
    """``fit`` stopped: the loss became NaN or infinite at a named step."""


def _non_finite(loss: float, epoch: int, step: int, steps: int, batch: int) -> str:
    return (
        f"fit: the loss stopped being finite at epoch {epoch + 1}, step {step + 1} of {steps} "
        f"(data[{batch}]): loss = {loss}. The model passed in is unchanged (models are "
        "immutable). Lower the learning rate, clip the gradients (clip=...), or look for "
        "NaN/inf in the data"
    )


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
    _check_training("fit", model, loss_and_grads, optimizer, clip)
    require_size(epochs=epochs)
    if not isinstance(data, Sequence) or isinstance(data, str):
        raise TypeError(f"fit: data must be a sequence of batches, got {type(data).__name__}")
    require_size(**{"len(data)": len(data)})
    gen = as_generator(rng)
    history: list[float] = []
    bar: Any = tqdm(total=epochs * len(data), desc=description, disable=not progress, leave=False)
    try:
        for epoch in range(epochs):
            total = 0.0
            for step, index in enumerate(gen.permutation(len(data))):
                trained, loss = train_step(model, data[int(index)], loss_and_grads, optimizer, clip)
                if not np.isfinite(loss):
                    raise NonFiniteLossError(_non_finite(loss, epoch, step, len(data), int(index)))
                model = trained
                total += loss
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            history.append(total / len(data))
    finally:
        bar.close()
    return model, history
