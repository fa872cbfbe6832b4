"""MCMC with NUTS on posteriors known in closed form, and how it reports and refuses."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pytest

from shapely_nn.guards import GuardError
from shapely_nn.infer._mcmc import MCMC, InitialPointError
from shapely_nn.infer._mcmc_result import MCMCResult
from shapely_nn.infer._nuts import NUTSKernel
from shapely_nn.infer._potential import Block, Potential

Vector = np.ndarray


def uniform_initial(size: int):  # type: ignore[no-untyped-def]
    """Stan's default: every unknown uniform on (-2, 2)."""
    return lambda rng: rng.uniform(-2.0, 2.0, size)


def gaussian_potential(mean: Vector, covariance: Vector, name: str = "x") -> Potential:
    """N(mean, covariance) over one block of shape ``mean.shape``."""
    precision = np.linalg.inv(covariance)

    def log_density(theta: Vector) -> tuple[float, Vector]:
        centred = theta - mean
        grad = -(precision @ centred)
        return 0.5 * float(centred @ grad), grad

    return Potential((Block(name, 0, mean.shape),), log_density, uniform_initial(mean.size))


@dataclass(frozen=True)
class Regression:
    """Bayesian linear regression y = X w + b + noise: w ~ N(0, tau^2), b ~ N(0, tau^2).

    Known noise sd: the posterior is Gaussian, precision X'X / s^2 + I / tau^2 over (w, b).
    It binds its data through ``potential``, like a model of the library does.
    """

    noise_sd: float = 0.5
    prior_sd: float = 2.0

    def potential(self, x: Vector, y: Vector) -> Potential:
        design = np.column_stack([x, np.ones(len(x))])
        k = x.shape[1]

        def log_density(theta: Vector) -> tuple[float, Vector]:
            residual = y - design @ theta
            value = -0.5 * float(residual @ residual) / self.noise_sd**2
            value -= 0.5 * float(theta @ theta) / self.prior_sd**2
            grad = design.T @ residual / self.noise_sd**2 - theta / self.prior_sd**2
            return value, grad

        blocks = (Block("w", 0, (k,)), Block("b", k, ()))
        return Potential(blocks, log_density, uniform_initial(k + 1))

    def posterior(self, x: Vector, y: Vector) -> tuple[Vector, Vector]:
        """Closed-form posterior mean and sd of (w, b)."""
        design = np.column_stack([x, np.ones(len(x))])
        precision = design.T @ design / self.noise_sd**2 + np.eye(design.shape[1]) / (
            self.prior_sd**2
        )
        covariance = np.linalg.inv(precision)
        mean = covariance @ design.T @ y / self.noise_sd**2
        return mean, np.sqrt(np.diag(covariance))


def funnel_potential(dims: int = 9) -> Potential:
    """Neal's funnel: v ~ N(0, 3^2), x_i | v ~ N(0, e^v)."""

    def log_density(theta: Vector) -> tuple[float, Vector]:
        v, x = theta[0], theta[1:]
        scale = np.exp(-v)
        value = -v * v / 18 - 0.5 * float(x @ x) * scale - 0.5 * dims * v
        grad = np.empty_like(theta)
        grad[0] = -v / 9 + 0.5 * float(x @ x) * scale - 0.5 * dims
        grad[1:] = -x * scale
        return float(value), grad

    blocks = (Block("v", 0, ()), Block("x", 1, (dims,)))
    return Potential(blocks, log_density, uniform_initial(dims + 1))


def assert_recovers(
    result: MCMCResult, mean: Vector, sd: Vector, *, min_ess_fraction: float = 0.2
) -> None:
    """Every mean and sd within 4 Monte-Carlo standard errors, R-hat < 1.01, no divergence."""
    summary = result.summary()
    mean_error = np.abs(summary.mean - mean) / summary.mcse_mean
    sd_error = np.abs(summary.sd - sd) / summary.mcse_sd
    assert np.all(mean_error < 4), f"means off by {mean_error.max():.1f} mcse"
    assert np.all(sd_error < 4), f"sds off by {sd_error.max():.1f} mcse"
    assert np.all(summary.r_hat < 1.01), f"r_hat up to {summary.r_hat.max():.4f}"
    assert result.divergence_counts.sum() == 0
    # The standard errors themselves mean something: not tiny ESS, not absurdly large.
    assert np.all(summary.ess_bulk > min_ess_fraction * result.num_chains * result.num_samples)


# ---- closed-form posteriors -------------------------------------------------------------------


@pytest.fixture(scope="module")
def regression_data() -> tuple[Vector, Vector]:
    rng = np.random.default_rng(11)
    # Columns on scales 0.1 .. 3: posterior sds differ 30-fold, which the mass matrix must learn.
    x = rng.standard_normal((60, 5)) * np.array([0.1, 0.5, 1.0, 2.0, 3.0])
    y = x @ np.array([1.0, -2.0, 0.5, 0.0, 0.3]) + 0.7 + 0.5 * rng.standard_normal(60)
    return x, y


@pytest.fixture(scope="module")
def regression_result(regression_data: tuple[Vector, Vector]) -> MCMCResult:
    mcmc = MCMC(NUTSKernel(), num_warmup=300, num_samples=1000, num_chains=4)
    return mcmc.run(Regression(), *regression_data, rng=0)


def test_regression_posterior_is_recovered_by_four_chains(
    regression_data: tuple[Vector, Vector], regression_result: MCMCResult
) -> None:
    mean, sd = Regression().posterior(*regression_data)
    assert_recovers(regression_result, mean, sd)


def test_mass_matrix_adapts_to_the_posterior_variances(
    regression_data: tuple[Vector, Vector], regression_result: MCMCResult
) -> None:
    _, sd = Regression().posterior(*regression_data)
    ratio = regression_result.inverse_mass_matrices / sd**2
    assert np.all((ratio > 0.5) & (ratio < 2.0))


def test_draws_come_back_per_block_in_their_shapes(regression_result: MCMCResult) -> None:
    draws = regression_result.draws
    assert draws["w"].shape == (4, 1000, 5) and draws["b"].shape == (4, 1000)
    np.testing.assert_array_equal(draws["b"], regression_result.flat_draws[:, :, 5])
    assert regression_result.r_hat["w"].shape == (5,) and regression_result.r_hat["b"].shape == ()
    summary = regression_result.summary()
    assert summary.names == ("w[0]", "w[1]", "w[2]", "w[3]", "w[4]", "b")
    table = str(summary).splitlines()
    assert table[0].split() == [
        "parameter",
        "mean",
        "sd",
        "mcse_mean",
        "mcse_sd",
        "ess_bulk",
        "r_hat",
    ]
    assert [line.split()[0] for line in table[1:]] == list(summary.names)


def test_step_size_adaptation_reaches_the_target_acceptance(
    regression_result: MCMCResult,
) -> None:
    # Averaging log(step) undershoots the last iterate a little: sampling accepts a bit more.
    assert np.all(regression_result.acceptance_rates > 0.75)
    assert np.all(regression_result.acceptance_rates < 0.95)


@pytest.mark.parametrize("target", [0.6, 0.8, 0.95])
def test_dual_averaging_alone_reaches_the_target_acceptance(target: float) -> None:
    # Long step-size-only warm-up: the averaged step accepts what was asked. (After a mass
    # matrix window, Stan's 50-iteration terminal buffer leaves the step a little small, so
    # acceptance lands somewhat above the target, as in Stan.)
    potential = gaussian_potential(np.zeros(10), np.diag(np.linspace(0.5, 2.0, 10)))
    kernel = NUTSKernel(target_accept=target, adapt_mass_matrix=False)
    result = MCMC(kernel, 1000, 1000, num_chains=2).run(potential, rng=1)
    assert result.acceptance_rates == pytest.approx([target, target], abs=0.05)


def test_a_higher_target_gives_smaller_steps() -> None:
    potential = gaussian_potential(np.zeros(10), np.diag(np.linspace(0.5, 2.0, 10)))
    steps = [
        MCMC(NUTSKernel(target_accept=target), 300, 10).run(potential, rng=1).step_sizes[0]
        for target in (0.6, 0.8, 0.95)
    ]
    assert steps[0] > steps[1] > steps[2]


@pytest.mark.parametrize("step_size", [1.0, 1.4])
def test_the_target_is_exact_even_with_a_coarse_fixed_step(step_size: float) -> None:
    # Near the leapfrog's stability limit (2 sd = 1.41 for the narrowest axis) energy errors
    # are large, so only correct multinomial weights and sampling keep the moments right:
    # always taking a trajectory's end, or dropping the weights, puts the sds 6-36 mcse off.
    covariance = np.diag([0.5, 1.0, 2.0])
    mean = np.array([1.0, 0.0, -1.0])
    kernel = NUTSKernel(step_size=step_size, adapt_step_size=False, adapt_mass_matrix=False)
    result = MCMC(kernel, 100, 2000, num_chains=4).run(gaussian_potential(mean, covariance), rng=0)
    assert_recovers(result, mean, np.sqrt(np.diag(covariance)), min_ess_fraction=0.1)


def test_correlated_two_dimensional_gaussian() -> None:
    covariance = np.array([[1.0, 0.95], [0.95, 1.0]]) * np.array([[1.0, 2.0], [2.0, 4.0]])
    mean = np.array([1.0, -2.0])
    result = MCMC(NUTSKernel(), 300, 1000, num_chains=4).run(
        gaussian_potential(mean, covariance), rng=2
    )
    # A diagonal metric cannot undo a correlation of 0.95: fewer effective draws, still right.
    assert_recovers(result, mean, np.sqrt(np.diag(covariance)), min_ess_fraction=0.1)


def test_hundred_dimensional_isotropic_gaussian() -> None:
    mean = np.linspace(-1.0, 1.0, 100)
    result = MCMC(NUTSKernel(), 300, 1000, num_chains=4).run(
        gaussian_potential(mean, np.eye(100)), rng=3
    )
    assert_recovers(result, mean, np.ones(100))


def test_funnel_divergences_are_counted_not_raised() -> None:
    result = MCMC(NUTSKernel(), 200, 600, num_chains=2).run(funnel_potential(), rng=4)
    counts = result.divergence_counts
    assert counts.shape == (2,) and counts.sum() > 0
    np.testing.assert_array_equal(counts, result.divergent.sum(axis=1))
    # Divergent transitions keep a point of the trajectory: the chains stay finite and usable.
    assert np.all(np.isfinite(result.flat_draws))
    assert np.all((result.acceptance_rates > 0) & (result.acceptance_rates <= 1))


# ---- the seed's budget, determinism, progress ---------------------------------------------------


def test_seed_budget_runs_with_its_tree_limit(regression_data: tuple[Vector, Vector]) -> None:
    kernel = NUTSKernel(step_size=0.05, max_tree_depth=3, target_accept=0.8)
    result = MCMC(kernel, num_warmup=10, num_samples=10, num_chains=1).run(
        Regression(), *regression_data, rng=5
    )
    assert result.flat_draws.shape == (1, 10, 6)
    assert np.all(result.tree_depths <= 3) and np.all(result.num_steps <= 2**3 + 2**2)
    assert 0 < result.acceptance_rates[0] <= 1
    assert result.divergence_counts.dtype == np.int64
    # Too short for a mass matrix: the identity stays.
    np.testing.assert_array_equal(result.inverse_mass_matrices, np.ones((1, 6)))


def test_same_seed_same_draws_and_different_seeds_differ(
    regression_data: tuple[Vector, Vector],
) -> None:
    mcmc = MCMC(NUTSKernel(), num_warmup=30, num_samples=20, num_chains=2)
    first = mcmc.run(Regression(), *regression_data, rng=7)
    again = mcmc.run(Regression(), *regression_data, rng=np.random.default_rng(7))
    other = mcmc.run(Regression(), *regression_data, rng=8)
    np.testing.assert_array_equal(first.flat_draws, again.flat_draws)
    np.testing.assert_array_equal(first.step_sizes, again.step_sizes)
    assert not np.any(first.flat_draws == other.flat_draws)
    assert not np.any(first.flat_draws[0] == first.flat_draws[1])


def test_a_chain_does_not_depend_on_how_many_run_beside_it() -> None:
    potential = gaussian_potential(np.zeros(3), np.eye(3))
    one = MCMC(NUTSKernel(), 30, 20, num_chains=1).run(potential, rng=3)
    three = MCMC(NUTSKernel(), 30, 20, num_chains=3).run(potential, rng=3)
    np.testing.assert_array_equal(one.flat_draws[0], three.flat_draws[0])


def test_without_adaptation_the_given_step_and_unit_mass_are_kept() -> None:
    kernel = NUTSKernel(step_size=0.3, adapt_step_size=False, adapt_mass_matrix=False)
    result = MCMC(kernel, 50, 20).run(gaussian_potential(np.zeros(3), np.eye(3)), rng=9)
    assert result.step_sizes.tolist() == [0.3]
    np.testing.assert_array_equal(result.inverse_mass_matrices, np.ones((1, 3)))


def test_progress_bar_is_off_by_default_and_on_when_asked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    potential = gaussian_potential(np.zeros(2), np.eye(2))
    MCMC(NUTSKernel(), 5, 5).run(potential, rng=0)
    assert capsys.readouterr().err == ""
    MCMC(NUTSKernel(), 5, 5, progress_bar=True).run(potential, rng=0)
    assert "chain 1/1" in capsys.readouterr().err


# ---- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((10, 0, 1), GuardError, "num_samples > 0 does not hold: num_samples = 0"),
        ((10, 10, 0), GuardError, "num_chains > 0 does not hold: num_chains = 0"),
        ((-1, 10, 1), GuardError, "num_warmup >= 0 does not hold: num_warmup = -1"),
        ((10, 2.5, 1), TypeError, "num_samples must be an int, got float 2.5"),
        ((10, True, 1), TypeError, "num_samples must be an int, got bool True; a bool is not"),
        ((None, 10, 1), TypeError, "num_warmup must be an int, got None"),
    ],
)
def test_bad_budgets_are_refused(
    args: tuple[int, int, int], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}"):
        MCMC(NUTSKernel(), *args)


def test_a_bad_progress_bar_or_seed_is_refused() -> None:
    with pytest.raises(TypeError, match="^progress_bar must be True or False, got str 'yes'$"):
        MCMC(NUTSKernel(), 5, 5, progress_bar="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^rng must be a numpy.random.Generator or an int seed"):
        MCMC(NUTSKernel(), 5, 5).run(gaussian_potential(np.zeros(2), np.eye(2)), rng=True)


def test_a_kernel_must_be_a_nuts_kernel() -> None:
    with pytest.raises(TypeError, match="kernel must be a NUTSKernel, got str"):
        MCMC("nuts", 10, 10)  # type: ignore[arg-type]


def test_nowhere_finite_log_density_is_refused_after_many_tries() -> None:
    calls = []

    def log_density(theta: Vector) -> tuple[float, Vector]:
        calls.append(1)
        return -np.inf, np.zeros_like(theta)

    potential = Potential((Block("w", 0, (2,)),), log_density, uniform_initial(2))
    with pytest.raises(InitialPointError, match=r"no finite starting point in 100 draws .*-inf"):
        MCMC(NUTSKernel(), 10, 10).run(potential, rng=0)
    assert len(calls) == 100


def test_non_finite_gradient_is_refused_naming_the_block() -> None:
    def log_density(theta: Vector) -> tuple[float, Vector]:
        grad = np.zeros_like(theta)
        grad[2] = np.nan
        return 0.0, grad

    potential = Potential(
        (Block("a", 0, (2,)), Block("scale", 2, ())), log_density, uniform_initial(3)
    )
    with pytest.raises(InitialPointError, match="the gradient is not finite in scale"):
        MCMC(NUTSKernel(), 10, 10).run(potential, rng=0)


def test_a_start_outside_the_support_is_redrawn() -> None:
    # Finite only for positive theta: about one start in two is usable, so sampling goes on.
    def log_density(theta: Vector) -> tuple[float, Vector]:
        if theta[0] <= 0:
            return -np.inf, np.zeros(1)
        return -0.5 * float(theta[0]) ** 2, -theta.copy()

    potential = Potential((Block("t", 0, ()),), log_density, uniform_initial(1))
    result = MCMC(NUTSKernel(), 20, 20).run(potential, rng=0)
    assert np.all(result.flat_draws > 0)


def test_a_potential_takes_no_data_and_other_models_need_potential() -> None:
    potential = gaussian_potential(np.zeros(2), np.eye(2))
    with pytest.raises(TypeError, match="already has its data bound; got 1 more argument"):
        MCMC(NUTSKernel(), 10, 10).run(potential, np.zeros(3), rng=0)
    with pytest.raises(TypeError, match=r"must be a Potential or have a \.potential\(\*data\)"):
        MCMC(NUTSKernel(), 10, 10).run(object(), rng=0)


def test_a_wrongly_sized_initial_point_is_refused() -> None:
    potential = Potential(
        (Block("w", 0, (3,)),), lambda theta: (0.0, np.zeros(3)), uniform_initial(2)
    )
    with pytest.raises(
        ValueError, match=r"potential.initial returned shape \(2,\), expected \(3,\)"
    ):
        MCMC(NUTSKernel(), 10, 10).run(potential, rng=0)


def test_too_few_draws_give_undefined_diagnostics_not_errors() -> None:
    result = MCMC(NUTSKernel(), 10, 3).run(gaussian_potential(np.zeros(2), np.eye(2)), rng=0)
    summary = result.summary()
    np.testing.assert_allclose(summary.mean, result.flat_draws[0].mean(axis=0))
    assert np.all(np.isnan(summary.r_hat)) and np.all(np.isnan(summary.ess_bulk))
