"""``Normal`` and ``Categorical``: log densities, draws and the gradients of ``log_prob``.

Everything here is float64. Shapes are checked, never broadcast, with one documented
exception: a ``Normal``'s ``scale`` may be a scalar shared by every element.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from shapely_nn._shape import ShapeError
from shapely_nn.guards import GuardError, reason_ids_in_range

Array = npt.NDArray[Any]
Vector = npt.NDArray[np.float64]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _float64(value: Any, what: str) -> Vector:
    array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    if array.dtype.kind not in "fiu":
        raise TypeError(f"{what} must be real numbers, got dtype {array.dtype}")
    return array.astype(np.float64, copy=False)


def _same_shape(what: str, got: tuple[int, ...], expected: tuple[int, ...]) -> None:
    if got != expected:
        raise ShapeError(f"{what} has shape {list(got)}, expected {list(expected)}")


class NonFiniteError(FloatingPointError, ValueError):
    """A distribution's parameters are NaN or infinite.

    A ``FloatingPointError``, which a sampler counts as a log density of ``-inf`` (an
    overflowing trajectory), and a ``ValueError`` for a caller who passed such values.
    """


@dataclass(frozen=True)
class NormalGrads:
    """Gradients of ``log_prob(value).sum()``: ``loc`` and ``value`` like ``loc``; ``scale``
    like the ``scale`` given (a float when it was a scalar)."""

    loc: Vector
    scale: Vector | float
    value: Vector


@dataclass(frozen=True, init=False)
class Normal:
    """Independent Normals, one per element of ``loc``: ``N(loc, scale**2)``.

    ``scale`` is positive and finite, either a scalar (shared) or an array shaped like ``loc``.
    """

    loc: Vector
    scale: Vector | float

    def __init__(self, loc: Any, scale: Any) -> None:
        loc_array = _float64(loc, "Normal: loc")
        scale_array = _float64(scale, "Normal: scale")
        if scale_array.ndim != 0:
            _same_shape("Normal: scale", scale_array.shape, loc_array.shape)
        if not np.all(np.isfinite(scale_array) & (scale_array > 0)):
            raise ValueError(
                f"Normal: scale must be positive and finite, got min {scale_array.min():g}"
            )
        object.__setattr__(self, "loc", loc_array)
        object.__setattr__(
            self, "scale", float(scale_array) if scale_array.ndim == 0 else scale_array
        )

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of one draw (``loc``'s)."""
        return tuple(self.loc.shape)

    def _value(self, value: Any) -> Vector:
        array = _float64(value, "Normal.log_prob: value")
        _same_shape("Normal.log_prob: value", array.shape, self.shape)
        return array

    def log_prob(self, value: Any) -> Vector:
        """Elementwise log density, shaped like ``loc``."""
        z = (self._value(value) - self.loc) / self.scale
        return -0.5 * z * z - np.log(self.scale) - _HALF_LOG_2PI

    def log_prob_grads(self, value: Any) -> NormalGrads:
        """Gradients of ``log_prob(value).sum()`` with respect to ``loc``, ``scale``, ``value``."""
        z = (self._value(value) - self.loc) / self.scale
        d_loc = z / self.scale
        d_scale = (z * z - 1.0) / self.scale
        return NormalGrads(
            loc=d_loc,
            scale=float(d_scale.sum()) if isinstance(self.scale, float) else d_scale,
            value=-d_loc,
        )

    def sample(self, rng: np.random.Generator) -> Vector:
        """One draw, shaped like ``loc``."""
        return self.rsample(rng)[0]

    def rsample(self, rng: np.random.Generator) -> tuple[Vector, Vector]:
        """A reparameterised draw ``loc + scale * noise`` and its standard-normal ``noise``
        (``d draw / d loc = 1``, ``d draw / d scale = noise``)."""
        noise = rng.standard_normal(self.shape)
        return self.loc + self.scale * noise, noise

    def entropy(self) -> float:
        """The entropy of all elements together."""
        per = 0.5 + _HALF_LOG_2PI + np.log(self.scale)
        return float(np.sum(np.broadcast_to(per, self.shape)))


@dataclass(frozen=True, init=False)
class Categorical:
    """Categoricals over the last axis of ``logits`` ``[*B, K]``; values are ids ``[*B]``."""

    logits: Vector
    log_probs: Vector

    def __init__(self, logits: Any) -> None:
        array = _float64(logits, "Categorical: logits")
        if array.ndim == 0 or array.shape[-1] == 0:
            raise ShapeError(
                f"Categorical: logits must be [*B, K] with K > 0, got {list(array.shape)}"
            )
        if not np.all(np.isfinite(array)):
            # a floating-point error (overflowing parameters), which samplers count as -inf
            raise NonFiniteError("Categorical: logits must be finite")
        shifted = array - array.max(axis=-1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        object.__setattr__(self, "logits", array)
        object.__setattr__(self, "log_probs", log_probs)

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of one draw (``logits`` without the category axis)."""
        return tuple(self.logits.shape[:-1])

    @property
    def num_categories(self) -> int:
        """``K``."""
        return int(self.logits.shape[-1])

    def _ids(self, value: Any) -> npt.NDArray[np.int64]:
        array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
        _same_shape("Categorical.log_prob: value", array.shape, self.shape)
        reason = reason_ids_in_range("Categorical.log_prob: value", array, self.num_categories)
        if reason is not None:
            raise GuardError(reason)
        return array.astype(np.int64, copy=False)

    def log_prob(self, value: Any) -> Vector:
        """Elementwise log-probability of the ids ``value`` ``[*B]``."""
        ids = self._ids(value)
        return np.take_along_axis(self.log_probs, ids[..., None], axis=-1)[..., 0]

    def log_prob_grads(self, value: Any) -> Vector:
        """Gradient of ``log_prob(value).sum()`` with respect to ``logits``: one-hot minus the
        probabilities (ids are discrete: they have no gradient)."""
        ids = self._ids(value)
        grad = -np.exp(self.log_probs)
        np.put_along_axis(
            grad, ids[..., None], np.take_along_axis(grad, ids[..., None], -1) + 1, -1
        )
        return grad

    def sample(self, rng: np.random.Generator) -> npt.NDArray[np.int64]:
        """One id per row ``[*B]``, by inverting the cumulative probabilities."""
        cdf = np.cumsum(np.exp(self.log_probs), axis=-1)
        u = rng.random((*self.shape, 1)) * cdf[..., -1:]
        ids: npt.NDArray[np.int64] = (cdf <= u).sum(axis=-1, dtype=np.int64)
        return np.minimum(ids, self.num_categories - 1)
