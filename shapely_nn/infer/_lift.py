"""Potentials for MCMC, and ``bayesian_lift_parameters``: parameters become latent sites.

``latent_potential(model, x, observations)`` flattens a model's unobserved sites into one
float64 vector. ``bayesian_lift_parameters`` wraps a program into a ``LiftedProgram`` whose
parameters are latent sites under independent ``Normal(0, prior_scale)`` priors and whose own
parameter set is empty, so the same potential (and the same guide and SVI) serve it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Self

import numpy as np

from shapely_nn.guards import require_positive_number
from shapely_nn.infer._model import (
    NORMAL,
    Array,
    ProbModel,
    SiteInfo,
    check_site_names,
    potential_data,
    require_continuous,
    require_model,
    require_observations,
    site_value,
)
from shapely_nn.infer._potential import Block, Potential, Vector

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
JITTER = 0.1  # starting points: the initial value plus this fraction of the site's spread


def latent_potential(model: ProbModel, x: Any, observations: Mapping[str, Any]) -> Potential:
    """The log joint as a density over the unobserved sites (in program order), with the
    model's parameters fixed; starting points jitter the sites' means."""
    families = require_model("latent_potential", model).site_families()
    observations = require_observations("latent_potential", observations)
    check_site_names(families, observations, "observed name")
    latents = [n for n in families if n not in observations]
    require_continuous(families, latents, "a potential (NUTS)")
    infos = {i.name: i for i in model.site_infos(x, observations)}
    observed = {
        n: site_value(n, v, infos[n].shape, infos[n].family) for n, v in observations.items()
    }
    blocks: list[Block] = []
    start = 0
    for name in latents:
        blocks.append(Block(name, start, infos[name].shape))
        start += blocks[-1].size

    def log_density(theta: Vector) -> tuple[float, Vector]:
        values = {
            **observed,
            **{b.name: theta[b.start : b.start + b.size].reshape(b.shape) for b in blocks},
        }
        # an overflowing trajectory is a floating-point error, which samplers count as -inf
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            lp, _, grads = model.log_joint_and_grads(x, values)
        flat = [np.asarray(grads[b.name], dtype=np.float64).reshape(-1) for b in blocks]
        return lp, np.concatenate(flat) if flat else np.zeros(0)

    def initial(rng: np.random.Generator) -> Vector:
        parts = [
            infos[b.name].init.reshape(-1)
            + JITTER * infos[b.name].spread * rng.standard_normal(b.size)
            for b in blocks
        ]
        return np.concatenate(parts).astype(np.float64) if parts else np.zeros(0)

    return Potential(tuple(blocks), log_density, initial)


@dataclass(frozen=True)
class LiftedProgram:
    """A model whose parameters are latent sites (named by their paths) with independent
    ``Normal(0, prior_scale)`` priors, followed by the program's own sites."""

    program: ProbModel
    prior_scale: float

    def __post_init__(self) -> None:
        require_model("LiftedProgram", self.program, name="program")
        require_positive_number(prior_scale=self.prior_scale)
        object.__setattr__(self, "prior_scale", float(self.prior_scale))

    @cached_property
    def _current(self) -> dict[str, Array]:
        return self.program.parameters()

    @cached_property
    def _families(self) -> dict[str, str]:
        return {**dict.fromkeys(self._current, NORMAL), **self.program.site_families()}

    def site_families(self) -> dict[str, str]:
        """Parameter paths (``normal``), then the program's sites."""
        return dict(self._families)

    def _split(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        names = self._current
        params = {k: v for k, v in values.items() if k in names}
        return params, {k: v for k, v in values.items() if k not in names}

    def _program_with(self, params: Mapping[str, Any]) -> ProbModel:
        current = self._current
        cast = {
            k: site_value(k, v, current[k].shape, NORMAL).astype(current[k].dtype, copy=False)
            for k, v in params.items()
        }
        return self.program.with_parameters(cast)

    def site_infos(self, x: Any, observations: Mapping[str, Any]) -> tuple[SiteInfo, ...]:
        """The parameters (starting at their current values), then the program's sites."""
        check_site_names(self._families, observations, "observed name")
        params, rest = self._split(observations)
        own = tuple(
            SiteInfo(k, "sample", NORMAL, v.shape, init, self.prior_scale)
            for k, v in self._current.items()
            for init in [
                site_value(k, params[k], v.shape, NORMAL) if k in params else v.astype(np.float64)
            ]
        )
        return own + self._program_with(params).site_infos(x, rest)

    def parameters(self) -> dict[str, Array]:
        """None: every parameter of the program is a latent site here."""
        return {}

    def with_parameters(self, params: Mapping[str, Array]) -> Self:
        """Itself (it has no parameters); anything given is an error."""
        if params:
            raise KeyError(f"a lifted program has no parameters, got {sorted(params)}")
        return self

    def log_joint(self, x: Any, values: Mapping[str, Any]) -> float:
        """Priors of the parameters plus the program's log joint."""
        return self.log_joint_and_grads(x, values)[0]

    def log_joint_and_grads(
        self, x: Any, values: Mapping[str, Any], centers: Mapping[str, Any] | None = None
    ) -> tuple[float, dict[str, Array], dict[str, Array]]:
        """Priors plus the program's log joint; gradients by parameter path and by site
        (``centers`` are passed on for the program's sites: the priors have no parents)."""
        check_site_names(self._families, values, "value for")
        params, rest = self._split(values)
        missing = [k for k in self._current if k not in params]
        if missing:
            raise ValueError(f"log joint: no value for parameter {missing[0]!r}")
        program = self._program_with(params)
        total, param_grads, value_grads = program.log_joint_and_grads(x, rest, centers)
        grads: dict[str, Array] = {}
        variance = self.prior_scale**2
        log_norm = math.log(self.prior_scale) + _HALF_LOG_2PI
        for name, given in params.items():
            value = np.asarray(given, dtype=np.float64)
            total += float(-0.5 * np.vdot(value, value) / variance - value.size * log_norm)
            grads[name] = param_grads[name].astype(np.float64) - value / variance
        return total, {}, {**grads, **value_grads}

    def potential(self, *data: object) -> Potential:
        """``potential(x, observations)``: the posterior of every parameter (and unobserved
        latent) given the data."""
        x, observations = potential_data(data, "LiftedProgram.potential")
        return latent_potential(self, x, observations)


def bayesian_lift_parameters(
    program: Any, x: Any, observations: Mapping[str, Any], *, prior_scale: float = 1.0
) -> tuple[LiftedProgram, Any, dict[str, Array]]:
    """``(lifted, x, observations)``: ``program`` (in float64) with ``Normal(0, prior_scale)``
    priors on all its parameters, and its data checked, ready for ``MCMC.run`` or ``SVI``."""
    require_model("bayesian_lift_parameters", program, name="program")
    observations = require_observations("bayesian_lift_parameters", observations)
    model = program.astype(np.float64) if hasattr(program, "astype") else program
    lifted = LiftedProgram(model, prior_scale)
    data = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    lx = data.astype(np.float64) if data.dtype.kind == "f" else data
    infos = {i.name: i for i in model.site_infos(lx, observations)}
    lobs = {n: site_value(n, v, infos[n].shape, infos[n].family) for n, v in observations.items()}
    return lifted, lx, lobs
