"""``AutoNormalGuide``: an independent Normal for every element of every unobserved site.

Each latent site ``z`` gets ``z.loc`` and ``z.scale_unconstrained`` (``scale =
softplus(scale_unconstrained)``, kept positive without constraints), float64. The parameters
are created for one input (the sites' shapes depend on the batch) when the guide is first set
up, starting at the sites' means under the model's current parameters and at ``init_scale``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from shapely_nn.guards import require_positive_number
from shapely_nn.infer._distributions import Normal
from shapely_nn.infer._model import (
    Array,
    ProbModel,
    check_site_names,
    describe_names,
    require_continuous,
    require_model,
    require_observations,
    site_names,
)

LOC = ".loc"
SCALE = ".scale_unconstrained"


def softplus(a: Array) -> Array:
    """``log(1 + exp(a))``, without overflow."""
    return np.logaddexp(0.0, a)


def inverse_softplus(y: float) -> float:
    """The ``a`` with ``softplus(a) == y`` (``y > 0``)."""
    return y + math.log(-math.expm1(-y))


class AutoNormalGuide:
    """Mean-field Normal posterior over a model's unobserved sites (Pyro's ``AutoNormal``).

    ``parameters()`` / ``set_parameters(...)`` expose ``{site}.loc`` and
    ``{site}.scale_unconstrained`` for the library's optimizers; ``SVI`` updates them.
    """

    def __init__(
        self, model: ProbModel, observed_names: Iterable[str] = (), *, init_scale: float = 0.1
    ) -> None:
        require_positive_number(init_scale=init_scale)
        families = require_model("AutoNormalGuide", model).site_families()
        observed = site_names("AutoNormalGuide", observed_names)
        check_site_names(families, sorted(observed), "observed name")
        self.latents = tuple(n for n in families if n not in observed)
        require_continuous(families, self.latents, "AutoNormalGuide (a Normal guide)")
        self.observed_names = observed
        self.init_scale = float(init_scale)
        self._params: dict[str, Array] = {}

    @property
    def is_set_up(self) -> bool:
        """Whether the parameters exist (after ``setup`` or the first SVI step)."""
        return bool(self._params) or not self.latents

    def setup(self, model: ProbModel, x: Any, observations: Mapping[str, Any]) -> None:
        """Create the parameters for input ``x``: locations at the sites' means."""
        self.check_observations(observations)
        infos = {i.name: i for i in require_model("setup", model).site_infos(x, observations)}
        raw = inverse_softplus(self.init_scale)
        params: dict[str, Array] = {}
        for name in self.latents:
            params[name + LOC] = np.array(infos[name].init, dtype=np.float64)
            params[name + SCALE] = np.full(infos[name].shape, raw)
        self._params = params

    def check_observations(self, observations: Mapping[str, Any]) -> None:
        """The observations name exactly the sites the guide was told are observed."""
        given = set(require_observations("AutoNormalGuide", observations))
        if given != self.observed_names:
            missing = sorted(self.observed_names - given)
            extra = sorted(given - self.observed_names)
            raise ValueError(
                f"the guide was built with observed names {sorted(self.observed_names)}, but "
                f"the observations lack {describe_names(missing) or 'nothing'} and add "
                f"{describe_names(extra) or 'nothing'}"
            )

    def _require_setup(self) -> None:
        if not self.is_set_up:
            raise RuntimeError("AutoNormalGuide: call setup(model, x, observations) first")

    def parameters(self) -> dict[str, Array]:
        """``{site}.loc`` and ``{site}.scale_unconstrained`` arrays."""
        self._require_setup()
        return dict(self._params)

    def set_parameters(self, params: Mapping[str, Array]) -> None:
        """Replace the parameters (same names and shapes)."""
        self._require_setup()
        if set(params) != set(self._params):
            raise KeyError(f"AutoNormalGuide: expected parameters {sorted(self._params)}")
        for name, array in params.items():
            if np.shape(array) != self._params[name].shape:
                raise ValueError(
                    f"AutoNormalGuide: {name} has shape {list(np.shape(array))}, expected "
                    f"{list(self._params[name].shape)}"
                )
        self._params = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}

    def distribution(self, name: str) -> Normal:
        """The guide's Normal for one latent site."""
        self._require_setup()
        if name not in self.latents:
            raise KeyError(f"{name!r} is not a latent site of this guide ({self.latents})")
        return Normal(self._params[name + LOC], softplus(self._params[name + SCALE]))

    def median(self) -> dict[str, Array]:
        """The posterior locations, by site."""
        self._require_setup()
        return {n: self._params[n + LOC].copy() for n in self.latents}

    def scales(self) -> dict[str, Array]:
        """The posterior scales, by site."""
        self._require_setup()
        return {n: softplus(self._params[n + SCALE]) for n in self.latents}

    def rsample(self, rng: np.random.Generator) -> tuple[dict[str, Array], dict[str, Array]]:
        """A reparameterised draw of every latent site and the standard-normal noise behind it."""
        self._require_setup()
        values: dict[str, Array] = {}
        noises: dict[str, Array] = {}
        for name in self.latents:
            values[name], noises[name] = self.distribution(name).rsample(rng)
        return values, noises
