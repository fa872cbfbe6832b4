"""End to end: NUTS on the lifted ``.qvr`` Bayesian regression recovers the closed-form
posterior (means and sds within 4 Monte-Carlo standard errors, R-hat < 1.01, no divergences)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from shapely_nn.infer import MCMC, NUTSKernel, bayesian_lift_parameters
from shapely_nn.qvr import QvrProgram

NOISE, PRIOR = 0.5, 1.0


def test_nuts_on_the_lifted_regression_recovers_the_closed_form_posterior(
    load_regression: Callable[[int, float], QvrProgram],
) -> None:
    gen = np.random.default_rng(0)
    x = gen.standard_normal((50, 2))
    y = (x @ np.array([1.0, -0.5]) + 0.2 + NOISE * gen.standard_normal(50))[:, None]
    program = load_regression(2, NOISE)
    lifted, lx, lobs = bayesian_lift_parameters(program, x, {"y": y}, prior_scale=PRIOR)
    kernel = NUTSKernel(step_size=0.1, max_tree_depth=6, target_accept=0.8)
    result = MCMC(kernel, num_warmup=500, num_samples=1000, num_chains=4).run(
        lifted, lx, lobs, rng=0
    )
    phi = np.hstack([x, np.ones((50, 1))])
    covariance = np.linalg.inv(np.eye(3) / PRIOR**2 + phi.T @ phi / NOISE**2)
    mean = covariance @ phi.T @ y[:, 0] / NOISE**2
    summary = result.summary()
    assert summary.names[0] == "layers.0.linear.weight[0, 0]"
    np.testing.assert_array_less(np.abs(summary.mean - mean), 4 * summary.mcse_mean)
    sd = np.sqrt(np.diag(covariance))
    np.testing.assert_array_less(np.abs(summary.sd - sd), 4 * summary.mcse_sd)
    assert np.all(summary.r_hat < 1.01)
    assert result.divergence_counts.sum() == 0
    assert result.draws["layers.0.linear.weight"].shape == (4, 1000, 1, 2)


def test_the_same_seed_gives_the_same_draws_through_the_lift(
    load_regression: Callable[[int, float], QvrProgram],
) -> None:
    x = np.random.default_rng(1).standard_normal((20, 2))
    y = x @ np.array([[0.5], [-1.0]])
    lifted, lx, lobs = bayesian_lift_parameters(load_regression(2, NOISE), x, {"y": y})
    kernel = NUTSKernel(step_size=0.1, max_tree_depth=4, target_accept=0.8)

    def run(seed: int) -> np.ndarray:
        mcmc = MCMC(kernel, num_warmup=30, num_samples=20, num_chains=1)
        return mcmc.run(lifted, lx, lobs, rng=seed).flat_draws

    first = run(7)
    np.testing.assert_array_equal(first, run(7))
    assert not np.array_equal(first, run(8))
