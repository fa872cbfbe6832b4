"""The ELBO's gradients, SVI on a conjugate model against its closed-form posterior, the
guide's errors, and determinism."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest

from shapely_nn._shape import ShapeError
from shapely_nn.guards import GuardError
from shapely_nn.infer import ELBO, SVI, AutoNormalGuide, bayesian_lift_parameters
from shapely_nn.infer._guide import inverse_softplus
from shapely_nn.qvr import QvrProgram, load
from shapely_nn.train import Adam, gradcheck

NOISE, PRIOR = 0.5, 1.0


def _observed(toy: QvrProgram, x: np.ndarray) -> dict[str, np.ndarray]:
    return {"y": toy.trace(x, rng=11)["y"].numpy()}


def _jittered_guide(toy: QvrProgram, x: np.ndarray, obs: dict[str, np.ndarray]) -> AutoNormalGuide:
    guide = AutoNormalGuide(toy, observed_names={"y"})
    guide.setup(toy, x, obs)
    gen = np.random.default_rng(6)
    guide.set_parameters(
        {k: v + 0.3 * gen.standard_normal(v.shape) for k, v in guide.parameters().items()}
    )
    return guide


def test_elbo_gradients_match_finite_differences(toy: QvrProgram, toy_input: np.ndarray) -> None:
    obs = _observed(toy, toy_input)
    guide = _jittered_guide(toy, toy_input, obs)
    elbo = ELBO(num_particles=2, reduce_variance=False)

    def loss() -> float:
        return elbo.loss(toy, guide, toy_input, obs, np.random.default_rng(5))

    value, model_grads, guide_grads = elbo.loss_and_grads(
        toy, guide, toy_input, obs, np.random.default_rng(5)
    )
    assert value == loss()
    arrays = {**toy.parameters(), **guide._params}  # the very arrays the loss reads
    result = gradcheck(loss, arrays, {**model_grads, **guide_grads})
    assert result.worst <= 1e-6


def test_reduced_variance_gradients_have_the_same_expectation(
    toy: QvrProgram, toy_input: np.ndarray
) -> None:
    obs = _observed(toy, toy_input)
    guide = _jittered_guide(toy, toy_input, obs)
    draws = 1000
    means, errors = [], []
    for reduce in (False, True):
        elbo, gen = ELBO(reduce_variance=reduce), np.random.default_rng(int(reduce))
        samples = []
        for _ in range(draws):
            _, model_grads, guide_grads = elbo.loss_and_grads(toy, guide, toy_input, obs, gen)
            samples.append(
                np.concatenate([g.ravel() for g in (*model_grads.values(), *guide_grads.values())])
            )
        stacked = np.array(samples)
        means.append(stacked.mean(0))
        errors.append(stacked.std(0) / math.sqrt(draws))
    z = np.abs(means[0] - means[1]) / np.sqrt(errors[0] ** 2 + errors[1] ** 2 + 1e-30)
    assert z.max() < 5.0


def test_reduced_variance_gradient_vanishes_when_the_guide_is_the_posterior() -> None:
    program = load(
        """
object X : Real 2
object H : Real 3
morphism f : X -> H [scale=0.5] ~ Normal
program p : X -> H
sample h <- f
return h
""",
        rng=0,
        dtype=np.float64,
    )
    x = np.random.default_rng(1).standard_normal((4, 2))
    guide = AutoNormalGuide(program)
    guide.setup(program, x, {})
    guide.set_parameters(
        {
            "h.loc": program(x).numpy(),
            "h.scale_unconstrained": np.full((4, 3), inverse_softplus(0.5)),
        }
    )
    gen = np.random.default_rng(2)
    for _ in range(3):
        loss, model_grads, guide_grads = ELBO().loss_and_grads(program, guide, x, {}, gen)
        assert abs(loss) < 1e-12  # q == p: log q - log p is zero for every draw
        for g in (*model_grads.values(), *guide_grads.values()):
            np.testing.assert_allclose(g, 0.0, atol=1e-12)


def _regression_data() -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.default_rng(0)
    x = gen.standard_normal((50, 3))
    y = x @ np.array([0.7, -1.2, 0.3]) + 0.4 + NOISE * gen.standard_normal(50)
    return x, y[:, None]


def _closed_form_posterior(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and precision of (w, b) under N(0, PRIOR^2) priors: Bayesian linear regression."""
    phi = np.hstack([x, np.ones((len(x), 1))])
    precision = np.eye(phi.shape[1]) / PRIOR**2 + phi.T @ phi / NOISE**2
    return np.linalg.solve(precision, phi.T @ y[:, 0] / NOISE**2), precision


def test_svi_reaches_the_closed_form_posterior_of_bayesian_linear_regression(
    load_regression: Callable[[int, float], QvrProgram],
) -> None:
    x, y = _regression_data()
    program = load_regression(3, NOISE)
    lifted, lx, lobs = bayesian_lift_parameters(program, x, {"y": y}, prior_scale=PRIOR)
    guide = AutoNormalGuide(lifted, observed_names={"y"})
    optimizer = Adam(lr=0.05)
    svi = SVI(lifted, guide, optimizer, ELBO(num_particles=8), rng=0)
    for step in range(1200):
        if step in (400, 800):
            optimizer.lr /= 10
        svi.step(lx, lobs)
    mean, precision = _closed_form_posterior(x, y)
    sd = np.sqrt(np.diag(np.linalg.inv(precision)))
    loc, scale = guide.median(), guide.scales()
    fitted = np.concatenate([loc["layers.0.linear.weight"][0], loc["layers.0.linear.bias"]])
    assert np.all(np.abs(fitted - mean) < 0.05 * sd)
    # the mean-field optimum's scales are 1 / sqrt(diag(precision))
    spread = np.concatenate([scale["layers.0.linear.weight"][0], scale["layers.0.linear.bias"]])
    np.testing.assert_allclose(spread, 1 / np.sqrt(np.diag(precision)), rtol=0.05)


def test_svi_updates_the_program_and_the_guide(toy: QvrProgram, toy_input: np.ndarray) -> None:
    obs = _observed(toy, toy_input)
    guide = AutoNormalGuide(toy, observed_names={"y"})
    svi = SVI(toy, guide, Adam(lr=0.01), ELBO(), rng=0)
    losses = [svi.step(toy_input, obs) for _ in range(150)]
    assert svi.program is not toy
    before, after = toy.parameters(), svi.program.parameters()
    assert all(not np.array_equal(before[k], after[k]) for k in before)
    assert np.mean(losses[-20:]) < losses[0]


def test_the_same_seed_gives_bit_identical_losses(toy: QvrProgram, toy_input: np.ndarray) -> None:
    obs = _observed(toy, toy_input)

    def run(seed: int) -> list[float]:
        svi = SVI(toy, AutoNormalGuide(toy, observed_names={"y"}), Adam(lr=0.02), ELBO(), rng=seed)
        return [svi.step(toy_input, obs) for _ in range(5)]

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_a_guide_refuses_an_observed_name_that_is_no_site(toy: QvrProgram) -> None:
    with pytest.raises(
        ValueError,
        match=r"observed name 'next_token' is no site of the model \(its sites: h, z, y\)",
    ):
        AutoNormalGuide(toy, observed_names={"y", "next_token"})


def test_a_normal_guide_refuses_an_unobserved_categorical(toy: QvrProgram) -> None:
    with pytest.raises(ValueError, match="site 'y' is an unobserved Categorical"):
        AutoNormalGuide(toy, observed_names=set())


def test_svi_refuses_observations_other_than_the_guides(
    toy: QvrProgram, toy_input: np.ndarray
) -> None:
    svi = SVI(toy, AutoNormalGuide(toy, observed_names={"y"}), Adam(lr=0.01))
    obs = {**_observed(toy, toy_input), "z": np.zeros((6, 8))}
    with pytest.raises(ValueError, match=r"observations lack nothing and add z"):
        svi.step(toy_input, obs)


def test_svi_names_the_site_of_an_observation_of_the_wrong_shape(
    toy: QvrProgram, toy_input: np.ndarray
) -> None:
    svi = SVI(toy, AutoNormalGuide(toy, observed_names={"y"}), Adam(lr=0.01))
    with pytest.raises(ShapeError, match=r"site 'y': value has shape \[5\]"):
        svi.step(toy_input, {"y": np.zeros(5, dtype=np.int64)})


@pytest.mark.parametrize(
    ("particles", "error", "message"),
    [
        (0, GuardError, "num_particles > 0 does not hold: num_particles = 0"),
        (-1, GuardError, "num_particles > 0 does not hold: num_particles = -1"),
        (2.0, TypeError, "num_particles must be an int, got float 2.0"),
        (True, TypeError, "num_particles must be an int, got bool True"),
    ],
)
def test_elbo_needs_a_whole_positive_number_of_particles(
    particles: int, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}"):
        ELBO(num_particles=particles)


def test_a_single_observed_name_may_be_a_string(toy: QvrProgram) -> None:
    assert AutoNormalGuide(toy, observed_names="y").latents == ("h", "z")


def test_evaluate_loss_changes_nothing(toy: QvrProgram, toy_input: np.ndarray) -> None:
    obs = _observed(toy, toy_input)
    guide = AutoNormalGuide(toy, observed_names={"y"})
    svi = SVI(toy, guide, Adam(lr=0.02), ELBO())
    first = svi.evaluate_loss(toy_input, obs, rng=1)
    before = guide.parameters()
    assert svi.evaluate_loss(toy_input, obs, rng=1) == first
    assert svi.step(toy_input, obs, rng=1) == first  # the step's loss is before its update
    assert svi.program is not toy and not np.array_equal(guide.median()["h"], before["h.loc"])
