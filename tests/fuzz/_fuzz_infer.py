"""The bad-input fuzz's cases for ``shapely_nn.infer`` (merged into ``_fuzz_cases.CASES``).

One small model serves the program-based cases: ``x -> h ~ Normal -> y ~ Normal`` at width 2,
three rows, float64, loaded once (programs are immutable); guides, which are not, are built
per call. MCMC samples a 2-D standard Gaussian ``Potential`` with 5 warm-up transitions and 5
draws, enough for the summary's diagnostics (4 draws or more).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from _fuzz_case import Args, Case
from _fuzz_kinds import (
    ARRAY_IDS,
    COUNT,
    FINITE_ARRAY,
    FLAG,
    NAMES,
    OBJECT,
    OPEN_RATE,
    POSITIVE,
    REAL_ARRAY,
    RNG,
    SHAPE,
    SIZE,
    Kind,
    Variant,
    choice,
    refuse,
)
from hypothesis import strategies as st

import shapely_nn as sn
from shapely_nn import infer
from shapely_nn.qvr import QvrProgram, load
from shapely_nn.train import Adam

PROGRAM_TEXT = """
object X : Real 2
object H : Real 2
object Y : Real 1
morphism f : X -> H [scale=0.5] ~ Normal
morphism g : H -> Y [scale=0.3] ~ Normal
program p : X -> Y
sample h <- f
observe y : Y <- g(h)
return y
"""
ROWS = 3


@cache
def _program() -> QvrProgram:
    return load(PROGRAM_TEXT, rng=0, dtype=np.float64)


def _x() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((ROWS, 2))


def _observations() -> dict[str, Any]:
    return {"y": np.random.default_rng(1).standard_normal((ROWS, 1))}


def _widen(a: Any) -> Any:
    return np.concatenate([a, a[..., :1]], axis=-1)


INPUT = Kind(
    "program input",
    (
        refuse("None", None),
        refuse("str", "x"),
        Variant("list", lambda a: a.tolist(), "same"),
        Variant("tensor", lambda a: sn.tensor(np.array(a)), "same"),
        Variant("one more feature", _widen),
        Variant("int array", lambda a: np.zeros(a.shape, np.int64)),
    ),
    st.one_of(st.none(), st.text(max_size=3), st.integers()),
)
"""The input of a program with a ``Real`` domain: an array or a tensor of rows."""

OBSERVATIONS = Kind(
    "observations",
    (
        refuse("None", None),
        Variant("list", lambda o: list(o.values())),
        Variant("unknown site", lambda o: {**o, "nope": np.zeros(1)}),
        Variant("wrong shape", lambda o: {"y": o["y"][:1]}),
        Variant("ids for a Normal", lambda o: {"y": np.full((ROWS, 1), "a")}),
        Variant("tensor value", lambda o: {"y": sn.tensor(np.array(o["y"]))}, "same"),
        Variant("list value", lambda o: {"y": o["y"].tolist()}, "same"),
    ),
    st.one_of(st.none(), st.integers(), st.text(max_size=3), st.lists(st.none(), max_size=2)),
)
"""``{site name: value}`` for the observed sites (``y``)."""

OBSERVED_NAMES = NAMES.plus(
    refuse("None", None),
    refuse("unknown", ("nope",)),
    refuse("latent too", ("y", "h")),
    Variant("one str", lambda _names: "y", "same"),
    Variant("list", list, "same"),
)


def _guide(a: Args) -> Any:
    guide = infer.AutoNormalGuide(a["model"], a["observed_names"], init_scale=a["init_scale"])
    guide.setup(_program(), a["x"], a["observations"])
    return guide.median(), guide.scales()


def _fresh_guide() -> Any:
    return infer.AutoNormalGuide(_program(), {"y"})


def _setup_guide() -> Any:
    guide = _fresh_guide()
    guide.setup(_program(), _x(), _observations())
    return guide


def _elbo(a: Args) -> Any:
    elbo = infer.ELBO(a["num_particles"], a["reduce_variance"])
    return elbo.loss_and_grads(a["model"], a["guide"], _x(), a["observations"], a["rng"])


def _svi(a: Args) -> Any:
    svi = infer.SVI(a["model"], a["guide"], a["optimizer"], a["loss"], rng=a["rng"])
    losses = [svi.step(a["x"], a["observations"]) for _ in range(2)]
    return losses, svi.guide.median()


def _lift(a: Args) -> Any:
    lifted, lx, lobs = infer.bayesian_lift_parameters(
        a["program"], a["x"], a["observations"], prior_scale=a["prior_scale"]
    )
    potential = lifted.potential(lx, lobs)
    return potential.log_density(np.linspace(-1.0, 1.0, potential.size))


def _latent_potential(a: Args) -> Any:
    potential = infer.latent_potential(a["model"], a["x"], a["observations"])
    return potential.log_density(potential.initial(np.random.default_rng(0)))


def _gaussian(theta: np.ndarray) -> tuple[float, np.ndarray]:
    return -0.5 * float(theta @ theta), -theta


def _uniform_start(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(-2.0, 2.0, 2)


def _gaussian_potential() -> Any:
    return infer.Potential((infer.Block("x", 0, (2,)),), _gaussian, _uniform_start)


def _mcmc_result(result: Any) -> Any:
    summary = result.summary()
    return result.flat_draws, result.step_sizes, summary.mean, summary.r_hat


def _nuts(a: Args) -> Any:
    kernel = infer.NUTSKernel(
        a["step_size"],
        a["max_tree_depth"],
        a["target_accept"],
        a["adapt_step_size"],
        a["adapt_mass_matrix"],
    )
    return _mcmc_result(
        infer.MCMC(kernel, 5, 5, progress_bar=False).run(_gaussian_potential(), rng=0)
    )


def _mcmc(a: Args) -> Any:
    mcmc = infer.MCMC(
        a["kernel"],
        a["num_warmup"],
        a["num_samples"],
        a["num_chains"],
        progress_bar=a["progress_bar"],
    )
    return _mcmc_result(mcmc.run(a["model"], rng=a["rng"]))


def _potential(a: Args) -> Any:
    potential = infer.Potential(a["blocks"], a["log_density"], a["initial"])
    mcmc = infer.MCMC(infer.NUTSKernel(), 3, 3, progress_bar=False)
    return mcmc.run(potential, rng=0).flat_draws


def _draws() -> np.ndarray:
    return np.random.default_rng(2).standard_normal((2, 8, 2))


DRAWS = Kind(
    "draws",
    (
        refuse("None", None),
        refuse("str", "x"),
        refuse("ragged", [[1.0, 2.0], [3.0]]),
        Variant("all NaN", lambda d: np.full_like(d, np.nan)),
        Variant("one draw", lambda d: d[:, :1]),
        Variant("1-D", lambda d: d[0, :, 0]),
        Variant("list", lambda d: d.tolist(), "same"),
        Variant("tensor", lambda d: sn.tensor(np.array(d)), "same"),
    ),
    st.one_of(st.none(), st.text(max_size=3), st.floats(), st.lists(st.floats(), max_size=3)),
)
"""MCMC draws ``[chains, draws, *shape]``, finite, at least 4 draws per chain."""

MCMC_EXAMPLES = 40
"""Random bad values for the cases that sample (a run is 10 NUTS transitions, ~4 ms)."""

_PROGRAM_ALIASES = {
    "observations": ("observation", "site"),
    "observed_names": ("observed name",),
}


def _normal(a: Args) -> Any:
    dist = infer.Normal(a["loc"], a["scale"])
    grads = dist.log_prob_grads(a["value"])
    return dist.log_prob(a["value"]), grads.loc, grads.scale, grads.value, dist.entropy()


def _categorical(a: Args) -> Any:
    dist = infer.Categorical(a["logits"])
    return dist.log_prob(a["value"]), dist.log_prob_grads(a["value"])


INFER_CASES: dict[str, Case] = {
    "Normal": Case(
        _normal,
        lambda: {
            "loc": np.array([0.5, -1.0]),
            "scale": 0.7,
            "value": np.array([0.1, 0.2]),
        },
        {
            "loc": REAL_ARRAY,
            "scale": POSITIVE,
            "value": REAL_ARRAY.plus(Variant("one more element", _widen)),
        },
        covers=("Normal", "NormalGrads"),
    ),
    "Categorical": Case(
        _categorical,
        lambda: {
            "logits": np.array([[0.1, 0.5, -0.3], [1.0, 0.0, 0.2]]),
            "value": sn.tensor([2, 0]),
        },
        {
            "logits": FINITE_ARRAY.plus(
                refuse("scalar", 1.0), Variant("inf", lambda a: np.full_like(a, np.inf))
            ),
            "value": ARRAY_IDS.plus(
                Variant("out of range", lambda t: sn.tensor([3, 0])),
                Variant("float ids", lambda t: sn.tensor(t.numpy() + 0.5)),
                Variant("one more id", lambda t: sn.tensor([2, 0, 1])),
            ),
        },
    ),
    "split_rhat": Case(
        lambda a: infer.split_rhat(a["draws"]), lambda: {"draws": _draws()}, {"draws": DRAWS}
    ),
    "effective_sample_size": Case(
        lambda a: infer.effective_sample_size(a["draws"], method=a["method"]),
        lambda: {"draws": _draws(), "method": "bulk"},
        {"draws": DRAWS, "method": choice(("bulk", "mean"))},
    ),
    "AutoNormalGuide": Case(
        _guide,
        lambda: {
            "model": _program(),
            "observed_names": ("y",),
            "init_scale": 0.2,
            "x": _x(),
            "observations": _observations(),
        },
        {
            "model": OBJECT,
            "observed_names": OBSERVED_NAMES,
            "init_scale": POSITIVE,
            "x": INPUT,
            "observations": OBSERVATIONS,
        },
        label="",
        aliases=_PROGRAM_ALIASES,
    ),
    "ELBO": Case(
        _elbo,
        lambda: {
            "num_particles": 2,
            "reduce_variance": True,
            "model": _program(),
            "guide": _setup_guide(),
            "observations": _observations(),
            "rng": 0,
        },
        {
            "num_particles": SIZE,
            "reduce_variance": FLAG,
            "model": OBJECT,
            "guide": OBJECT.plus(Variant("not set up", lambda _g: _fresh_guide())),
            "observations": OBSERVATIONS,
            "rng": RNG,
        },
        label="",
        aliases=_PROGRAM_ALIASES,
    ),
    "SVI": Case(
        _svi,
        lambda: {
            "model": _program(),
            "guide": _fresh_guide(),
            "optimizer": Adam(0.01),
            "loss": infer.ELBO(),
            "rng": 0,
            "x": _x(),
            "observations": _observations(),
        },
        {
            "model": OBJECT,
            "guide": OBJECT,
            "optimizer": OBJECT,
            "loss": OBJECT,
            "rng": RNG,
            "x": INPUT,
            "observations": OBSERVATIONS,
        },
        label="",
        aliases=_PROGRAM_ALIASES,
        none_ok=("loss",),
    ),
    "bayesian_lift_parameters": Case(
        _lift,
        lambda: {
            "program": _program(),
            "x": _x(),
            "observations": _observations(),
            "prior_scale": 2.0,
        },
        {"program": OBJECT, "x": INPUT, "observations": OBSERVATIONS, "prior_scale": POSITIVE},
        label="",
        aliases=_PROGRAM_ALIASES,
        covers=("bayesian_lift_parameters", "LiftedProgram"),
    ),
    "LiftedProgram": Case(
        lambda a: infer.LiftedProgram(a["program"], a["prior_scale"]).site_families(),
        lambda: {"program": _program(), "prior_scale": 2.0},
        {"program": OBJECT, "prior_scale": POSITIVE},
    ),
    "latent_potential": Case(
        _latent_potential,
        lambda: {"model": _program(), "x": _x(), "observations": _observations()},
        {"model": OBJECT, "x": INPUT, "observations": OBSERVATIONS},
        label="",
        aliases=_PROGRAM_ALIASES,
    ),
    "NUTSKernel": Case(
        _nuts,
        lambda: {
            "step_size": 0.2,
            "max_tree_depth": 4,
            "target_accept": 0.8,
            "adapt_step_size": True,
            "adapt_mass_matrix": True,
        },
        {
            "step_size": POSITIVE,
            "max_tree_depth": SIZE,
            "target_accept": OPEN_RATE,
            "adapt_step_size": FLAG,
            "adapt_mass_matrix": FLAG,
        },
        covers=("NUTSKernel", "MCMCResult"),
        examples=MCMC_EXAMPLES,
    ),
    "MCMC": Case(
        _mcmc,
        lambda: {
            "kernel": infer.NUTSKernel(),
            "num_warmup": 5,
            "num_samples": 5,
            "num_chains": 2,
            "progress_bar": False,
            "model": _gaussian_potential(),
            "rng": 0,
        },
        {
            "kernel": OBJECT,
            "num_warmup": COUNT,
            "num_samples": SIZE,
            "num_chains": SIZE,
            "progress_bar": FLAG,
            "model": OBJECT,
            "rng": RNG,
        },
        none_ok=("progress_bar",),
        covers=("MCMC", "MCMCResult"),
        examples=MCMC_EXAMPLES,
    ),
    "Potential": Case(
        _potential,
        lambda: {
            "blocks": (infer.Block("x", 0, (2,)),),
            "log_density": _gaussian,
            "initial": _uniform_start,
        },
        {
            "blocks": OBJECT.plus(
                Variant("gap", lambda _b: (infer.Block("x", 1, (2,)),)),
                Variant("str inside", lambda _b: ("x",)),
                Variant("list", list, "same"),
            ),
            "log_density": OBJECT,
            "initial": OBJECT,
        },
        examples=MCMC_EXAMPLES,
    ),
    "Block": Case(
        lambda a: infer.Block(a["name"], a["start"], a["shape"]).size,
        lambda: {"name": "w", "start": 0, "shape": (2, 3)},
        {
            "name": Kind("name", (refuse("None", None), refuse("3", 3))),
            "start": COUNT,
            "shape": SHAPE,
        },
    ),
}

INFER_NOT_CALLED: dict[str, str] = {
    "InitialPointError": "exception",
    "NonFiniteError": "exception",
    "HasPotential": "a typing Protocol",
    "ProbModel": "a typing Protocol",
    "SiteInfo": "record returned by a model's site_infos",
    "Trace": "record returned by QvrProgram.trace (the qvr.load case runs programs)",
    "TraceSite": "record inside a Trace",
}
