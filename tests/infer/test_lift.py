"""Potentials for MCMC: a program's latent sites, and the lifted program whose parameters
get Normal priors (closed-form regression posterior, gradients, starting points, errors)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest

from shapely_nn._shape import ShapeError
from shapely_nn.guards import GuardError
from shapely_nn.infer import HasPotential, LiftedProgram, Potential, bayesian_lift_parameters
from shapely_nn.qvr import QvrProgram
from shapely_nn.train import gradcheck

NOISE, PRIOR = 0.5, 2.0
Regression = tuple[QvrProgram, np.ndarray, np.ndarray]


@pytest.fixture
def regression(
    load_regression: Callable[[int, float], QvrProgram],
) -> tuple[QvrProgram, np.ndarray, np.ndarray]:
    gen = np.random.default_rng(0)
    x = gen.standard_normal((30, 2))
    y = (x @ np.array([1.0, -0.5]) + 0.2 + NOISE * gen.standard_normal(30))[:, None]
    return load_regression(2, NOISE), x, y


def _bind(model: HasPotential, *data: object) -> Potential:
    return model.potential(*data)


def test_lifted_regression_is_the_closed_form_gaussian_posterior(regression: Regression) -> None:
    program, x, y = regression
    lifted, lx, lobs = bayesian_lift_parameters(program, x, {"y": y}, prior_scale=PRIOR)
    potential = _bind(lifted, lx, lobs)
    assert [(b.name, b.shape) for b in potential.blocks] == [
        ("layers.0.linear.weight", (1, 2)),
        ("layers.0.linear.bias", (1,)),
    ]
    phi = np.hstack([x, np.ones((30, 1))])
    precision = np.eye(3) / PRIOR**2 + phi.T @ phi / NOISE**2
    mean = np.linalg.solve(precision, phi.T @ y[:, 0] / NOISE**2)
    gen = np.random.default_rng(1)
    a, b = mean + gen.standard_normal(3), mean + gen.standard_normal(3)
    # log densities differ by the Gaussian's quadratic form, gradients are -P (theta - mean)
    (lp_a, grad_a), (lp_b, _) = potential.log_density(a), potential.log_density(b)
    quadratic = -0.5 * ((a - mean) @ precision @ (a - mean) - (b - mean) @ precision @ (b - mean))
    assert lp_a - lp_b == pytest.approx(quadratic, rel=1e-10)
    np.testing.assert_allclose(grad_a, -precision @ (a - mean), rtol=1e-10)


def test_lifted_log_density_adds_the_priors_to_the_log_joint(regression: Regression) -> None:
    program, x, y = regression
    lifted, lx, lobs = bayesian_lift_parameters(program, x, {"y": y}, prior_scale=PRIOR)
    theta = np.array([0.3, -0.1, 0.05])
    params = {"layers.0.linear.weight": theta[:2].reshape(1, 2), "layers.0.linear.bias": theta[2:]}
    prior = sum(-0.5 * (t / PRIOR) ** 2 - math.log(PRIOR * math.sqrt(2 * math.pi)) for t in theta)
    expected = prior + program.with_parameters(params).log_joint(x, {"y": y})
    assert lifted.potential(lx, lobs).log_density(theta)[0] == pytest.approx(expected, rel=1e-12)


def test_lifted_potential_gradient_matches_finite_differences(
    toy: QvrProgram, toy_input: np.ndarray
) -> None:
    obs = {"y": toy.trace(toy_input, rng=3)["y"].numpy()}
    lifted, lx, lobs = bayesian_lift_parameters(toy, toy_input, obs, prior_scale=0.7)
    potential = lifted.potential(lx, lobs)
    names = [b.name for b in potential.blocks]
    assert names[-2:] == ["h", "z"] and set(names[:-2]) == set(toy.parameters())
    theta = potential.initial(np.random.default_rng(0))
    _, grad = potential.log_density(theta)
    gradcheck(lambda: potential.log_density(theta)[0], {"theta": theta}, {"theta": grad})


def test_program_potential_is_over_its_latent_sites_with_parameters_fixed(
    toy: QvrProgram, toy_input: np.ndarray
) -> None:
    trace = toy.trace(toy_input, rng=4)
    values = {k: v.numpy() for k, v in trace.items()}
    potential = toy.potential(toy_input, {"y": values["y"]})
    assert [(b.name, b.shape) for b in potential.blocks] == [("h", (6, 8)), ("z", (6, 8))]
    theta = np.concatenate([values["h"].ravel(), values["z"].ravel()])
    log_p, grad = potential.log_density(theta)
    assert log_p == pytest.approx(toy.log_joint(toy_input, values), rel=1e-12)
    _, _, value_grads = toy.log_joint_and_grads(toy_input, values)
    np.testing.assert_allclose(grad[:48], value_grads["h"].ravel(), rtol=1e-12)
    gradcheck(lambda: potential.log_density(theta)[0], {"theta": theta}, {"theta": grad})


def test_starting_points_are_seeded_jitters_of_the_current_values(regression: Regression) -> None:
    program, x, y = regression
    lifted, lx, lobs = bayesian_lift_parameters(program, x, {"y": y}, prior_scale=PRIOR)
    potential = lifted.potential(lx, lobs)
    a, b, c = (potential.initial(np.random.default_rng(s)) for s in (5, 5, 6))
    np.testing.assert_array_equal(a, b)
    current = np.concatenate([p.ravel() for p in program.parameters().values()])
    assert not np.array_equal(a, c) and np.all(np.abs(a - current) < 5 * 0.1 * PRIOR)


def test_lifting_keeps_the_program_and_returns_float64_data(regression: Regression) -> None:
    program, x, y = regression
    lifted, lx, lobs = bayesian_lift_parameters(program.astype(np.float32), x, {"y": y.tolist()})
    assert isinstance(lifted, LiftedProgram) and lifted.prior_scale == 1.0
    assert lx.dtype == np.float64 and lobs["y"].dtype == np.float64
    assert lifted.parameters() == {}


def test_lifting_refuses_an_observed_name_that_is_no_site(regression: Regression) -> None:
    program, x, y = regression
    with pytest.raises(
        ValueError, match=r"observed name 'h' is no site of the model \(its sites: y\)"
    ):
        bayesian_lift_parameters(program, x, {"y": y, "h": y})


def test_lifting_names_the_site_of_an_observation_of_the_wrong_shape(
    regression: Regression,
) -> None:
    program, x, y = regression
    with pytest.raises(
        ShapeError, match=r"site 'y': value has shape \[30\], but the model gives \[30, 1\]"
    ):
        bayesian_lift_parameters(program, x, {"y": y[:, 0]})


@pytest.mark.parametrize(
    ("scale", "error", "message"),
    [
        (0.0, GuardError, "prior_scale > 0 does not hold: prior_scale = 0.0"),
        (-1.0, GuardError, "prior_scale > 0 does not hold: prior_scale = -1.0"),
        (math.inf, TypeError, "prior_scale must be a finite real number, got inf"),
        (math.nan, TypeError, "prior_scale must be a finite real number, got nan"),
        (True, TypeError, "prior_scale must be a real number, got bool True"),
        ("1", TypeError, "prior_scale must be a real number, got str '1'"),
    ],
)
def test_lifting_refuses_a_bad_prior_scale(
    scale: object, error: type[Exception], message: str, regression: Regression
) -> None:
    program, x, y = regression
    with pytest.raises(error, match=f"^{re.escape(message)}"):
        bayesian_lift_parameters(program, x, {"y": y}, prior_scale=scale)  # type: ignore[arg-type]


def test_a_potential_refuses_an_unobserved_categorical(
    toy: QvrProgram, toy_input: np.ndarray
) -> None:
    with pytest.raises(ValueError, match="site 'y' is an unobserved Categorical"):
        toy.potential(toy_input, {})
    lifted, lx, lobs = bayesian_lift_parameters(toy, toy_input, {})
    with pytest.raises(ValueError, match="site 'y' is an unobserved Categorical"):
        lifted.potential(lx, lobs)


def test_a_potential_turns_overflow_into_a_floating_point_error(
    toy: QvrProgram, toy_input: np.ndarray
) -> None:
    potential = toy.potential(toy_input, {"y": toy.trace(toy_input, rng=1)["y"].numpy()})
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError):
        potential.log_density(np.full(potential.size, 1e200))


def test_a_potential_needs_an_input_and_observations(toy: QvrProgram) -> None:
    with pytest.raises(TypeError, match=r"QvrProgram.potential\(x, observations\)"):
        toy.potential(np.zeros((2, 2), dtype=np.int64))
