"""Finite-difference gradient checks: the test every backward pass here has to pass."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from shapely_nn._tensor import describe
from shapely_nn.guards import require_positive_number
from shapely_nn.layers._base import ParameterNameError

Array = npt.NDArray[Any]


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with central finite differences."""


@dataclass(frozen=True)
class GradcheckResult:
    """Relative error ``|a - n| / max(|a|, |n|)`` (Euclidean norms) per checked array."""

    errors: dict[str, float]

    @property
    def worst(self) -> float:
        """The largest relative error."""
        return max(self.errors.values(), default=0.0)


def numerical_gradient(loss: Callable[[], float], array: Array, eps: float = 1e-6) -> Array:
    """Central differences of ``loss()`` with respect to ``array``, perturbed in place.

    ``array`` must be the very array ``loss`` reads (a layer's parameter, an input's data);
    every element is restored afterwards, also when ``loss`` raises.
    """
    require_positive_number(eps=eps)
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"numerical_gradient: array must be a float64 numpy.ndarray, got {describe(array)}"
        )
    if array.dtype != np.float64:
        raise TypeError(f"numerical_gradient: needs a float64 array, got {array.dtype}")
    grad = np.zeros_like(array)
    flat = array.reshape(-1)
    if not np.shares_memory(flat, array):
        raise ValueError("numerical_gradient: the array must be contiguous (perturbed in place)")
    out = grad.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        try:
            flat[i] = original + eps
            up = loss()
            flat[i] = original - eps
            down = loss()
        finally:
            flat[i] = original
        out[i] = (up - down) / (2 * eps)
    return grad


def gradcheck(
    loss: Callable[[], float],
    arrays: Mapping[str, Array],
    analytic: Mapping[str, Array],
    *,
    eps: float = 1e-6,
    rtol: float = 1e-6,
    atol: float = 1e-10,
) -> GradcheckResult:
    """Compare ``analytic[name]`` with finite differences of ``loss`` for each array.

    Raises ``GradcheckError`` naming the array, its relative error and the worst element when
    the relative error exceeds ``rtol`` (gradients whose norms are both below ``atol`` pass).
    """
    missing = sorted(set(arrays) - set(analytic))
    if missing:
        raise ParameterNameError(f"gradcheck: no analytic gradient for {missing}")
    require_positive_number(eps=eps, rtol=rtol, atol=atol)
    errors: dict[str, float] = {}
    for name, array in arrays.items():
        numeric = numerical_gradient(loss, array, eps)
        given = np.asarray(analytic[name], dtype=np.float64)
        if given.shape != numeric.shape:
            raise GradcheckError(
                f"gradcheck: {name}: analytic gradient has shape {list(given.shape)}, "
                f"parameter has {list(numeric.shape)}"
            )
        scale = max(float(np.linalg.norm(given)), float(np.linalg.norm(numeric)))
        diff = float(np.linalg.norm(given - numeric))
        error = 0.0 if scale < atol else diff / scale
        errors[name] = error
        if error > rtol:
            worst = np.unravel_index(int(np.argmax(np.abs(given - numeric))), given.shape)
            raise GradcheckError(
                f"gradcheck: {name}: relative error {error:.3g} > {rtol:g}; worst at index "
                f"{tuple(int(i) for i in worst)}: analytic {given[worst]:.8g}, "
                f"numeric {numeric[worst]:.8g}"
            )
    return GradcheckResult(errors)
