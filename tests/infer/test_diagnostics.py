"""Split R-hat and effective sample size against closed forms and a direct reference."""

from __future__ import annotations

import statistics

import numpy as np
import pytest

from shapely_nn.infer._diagnostics import (
    effective_sample_size,
    mcse_mean,
    mcse_sd,
    normal_quantile,
    split_rhat,
)


def ar1_chains(rng: np.random.Generator, rho: float, chains: int, draws: int) -> np.ndarray:
    """Stationary AR(1) chains with unit marginal variance: x_t = rho x_{t-1} + noise."""
    noise = rng.standard_normal((chains, draws)) * np.sqrt(1 - rho**2)
    x = np.empty((chains, draws))
    x[:, 0] = rng.standard_normal(chains)
    for t in range(1, draws):
        x[:, t] = rho * x[:, t - 1] + noise[:, t]
    return x


# ---- an independent, loop-by-loop reference of Vehtari et al. (2021) ------------------------


def _reference_normal_scores(chains: list[list[float]]) -> list[list[float]]:
    pooled = sorted(v for chain in chains for v in chain)
    total = len(pooled)

    def rank(v: float) -> float:  # average rank of ties, 1-based
        first = pooled.index(v) + 1
        last = total - pooled[::-1].index(v)
        return (first + last) / 2

    unit = statistics.NormalDist()
    return [[unit.inv_cdf((rank(v) - 0.375) / (total + 0.25)) for v in c] for c in chains]


def _reference_split(chains: list[list[float]]) -> list[list[float]]:
    half = len(chains[0]) // 2
    return [c[:half] for c in chains] + [c[len(c) - half :] for c in chains]


def _reference_rhat(chains: list[list[float]]) -> float:
    n = len(chains[0])
    means = [statistics.fmean(c) for c in chains]
    within = statistics.fmean(statistics.variance(c) for c in chains)
    between = statistics.variance(means)  # B / n
    return float(np.sqrt(((n - 1) / n * within + between) / within))


def reference_split_rhat(x: np.ndarray) -> float:
    chains = _reference_split(x.tolist())
    bulk = _reference_rhat(_reference_normal_scores(chains))
    median = statistics.median(v for c in x.tolist() for v in c)
    folded = [[abs(v - median) for v in c] for c in chains]
    return max(bulk, _reference_rhat(_reference_normal_scores(folded)))


def reference_ess(chains: list[list[float]]) -> float:
    m, n = len(chains), len(chains[0])
    means = [statistics.fmean(c) for c in chains]

    def autocov(c: list[float], mean: float, lag: int) -> float:
        return sum((c[t] - mean) * (c[t + lag] - mean) for t in range(n - lag)) / n

    within = statistics.fmean(statistics.variance(c) for c in chains)
    var_plus = (n - 1) / n * within + statistics.variance(means)

    def rho_at(t: int) -> float:
        mean_acov = statistics.fmean(autocov(c, mu, t) for c, mu in zip(chains, means, strict=True))
        return 1 - (within - mean_acov) / var_plus

    rho = [1.0] + [rho_at(t) for t in range(1, n)]
    total, previous = 0.0, float("inf")
    for k in range(n // 2):
        pair = rho[2 * k] + rho[2 * k + 1]
        if pair <= 0:
            break
        previous = min(previous, pair)
        total += previous
    tau = max(-1 + 2 * total, 1 / np.log10(m * n))
    return m * n / tau


# ---- tests -----------------------------------------------------------------------------------


def test_normal_quantile_matches_the_standard_library() -> None:
    p = np.concatenate([np.linspace(1e-6, 1 - 1e-6, 2001), [1e-12, 0.02425, 0.5, 1 - 1e-12]])
    expected = np.array([statistics.NormalDist().inv_cdf(v) for v in p])
    np.testing.assert_allclose(normal_quantile(p), expected, rtol=2e-9, atol=2e-9)


def test_split_rhat_matches_a_direct_reference_with_ties(rng: np.random.Generator) -> None:
    x = np.round(rng.standard_normal((3, 21)), 1)  # rounding makes ties
    x[1] += 0.4
    assert split_rhat(x) == pytest.approx(reference_split_rhat(x), rel=1e-8)


def test_ess_matches_a_direct_reference(rng: np.random.Generator) -> None:
    x = ar1_chains(rng, 0.6, 3, 60)
    split = _reference_split(x.tolist())
    assert effective_sample_size(x, method="mean") == pytest.approx(reference_ess(split), rel=1e-8)
    assert effective_sample_size(x) == pytest.approx(
        reference_ess(_reference_normal_scores(split)), rel=1e-8
    )


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9, -0.3])
def test_ess_of_ar1_chains_matches_the_closed_form(rho: float) -> None:
    # The ESS of the mean of AR(1) is n (1 - rho) / (1 + rho); over 20 seeds the estimator's
    # spread at this size is below 4 %, so 12 % is three standard deviations and more.
    x = ar1_chains(np.random.default_rng(7), rho, 4, 4000)
    expected = x.size * (1 - rho) / (1 + rho)
    assert effective_sample_size(x, method="mean") == pytest.approx(expected, rel=0.12)
    assert effective_sample_size(x) == pytest.approx(expected, rel=0.12)


def test_rhat_of_agreeing_chains_is_near_one(rng: np.random.Generator) -> None:
    rhat = split_rhat(rng.standard_normal((4, 2000, 5)))
    assert rhat.shape == (5,)
    assert np.all(rhat < 1.005)
    assert np.all(rhat > 0.995)


def test_rhat_flags_a_chain_with_a_shifted_mean(rng: np.random.Generator) -> None:
    # One chain of four shifted by delta sds: 8 split chains, 2 shifted, so the variance of the
    # chain means is 3 delta^2 / 14 and R-hat ~ sqrt(1 + 3 delta^2 / 14) on a unit W.
    delta = 1.0
    x = rng.standard_normal((4, 4000))
    x[0] += delta
    assert split_rhat(x) == pytest.approx(np.sqrt(1 + 3 * delta**2 / 14), abs=0.02)
    x[0] += 2.0  # ranks bound the effect of far-off chains, but it only grows
    assert split_rhat(x) > 1.4


def test_rhat_tail_form_flags_a_chain_with_a_different_scale(rng: np.random.Generator) -> None:
    # Same mean everywhere: the bulk R-hat sees nothing, the folded (tail) one does.
    x = rng.standard_normal((4, 4000))
    x[0] *= 3.0
    assert split_rhat(x) > 1.05


def test_rhat_flags_a_trend_inside_one_chain() -> None:
    # A single drifting chain: its two halves disagree, which only splitting can see.
    x = np.linspace(0.0, 1.0, 1000)[None, :] + 0.01 * np.random.default_rng(0).standard_normal(
        (1, 1000)
    )
    assert split_rhat(x) > 1.5


def test_diagnostics_are_elementwise_over_trailing_dims(rng: np.random.Generator) -> None:
    x = rng.standard_normal((2, 50, 2, 3))
    x[..., 1, 2] += np.arange(50) / 10
    rhat, ess = split_rhat(x), effective_sample_size(x)
    assert rhat.shape == ess.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            assert rhat[i, j] == pytest.approx(split_rhat(x[..., i, j]), rel=1e-12)
            assert ess[i, j] == pytest.approx(effective_sample_size(x[..., i, j]), rel=1e-12)


def test_constant_parameter_has_undefined_diagnostics() -> None:
    x = np.ones((2, 10, 2))
    x[:, :, 1] = np.arange(20).reshape(2, 10)
    assert np.isnan(split_rhat(x)[0]) and np.isfinite(split_rhat(x)[1])
    assert np.isnan(effective_sample_size(x)[0]) and np.isfinite(effective_sample_size(x)[1])


def test_mcse_of_iid_gaussian_draws_matches_the_closed_form(rng: np.random.Generator) -> None:
    # iid N(0, 4): se(mean) = 2 / sqrt(N), se(sd) = 2 / sqrt(2 N).
    x = 2.0 * rng.standard_normal((4, 5000))
    n = x.size
    assert mcse_mean(x) == pytest.approx(2 / np.sqrt(n), rel=0.05)
    assert mcse_sd(x) == pytest.approx(2 / np.sqrt(2 * n), rel=0.05)


@pytest.mark.parametrize(
    ("draws", "message"),
    [
        (np.zeros(10), r"draws must be \[chains, draws, \*shape\], got shape \(10,\)"),
        (np.zeros((2, 3)), r"need at least 1 chain of at least 4 draws, got shape \(2, 3\)"),
        (np.full((2, 5), np.nan), "the draws contain nan or inf"),
    ],
)
def test_bad_draws_are_refused(draws: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=f"split_rhat: {message}"):
        split_rhat(draws)


def test_unknown_ess_method_is_refused() -> None:
    with pytest.raises(ValueError, match="method must be 'bulk' or 'mean', not 'tail'"):
        effective_sample_size(np.zeros((2, 8)), method="tail")  # type: ignore[arg-type]
