"""Probabilistic inference on NumPy: distributions, log joints, VI and potentials for MCMC."""

from shapely_nn.infer._diagnostics import effective_sample_size, split_rhat
from shapely_nn.infer._distributions import Categorical, NonFiniteError, Normal, NormalGrads
from shapely_nn.infer._guide import AutoNormalGuide
from shapely_nn.infer._joint import Trace, TraceSite
from shapely_nn.infer._lift import LiftedProgram, bayesian_lift_parameters, latent_potential
from shapely_nn.infer._mcmc import MCMC, InitialPointError
from shapely_nn.infer._mcmc_result import MCMCResult
from shapely_nn.infer._model import ProbModel, SiteInfo
from shapely_nn.infer._nuts import NUTSKernel
from shapely_nn.infer._potential import Block, HasPotential, Potential
from shapely_nn.infer._svi import ELBO, SVI

__all__ = [
    "AutoNormalGuide",
    "bayesian_lift_parameters",
    "Block",
    "Categorical",
    "effective_sample_size",
    "ELBO",
    "HasPotential",
    "InitialPointError",
    "latent_potential",
    "LiftedProgram",
    "MCMC",
    "MCMCResult",
    "NonFiniteError",
    "Normal",
    "NormalGrads",
    "NUTSKernel",
    "Potential",
    "ProbModel",
    "SiteInfo",
    "split_rhat",
    "SVI",
    "Trace",
    "TraceSite",
]
