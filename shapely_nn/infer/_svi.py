"""``ELBO`` with reparameterised draws, and ``SVI``: its gradient step with an optimizer.

For a draw ``z = loc + scale * noise`` from the guide, ``-ELBO`` is estimated by
``log q(z) - log p(x, z)`` averaged over particles. With ``noise`` held fixed,
``log q(z) = sum(-log scale - noise**2 / 2) + c``, so its gradients are
``0`` for ``loc`` and ``-1 / scale`` for ``scale``; ``log p``'s come from the model's
backward passes (``d log p / d z`` for the guide, ``d log p / d theta`` for the model).
The path-derivative estimator drops ``log q``'s score term instead (see ``ELBO``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from shapely_nn.guards import describe, require_flag, require_size
from shapely_nn.infer._guide import LOC, SCALE, AutoNormalGuide, softplus
from shapely_nn.infer._model import Array, ProbModel, require_model
from shapely_nn.layers._base import Rng, as_generator

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
MODEL = "model/"
GUIDE = "guide/"


class Optimizer(Protocol):
    """The library's optimizers: ``step(params, grads) -> new params``."""

    def step(self, params: Mapping[str, Array], grads: Mapping[str, Array]) -> dict[str, Array]:
        """New parameters after one update."""
        ...


def _sigmoid(a: Array) -> Array:
    return np.exp(-np.logaddexp(0.0, -a))


@dataclass(frozen=True)
class ELBO:
    """The evidence lower bound, estimated with ``num_particles`` reparameterised draws.

    With ``reduce_variance`` (the default) two unbiased, lower-variance gradients replace the
    exact derivative of the estimate: the guide's keeps only the path derivative through the
    draw ("sticking the landing", Roeder, Wu & Duvenaud 2017: zero variance once the guide
    matches the posterior), and the gradient reaching a latent site's mean (the model's
    parameters) uses the guide's location instead of the draw. Without them, a fit with many
    latents (the seed's ``h``) is swamped by the noise of each site's own density.
    ``reduce_variance=False`` gives the exact derivative of the estimated loss for the drawn
    noise (what a finite-difference check compares).
    """

    num_particles: int = 1
    reduce_variance: bool = True

    def __post_init__(self) -> None:
        require_size(num_particles=self.num_particles)
        require_flag(reduce_variance=self.reduce_variance)

    def loss(
        self,
        model: ProbModel,
        guide: AutoNormalGuide,
        x: Any,
        observations: Mapping[str, Any],
        rng: Rng,
    ) -> float:
        """``-ELBO`` (lower is better); ``rng`` a ``Generator`` or a seed."""
        return self.loss_and_grads(model, guide, x, observations, rng)[0]

    def loss_and_grads(
        self,
        model: ProbModel,
        guide: AutoNormalGuide,
        x: Any,
        observations: Mapping[str, Any],
        rng: Rng,
    ) -> tuple[float, dict[str, Array], dict[str, Array]]:
        """``-ELBO`` and its gradients with respect to the model's and the guide's
        parameters (by their own names)."""
        model = require_model("ELBO", model)
        _require_guide("ELBO", guide)
        if not guide.is_set_up:
            raise ValueError(
                'ELBO: argument "guide" has no parameters yet: call guide.setup(model, x, '
                "observations) first (SVI.step does it on its first call)"
            )
        gen = as_generator(rng)
        guide.check_observations(observations)
        params = guide.parameters()
        model_grads = {k: np.zeros_like(v, dtype=np.float64) for k, v in model.parameters().items()}
        guide_grads = {k: np.zeros_like(v) for k, v in params.items()}
        total = 0.0
        weight = 1.0 / self.num_particles
        for _ in range(self.num_particles):
            values, noises = guide.rsample(gen)
            centers = guide.median() if self.reduce_variance else None
            log_p, p_grads, z_grads = model.log_joint_and_grads(
                x, {**observations, **values}, centers
            )
            log_q = 0.0
            for name in guide.latents:
                raw = params[name + SCALE]
                scale = softplus(raw)
                noise = noises[name]
                log_q += float(np.sum(-np.log(scale) - 0.5 * noise * noise - _HALF_LOG_2PI))
                dz = z_grads[name]
                if self.reduce_variance:
                    # path derivative only: drop log q's score, whose expectation is zero
                    dz = dz + noise / scale
                    guide_grads[name + LOC] -= weight * dz
                    d_scale = -dz * noise
                else:
                    guide_grads[name + LOC] -= weight * dz
                    d_scale = -dz * noise - 1.0 / scale
                guide_grads[name + SCALE] += weight * d_scale * _sigmoid(raw)
            total += weight * (log_q - log_p)
            for k in model_grads:
                model_grads[k] -= weight * p_grads[k]
        return total, model_grads, guide_grads


def _require_guide(who: str, guide: object) -> AutoNormalGuide:
    if not isinstance(guide, AutoNormalGuide):
        raise TypeError(
            f'{who}: argument "guide" must be an AutoNormalGuide, got {describe(guide)}'
        )
    return guide


class SVI:
    """Stochastic variational inference: each ``step`` draws, takes ``-ELBO``'s gradient and
    updates the model's and the guide's parameters with one optimizer.

    The model is immutable: ``svi.model`` is the updated one after each step (the guide is
    updated in place). Draws come from ``rng`` (a seed or a ``Generator``): the same seed
    gives the same losses, bit for bit.
    """

    def __init__(
        self,
        model: ProbModel,
        guide: AutoNormalGuide,
        optimizer: Optimizer,
        loss: ELBO | None = None,
        *,
        rng: Rng = 0,
    ) -> None:
        if not callable(getattr(optimizer, "step", None)):
            raise TypeError(
                'SVI: argument "optimizer" must have a step(params, grads) method (an optimizer '
                f"of shapely_nn.train), got {describe(optimizer)}"
            )
        if loss is not None and not isinstance(loss, ELBO):
            raise TypeError(f'SVI: argument "loss" must be an ELBO or None, got {describe(loss)}')
        self.model = require_model("SVI", model)
        self.guide = _require_guide("SVI", guide)
        self.optimizer = optimizer
        self.loss = loss if loss is not None else ELBO()
        self.rng = as_generator(rng)

    @property
    def program(self) -> ProbModel:
        """The model with its parameters as updated so far (same as ``model``)."""
        return self.model

    def _prepare(self, x: Any, observations: Mapping[str, Any]) -> None:
        self.guide.check_observations(observations)
        if not self.guide.is_set_up:
            self.guide.setup(self.model, x, observations)

    def evaluate_loss(
        self, x: Any, observations: Mapping[str, Any], rng: Rng | None = None
    ) -> float:
        """``-ELBO`` at the current parameters, without updating them."""
        self._prepare(x, observations)
        gen = self.rng if rng is None else as_generator(rng)
        return self.loss.loss(self.model, self.guide, x, observations, gen)

    def step(self, x: Any, observations: Mapping[str, Any], rng: Rng | None = None) -> float:
        """One update; returns ``-ELBO`` at the parameters before it."""
        self._prepare(x, observations)
        gen = self.rng if rng is None else as_generator(rng)
        loss, model_grads, guide_grads = self.loss.loss_and_grads(
            self.model, self.guide, x, observations, gen
        )
        model_params = self.model.parameters()
        params = {
            **{MODEL + k: v for k, v in model_params.items()},
            **{GUIDE + k: v for k, v in self.guide.parameters().items()},
        }
        grads = {
            **{MODEL + k: g.astype(model_params[k].dtype) for k, g in model_grads.items()},
            **{GUIDE + k: g for k, g in guide_grads.items()},
        }
        new = self.optimizer.step(params, grads)
        if model_params:
            self.model = self.model.with_parameters({k: new[MODEL + k] for k in model_params})
        self.guide.set_parameters(
            {k[len(GUIDE) :]: v for k, v in new.items() if k.startswith(GUIDE)}
        )
        return loss
