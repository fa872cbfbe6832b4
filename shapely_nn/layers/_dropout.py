"""``Dropout``: random masking with inverted scaling in training, a deterministic map otherwise.

Training (``forward(x, rng=generator)``): each element is kept with probability ``1 - p`` and
kept elements are divided by ``max(1 - p, eps)`` (inverted dropout, PyTorch's training rule and
the seeds' ``dropout_masked_spec``; the ``eps`` floor keeps ``p = 1`` defined: all zeros).

Inference (``__call__(x)`` or ``forward(x)`` without a generator) has two rules:

* ``inference="spec"`` (default): the seeds' ``dropout_inference_spec``, ``y = (1 - p) * x``,
  the expected value of *non-inverted* dropout. This is what the seed models specify; it is
  **not** PyTorch's ``eval()`` behaviour.
* ``inference="identity"``: ``y = x``, PyTorch's ``nn.Dropout`` in ``eval()`` mode and the
  consistent partner of inverted training. The transformer layers use this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeVarTuple

import numpy as np

from shapely_nn._tensor import Tensor, array_of, describe
from shapely_nn.guards import require_rate
from shapely_nn.layers._activations import NoGrads, check_float_input, check_grad_shape
from shapely_nn.layers._base import Array, Layer, SameLead

Dims = TypeVarTuple("Dims")

InferenceRule = Literal["spec", "identity"]

KEEP_FLOOR = 1e-12
"""The seeds' ``eps`` in ``keepSafe = max(1 - p, eps)``."""


def dropout_inference_spec(p: float, x: Array) -> Array:
    """The seeds' deterministic dropout: ``(1 - p) * x``; ``[*S] -> [*S]``."""
    require_rate(p=p)
    out: Array = x * x.dtype.type(1.0 - p)
    return out


def dropout_masked(p: float, keep: Array, x: Array) -> Array:
    """The seeds' ``dropout_masked_spec``: ``x / max(1 - p, eps)`` where kept, else 0."""
    out: Array = x * keep  # a bool factor: much faster than np.where
    out *= x.dtype.type(1.0 / max(1.0 - p, KEEP_FLOOR))
    return out


@dataclass(frozen=True)
class DropoutCache:
    """What ``Dropout.backward`` needs: the keep mask (``None`` on the deterministic path)."""

    keep: Array | None
    shape: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class Dropout(Layer):
    """Dropout with drop probability ``p``: ``[*S] -> [*S]``, no parameters.

    ``p`` is a plain number, not a parameter: it gets no gradient (as in the seeds).
    """

    p: float = 0.5
    inference: InferenceRule = "spec"

    def __post_init__(self) -> None:
        require_rate(p=self.p)
        if self.inference not in ("spec", "identity"):
            raise ValueError(
                f"Dropout: inference must be 'spec' or 'identity', got {self.inference!r}"
            )

    def _deterministic(self, a: Array) -> Array:
        return a if self.inference == "identity" else dropout_inference_spec(self.p, a)

    @property
    def leading_dims(self) -> SameLead:
        """``SameLead()``: elementwise, every dim passes through."""
        return SameLead()

    def __call__(self, x: Tensor[*Dims]) -> Tensor[*Dims]:
        """Inference-mode forward pass, ``[*S] -> [*S]`` (the rule named by ``inference``)."""
        return Tensor(self._deterministic(check_float_input("Dropout", x)))

    def forward(
        self, x: Tensor[*Dims], *, rng: np.random.Generator | None = None
    ) -> tuple[Tensor[*Dims], DropoutCache]:
        """Training-mode forward pass when ``rng`` is given (a fresh mask), else inference."""
        a = check_float_input("Dropout", x)
        if rng is None:
            return Tensor(self._deterministic(a)), DropoutCache(None, a.shape)
        keep = draw_keep_mask(rng, self.p, a.shape)
        return Tensor(dropout_masked(self.p, keep, a)), DropoutCache(keep, a.shape)

    def backward(self, cache: DropoutCache, grad_y: Tensor[*Dims]) -> tuple[NoGrads, Tensor[*Dims]]:
        """Reverse pass: the same mask and scaling applied to ``dL/dy``."""
        g = array_of("Dropout.backward", "grad_y", grad_y)
        check_grad_shape("Dropout", cache.shape, g)
        if cache.keep is None:
            return NoGrads(), Tensor(self._deterministic(g))
        return NoGrads(), Tensor(dropout_masked(self.p, cache.keep, g))

    @property
    def dtype(self) -> np.dtype[Any]:
        """No parameters, hence no dtype."""
        raise AttributeError("Dropout has no parameters, hence no dtype")


def draw_keep_mask(rng: np.random.Generator, p: float, shape: tuple[int, ...]) -> Array:
    """A boolean mask, each element ``True`` (kept) with probability ``1 - p``."""
    if not isinstance(rng, np.random.Generator):
        # the training switch: an int seed here would silently repeat one mask every step
        raise TypeError(
            "rng must be a numpy.random.Generator (training) or None (inference), "
            f"got {describe(rng)}"
        )
    if p <= 0.0:
        return np.ones(shape, dtype=bool)
    keep: Array = rng.random(shape, dtype=np.float32) >= p
    return keep
