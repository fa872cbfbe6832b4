"""Losses, each returning ``(value, gradient with respect to the prediction)``."""

from __future__ import annotations

from typing import Any

import numpy as np

from shapely_nn import functional
from shapely_nn._shape import ShapeError
from shapely_nn._tensor import DTypeError, Tensor, array_of, optional_array_of
from shapely_nn.guards import require_ids_in_range

AnyTensor = Tensor[*tuple[Any, ...]]


def _same_shape(op: str, what: str, got: tuple[int, ...], expected: tuple[int, ...]) -> None:
    if got != expected:
        raise ShapeError(f"{op}: {what} has shape {list(got)}, expected {list(expected)}")


def _float_logits(op: str, value: object, name: str = "logits") -> Any:
    """The array of a float tensor argument (a loss needs float scores), else a clear error."""
    a = array_of(op, name, value)
    if a.dtype.kind != "f":
        raise DTypeError(f"{op}: {name} must be a float tensor, got dtype {a.dtype}")
    return a


def cross_entropy(
    logits: AnyTensor, targets: AnyTensor, *, mask: AnyTensor | None = None
) -> tuple[float, AnyTensor]:
    """Mean cross-entropy of ``logits`` ``[*B, C]`` against int ids ``[*B]``.

    ``mask`` (bool ``[*B]``) keeps the positions that count (padding out); the mean is over
    those. Returns the loss and ``dL/dlogits`` (``(softmax - one_hot) / count`` where kept).
    """
    z = _float_logits("cross_entropy", logits)
    ids = array_of("cross_entropy", "targets", targets)
    mask_array = optional_array_of("cross_entropy", "mask", mask)
    if z.ndim == 0:
        raise ShapeError("cross_entropy: logits must have a class axis, got a scalar")
    _same_shape("cross_entropy", "targets", ids.shape, z.shape[:-1])
    keep = np.ones(ids.shape, dtype=bool) if mask_array is None else mask_array
    if mask_array is not None:
        _same_shape("cross_entropy", "mask", keep.shape, ids.shape)
        if keep.dtype != np.bool_:
            raise TypeError(f"cross_entropy: mask must be bool, got {keep.dtype}")
    count = int(keep.sum())
    if count == 0:
        raise ShapeError("cross_entropy: the mask keeps no position")
    require_ids_in_range(ids[keep], z.shape[-1], name="targets")
    safe = np.where(keep, ids, 0)
    log_p = functional.log_softmax(z, axis=-1)
    picked = np.take_along_axis(log_p, safe[..., None], axis=-1)[..., 0]
    loss = float(-(picked * keep).sum() / count)
    grad = np.exp(log_p)
    np.put_along_axis(grad, safe[..., None], np.take_along_axis(grad, safe[..., None], -1) - 1, -1)
    grad *= (keep / count)[..., None]
    return loss, Tensor(grad.astype(z.dtype, copy=False))


def cross_entropy_onehot(logits: AnyTensor, targets: AnyTensor) -> tuple[float, AnyTensor]:
    """Mean cross-entropy against one-hot (or probability) rows ``[*B, C]``: the seeds'
    ``cross_entropy_loss_onehot`` and ``cross_entropy_grad_onehot``."""
    z = _float_logits("cross_entropy_onehot", logits)
    t = array_of("cross_entropy_onehot", "targets", targets)
    _same_shape("cross_entropy_onehot", "targets", t.shape, z.shape)
    if z.ndim == 0:
        raise ShapeError("cross_entropy_onehot: logits must have a class axis, got a scalar")
    rows = max(1, z.size // max(1, z.shape[-1]))
    log_p = functional.log_softmax(z, axis=-1)
    loss = float(-(t * log_p).sum() / rows)
    grad = (np.exp(log_p) * t.sum(axis=-1, keepdims=True) - t) / rows
    return loss, Tensor(grad.astype(z.dtype, copy=False))


def mse(prediction: AnyTensor, target: AnyTensor) -> tuple[float, AnyTensor]:
    """Mean squared error over every element, and its gradient ``2 (p - t) / n``."""
    p = _float_logits("mse", prediction, "prediction")
    t = array_of("mse", "target", target)
    _same_shape("mse", "target", t.shape, p.shape)
    if p.size == 0:
        raise ShapeError("mse: empty prediction")
    diff = p - t
    return float((diff * diff).mean()), Tensor((2.0 / p.size) * diff)


def sequence_cross_entropy(
    logits: AnyTensor, targets: AnyTensor, *, mask: AnyTensor | None = None
) -> tuple[float, AnyTensor]:
    """Per-step classification loss averaged over the kept steps (seed 001's
    ``sequence_classification_loss``): logits ``[T, *B, C]``, ids ``[T, *B]``, mask optional."""
    if array_of("sequence_cross_entropy", "logits", logits).ndim < 2:
        raise ShapeError(f"sequence_cross_entropy: logits must be [T, *B, C], got {logits.shape}")
    return cross_entropy(logits, targets, mask=mask)


def language_model_loss(
    logits: AnyTensor, next_tokens: AnyTensor, *, mask: AnyTensor | None = None
) -> tuple[float, AnyTensor]:
    """Next-token loss of a language model (seed 001: an alias of the sequence loss)."""
    return sequence_cross_entropy(logits, next_tokens, mask=mask)
