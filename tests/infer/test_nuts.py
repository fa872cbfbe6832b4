"""NUTS pieces against closed forms: the leapfrog, one transition, and warm-up's parts."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from shapely_nn.guards import GuardError
from shapely_nn.infer._adaptation import (
    DualAveraging,
    WelfordVariance,
    find_reasonable_step_size,
    mass_matrix_windows,
)
from shapely_nn.infer._nuts import NUTSKernel, leapfrog, nuts_transition


def gaussian(precision: np.ndarray):  # type: ignore[no-untyped-def]
    """log N(0, diag(1 / precision)) up to a constant, with its gradient."""

    def log_density(theta: np.ndarray) -> tuple[float, np.ndarray]:
        return -0.5 * float(theta @ (precision * theta)), -precision * theta

    return log_density


PRECISION = np.array([1.0, 4.0, 0.25])
INV_MASS = np.array([1.0, 0.5, 2.0])


def run_leapfrog(theta, p, step_size, steps, log_density=None):  # type: ignore[no-untyped-def]
    log_density = log_density or gaussian(PRECISION)
    _, grad = log_density(theta)
    for _ in range(steps):
        theta, p, _, grad = leapfrog(log_density, theta, p, grad, step_size, INV_MASS)
    return theta, p


# ---- leapfrog ---------------------------------------------------------------------------------


def test_leapfrog_is_reversible() -> None:
    theta0, p0 = np.array([1.0, -0.5, 2.0]), np.array([0.3, 1.0, -1.0])
    theta, p = run_leapfrog(theta0, p0, 0.3, 50)
    assert not np.allclose(theta, theta0)
    back_theta, back_p = run_leapfrog(theta, p, -0.3, 50)
    np.testing.assert_allclose(back_theta, theta0, atol=1e-12)
    np.testing.assert_allclose(back_p, p0, atol=1e-12)


def test_leapfrog_conserves_the_shadow_energy_of_a_gaussian_exactly() -> None:
    # For a quadratic potential the leapfrog conserves, in every dimension,
    # m p^2 + lam q^2 (1 - eps^2 lam m / 4): the energy error stays O(eps^2) forever.
    eps = 0.3
    theta0, p0 = np.array([1.0, -0.5, 2.0]), np.array([0.3, 1.0, -1.0])

    def shadow(q: np.ndarray, p: np.ndarray) -> np.ndarray:
        return INV_MASS * p**2 + PRECISION * q**2 * (1 - eps**2 * PRECISION * INV_MASS / 4)

    theta, p = run_leapfrog(theta0, p0, eps, 1000)
    np.testing.assert_allclose(shadow(theta, p), shadow(theta0, p0), rtol=1e-12, atol=1e-12)


def test_leapfrog_energy_error_shrinks_with_the_square_of_the_step() -> None:
    theta0, p0 = np.array([1.0, -0.5, 2.0]), np.array([0.3, 1.0, -1.0])

    def energy(q: np.ndarray, p: np.ndarray) -> float:
        return 0.5 * float(q @ (PRECISION * q)) + 0.5 * float(p @ (INV_MASS * p))

    def max_error(eps: float) -> float:
        steps = round(10 / eps)
        log_density = gaussian(PRECISION)
        theta, p, (_, grad) = theta0, p0, log_density(theta0)
        errors = []
        for _ in range(steps):
            theta, p, _, grad = leapfrog(log_density, theta, p, grad, eps, INV_MASS)
            errors.append(abs(energy(theta, p) - energy(theta0, p0)))
        return max(errors)

    coarse, fine = max_error(0.2), max_error(0.1)
    assert coarse < 0.1 * energy(theta0, p0)
    assert coarse / fine == pytest.approx(4.0, rel=0.15)


# ---- one transition ---------------------------------------------------------------------------


def start(log_density, theta):  # type: ignore[no-untyped-def]
    log_p, grad = log_density(theta)
    return theta, log_p, grad


def test_transition_stops_at_the_maximum_tree_depth() -> None:
    # A step far too small to turn: every doubling completes, 2^depth - 1 steps in all.
    log_density = gaussian(np.ones(4))
    t = nuts_transition(
        log_density,
        *start(log_density, np.ones(4)),
        step_size=1e-3,
        inv_mass=np.ones(4),
        max_tree_depth=5,
        rng=np.random.default_rng(0),
    )
    assert (t.tree_depth, t.num_steps, t.divergent) == (5, 31, False)
    assert t.accept_stat == pytest.approx(1.0, abs=1e-5)
    assert t.log_density == pytest.approx(log_density(t.theta)[0])


def test_transition_stops_when_the_trajectory_turns() -> None:
    # A unit oscillator has period 2 pi: with steps of 0.1 a trajectory turns back within one
    # period (63 steps, depth 6) whatever the start, far below the limit of 12; how soon
    # depends on where on its orbit it starts (at a turning point, within a few steps).
    log_density = gaussian(np.ones(2))
    depths = []
    rng = np.random.default_rng(1)
    for _ in range(100):
        t = nuts_transition(
            log_density,
            *start(log_density, rng.standard_normal(2)),
            step_size=0.1,
            inv_mass=np.ones(2),
            max_tree_depth=12,
            rng=rng,
        )
        depths.append(t.tree_depth)
        assert 2**t.tree_depth - 1 <= t.num_steps < 2 ** (t.tree_depth + 1)
    assert min(depths) >= 1 and max(depths) <= 6
    assert np.median(depths) >= 4


def test_a_divergent_first_step_keeps_the_start_and_is_reported() -> None:
    # A step of 10 on a density of sd 0.01 multiplies the energy by ~1e8.
    log_density = gaussian(np.full(3, 1e4))
    theta = np.full(3, 0.01)
    t = nuts_transition(
        log_density,
        *start(log_density, theta),
        step_size=10.0,
        inv_mass=np.ones(3),
        max_tree_depth=10,
        rng=np.random.default_rng(2),
    )
    assert t.divergent and t.tree_depth == 0 and t.num_steps == 1
    assert t.accept_stat == 0.0
    np.testing.assert_array_equal(t.theta, theta)


def test_overflow_in_the_log_density_is_a_divergence_not_an_error() -> None:
    def steep(theta: np.ndarray) -> tuple[float, np.ndarray]:
        e = np.exp(theta**2)  # overflows once |theta| > 26.6
        return -float(e.sum()), -2 * theta * e

    t = nuts_transition(
        steep,
        *start(steep, np.array([0.5])),
        step_size=50.0,
        inv_mass=np.ones(1),
        max_tree_depth=10,
        rng=np.random.default_rng(3),
    )
    assert t.divergent
    np.testing.assert_array_equal(t.theta, [0.5])


def test_transition_is_deterministic_given_the_generator() -> None:
    log_density = gaussian(PRECISION)
    runs = [
        nuts_transition(
            log_density,
            *start(log_density, np.ones(3)),
            step_size=0.4,
            inv_mass=INV_MASS,
            max_tree_depth=8,
            rng=np.random.default_rng(seed),
        )
        for seed in (5, 5, 6)
    ]
    np.testing.assert_array_equal(runs[0].theta, runs[1].theta)
    assert not np.array_equal(runs[0].theta, runs[2].theta)


# ---- warm-up ----------------------------------------------------------------------------------


def test_mass_matrix_windows_follow_stan_schedule() -> None:
    # Stan's default 1000 warm-up iterations: windows end at 100, 150, 250, 450, 950.
    assert mass_matrix_windows(1000) == [(75, 100), (100, 150), (150, 250), (250, 450), (450, 950)]
    assert mass_matrix_windows(200) == [(75, 100), (100, 150)]
    # Too short for 75 + 25 + 50: 15 % initial, 10 % terminal, one window between.
    assert mass_matrix_windows(100) == [(15, 90)]
    assert mass_matrix_windows(19) == []
    assert mass_matrix_windows(10) == []


def test_dual_averaging_finds_the_step_with_the_target_acceptance() -> None:
    # If acceptance were exp(-step), the target 0.8 is reached at step = -log(0.8).
    averaging = DualAveraging(1.0, 0.8)
    step = 1.0
    for _ in range(3000):
        step = averaging.update(math.exp(-step))
    assert averaging.final_step_size == pytest.approx(-math.log(0.8), rel=0.02)


def test_welford_variance_matches_numpy_with_stan_regularisation(
    rng: np.random.Generator,
) -> None:
    draws = rng.standard_normal((30, 4)) * [1.0, 2.0, 0.1, 5.0] + 3.0
    accumulator = WelfordVariance(4)
    for x in draws:
        accumulator.add(x)
    n = len(draws)
    expected = (n / (n + 5)) * draws.var(axis=0, ddof=1) + 1e-3 * 5 / (n + 5)
    np.testing.assert_allclose(accumulator.regularized_variance(), expected, rtol=1e-12)


@pytest.mark.parametrize(("initial", "low", "high"), [(1.0, 1e-4, 0.05), (1e-6, 1e-3, 0.05)])
def test_step_size_search_moves_towards_the_scale_of_the_density(
    initial: float, low: float, high: float
) -> None:
    # sd 0.01: a step of order the sd accepts ~80 %; far larger or smaller is walked back.
    log_density = gaussian(np.full(5, 1e4))
    theta = np.full(5, 0.01)
    log_p, grad = log_density(theta)
    found = find_reasonable_step_size(
        log_density, theta, grad, log_p, initial, np.ones(5), np.random.default_rng(4)
    )
    assert low < found < high


# ---- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"step_size": 0.0}, GuardError, "step_size > 0 does not hold: step_size = 0.0"),
        ({"step_size": -0.1}, GuardError, "step_size > 0 does not hold: step_size = -0.1"),
        ({"step_size": math.inf}, TypeError, "step_size must be a finite real number, got inf"),
        ({"step_size": True}, TypeError, "step_size must be a real number, got bool True"),
        ({"max_tree_depth": 0}, GuardError, "max_tree_depth > 0 does not hold: max_tree_depth = 0"),
        ({"max_tree_depth": 2.5}, TypeError, "max_tree_depth must be an int, got float 2.5"),
        ({"target_accept": 1.0}, GuardError, "0 < target_accept < 1 does not hold"),
        ({"target_accept": 0}, GuardError, "0 < target_accept < 1 does not hold"),
        ({"adapt_step_size": 1}, TypeError, "adapt_step_size must be True or False, got int 1"),
        ({"adapt_mass_matrix": None}, TypeError, "adapt_mass_matrix must be True or False"),
    ],
)
def test_bad_kernel_settings_are_refused(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}"):
        NUTSKernel(**kwargs)  # type: ignore[arg-type]


def test_the_seed_settings_are_accepted() -> None:
    kernel = NUTSKernel(step_size=0.05, max_tree_depth=3, target_accept=0.8)
    assert (kernel.step_size, kernel.max_tree_depth, kernel.target_accept) == (0.05, 3, 0.8)
    assert kernel.adapt_step_size and kernel.adapt_mass_matrix
