"""Pure NumPy array functions shared by the tensor ops and the layers (no shape checks here)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["logsumexp", "log_softmax", "relu", "sigmoid", "softmax"]

Array = npt.NDArray[np.floating]


def logsumexp(x: Array, axis: int = -1, keepdims: bool = False) -> Array:
    """``log(sum(exp(x)))`` along ``axis``, shifted by the max so it never overflows."""
    peak = np.max(x, axis=axis, keepdims=True)
    # An all -inf slice has max -inf; shifting by it would give nan, so shift by 0 there.
    peak = np.where(np.isfinite(peak), peak, 0)
    out: Array = np.log(np.sum(np.exp(x - peak), axis=axis, keepdims=True)) + peak
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(x: Array, axis: int = -1) -> Array:
    """``x - logsumexp(x)`` along ``axis``."""
    return x - logsumexp(x, axis=axis, keepdims=True)


def softmax(x: Array, axis: int = -1) -> Array:
    """Stable softmax along ``axis``: exponentials of max-shifted values, normalised."""
    shifted = np.exp(x - np.max(x, axis=axis, keepdims=True))
    out: Array = shifted / np.sum(shifted, axis=axis, keepdims=True)
    return out


def sigmoid(x: Array) -> Array:
    """Logistic function, computed from ``tanh`` so it cannot overflow."""
    out: Array = 0.5 * (np.tanh(0.5 * x) + 1.0)
    return out


def relu(x: Array) -> Array:
    """``max(x, 0)``."""
    out: Array = np.maximum(x, 0)
    return out
