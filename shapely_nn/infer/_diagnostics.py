"""Convergence diagnostics for MCMC draws: rank-normalised split R-hat and bulk ESS.

Following Vehtari, Gelman, Simpson, Carpenter and Bürkner (2021), "Rank-normalization,
folding, and localization: an improved R-hat for assessing convergence of MCMC", as ArviZ and
Stan compute them. Every function takes draws ``[chains, draws, *shape]`` and returns one value
per parameter element, ``[*shape]``. A parameter whose draws are all equal has no defined
diagnostic: its entries are ``nan``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shapely_nn.guards import describe

Array = NDArray[np.float64]

# Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9):
# ample for rank normalisation, and NumPy has no ``ndtri`` of its own.
_A = (-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.3577518672690,
      -30.66479806614716, 2.506628277459239)  # fmt: skip
_B = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
      -13.28068155288572)  # fmt: skip
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838, -2.549732539343734,
      4.374664141464968, 2.938163982698783)  # fmt: skip
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996, 3.754408661907416)
_P_LOW = 0.02425


def _polyval(coefficients: tuple[float, ...], x: Array) -> Array:
    out = np.full_like(x, coefficients[0])
    for c in coefficients[1:]:
        out = out * x + c
    return out


def normal_quantile(p: ArrayLike) -> Array:
    """The standard normal quantile function, elementwise, for ``p`` in ``(0, 1)``."""
    prob = np.asarray(p, dtype=np.float64)
    if np.any((prob <= 0) | (prob >= 1)):
        raise ValueError("normal_quantile: every probability must lie strictly between 0 and 1")
    out = np.empty_like(prob)
    central = (prob >= _P_LOW) & (prob <= 1 - _P_LOW)
    q = prob[central] - 0.5
    r = q * q
    out[central] = q * _polyval(_A, r) / (_polyval(_B, r) * r + 1.0)
    for tail, sign, tail_p in ((prob < _P_LOW, 1.0, prob), (prob > 1 - _P_LOW, -1.0, 1 - prob)):
        s = np.sqrt(-2.0 * np.log(tail_p[tail]))
        out[tail] = sign * _polyval(_C, s) / (_polyval(_D, s) * s + 1.0)
    return out


def _as_draws(draws: ArrayLike, where: str) -> tuple[Array, tuple[int, ...]]:
    """``draws`` as float64 ``[chains, draws, elements]``, and the elements' shape."""
    try:
        x = np.asarray(draws, dtype=np.float64)
    except (TypeError, ValueError):  # None, strings, ragged lists: say which argument
        raise TypeError(
            f"{where}: draws must be real numbers [chains, draws, *shape], got {describe(draws)}"
        ) from None
    if x.ndim < 2:
        raise ValueError(f"{where}: draws must be [chains, draws, *shape], got shape {x.shape}")
    if x.shape[0] < 1 or x.shape[1] < 4:
        raise ValueError(f"{where}: need at least 1 chain of at least 4 draws, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{where}: the draws contain nan or inf")
    shape = x.shape[2:]
    return x.reshape(x.shape[0], x.shape[1], -1), shape


def _split_chains(x: Array) -> Array:
    """Each chain cut in two halves (the middle draw dropped when odd): ``[2 * chains, n // 2]``."""
    half = x.shape[1] // 2
    return np.concatenate([x[:, :half], x[:, x.shape[1] - half :]], axis=0)


def _average_ranks(values: Array) -> Array:
    """1-based ranks of a 1-D array, ties given the mean of the ranks they span."""
    ordered = np.sort(values)
    low = np.searchsorted(ordered, values, side="left")
    high = np.searchsorted(ordered, values, side="right")
    return (low + high + 1) / 2.0


def _rank_normalize(x: Array) -> Array:
    """Each element's pooled draws replaced by the normal scores of their ranks (Blom)."""
    chains, n, k = x.shape
    total = chains * n
    ranks = np.empty((total, k))
    pooled = x.reshape(total, k)
    for j in range(k):
        ranks[:, j] = _average_ranks(pooled[:, j])
    return normal_quantile((ranks - 0.375) / (total + 0.25)).reshape(chains, n, k)


def _variances(x: Array) -> tuple[Array, Array, int]:
    """Within-chain variance ``W`` and variance of the chain means ``B / n``, and ``n``."""
    n = x.shape[1]
    within = x.var(axis=1, ddof=1).mean(axis=0)
    between = x.mean(axis=1).var(axis=0, ddof=1) if x.shape[0] > 1 else np.zeros(x.shape[2])
    return within, between, n


def _rhat(x: Array) -> Array:
    """Classic R-hat of ``[chains, n, k]`` (already split and normalised)."""
    within, between, n = _variances(x)
    var_plus = (n - 1) / n * within + between
    defined = within > 0
    out = np.full(x.shape[2], np.nan)
    out[defined] = np.sqrt(var_plus[defined] / within[defined])
    return out


def _autocovariance(x: Array) -> Array:
    """Biased autocovariance of every chain along axis 1, lags ``0 .. n - 1``, by FFT."""
    n = x.shape[1]
    size = 1 << (2 * n - 1).bit_length()  # zero-padding to >= 2n keeps the products acyclic
    centred = x - x.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(centred, n=size, axis=1)
    power = spectrum.real**2 + spectrum.imag**2
    acov: Array = np.fft.irfft(power, n=size, axis=1)[:, :n] / n
    return acov


def _ess(x: Array) -> Array:
    """Effective sample size of ``[chains, n, k]`` with Geyer's initial monotone sequence."""
    chains, n, k = x.shape
    acov = _autocovariance(x)
    mean_acov = acov.mean(axis=0)  # [n, k]
    within = mean_acov[0] * n / (n - 1)
    _, between, _ = _variances(x)
    var_plus = within * (n - 1) / n + between
    out = np.full(k, np.nan)
    defined = var_plus > 0
    if not np.any(defined):
        return out
    rho = 1.0 - (within[defined] - mean_acov[:, defined]) / var_plus[defined]
    rho[0] = 1.0
    pairs = n // 2
    # Geyer: sums of adjacent autocorrelations are positive and decreasing for a reversible
    # chain; keep them while positive (initial positive) and force them monotone.
    pair_sums = rho[0 : 2 * pairs : 2] + rho[1 : 2 * pairs : 2]
    kept = np.cumprod(pair_sums > 0, axis=0).astype(bool)
    monotone = np.minimum.accumulate(pair_sums, axis=0)
    tau = -1.0 + 2.0 * np.sum(np.where(kept, monotone, 0.0), axis=0)
    # Stan's floor: an antithetic chain may beat independent draws, but only so far.
    tau = np.maximum(tau, 1.0 / np.log10(chains * n))
    out[defined] = chains * n / tau
    return out


def split_rhat(draws: ArrayLike) -> Array:
    """Rank-normalised split R-hat, the larger of its bulk and tail (folded) forms.

    ``[chains, draws, *shape] -> [*shape]``; near 1 when the chains agree, above 1.01 is a
    warning sign.
    """
    x, shape = _as_draws(draws, "split_rhat")
    split = _split_chains(x)
    bulk = _rhat(_rank_normalize(split))
    folded = np.abs(split - np.median(x.reshape(-1, x.shape[2]), axis=0))
    tail = _rhat(_rank_normalize(folded))
    return np.fmax(bulk, tail).reshape(shape)


def effective_sample_size(draws: ArrayLike, *, method: Literal["bulk", "mean"] = "bulk") -> Array:
    """Effective sample size over split chains: ``bulk`` (rank-normalised) or ``mean`` (raw).

    ``[chains, draws, *shape] -> [*shape]``. ``mean`` is the one that sets the Monte-Carlo
    standard error of the posterior mean.
    """
    if method not in ("bulk", "mean"):
        raise ValueError(f"effective_sample_size: method must be 'bulk' or 'mean', not {method!r}")
    x, shape = _as_draws(draws, "effective_sample_size")
    split = _split_chains(x)
    if method == "bulk":
        split = _rank_normalize(split)
    return _ess(split).reshape(shape)


def mcse_mean(draws: ArrayLike) -> Array:
    """Monte-Carlo standard error of the posterior mean: ``sd / sqrt(ESS_mean)``."""
    x, shape = _as_draws(draws, "mcse_mean")
    sd = x.reshape(-1, x.shape[2]).std(axis=0, ddof=1)
    out: Array = sd / np.sqrt(_ess(_split_chains(x)))
    return out.reshape(shape)


def mcse_sd(draws: ArrayLike) -> Array:
    """Monte-Carlo standard error of the posterior sd, by the delta method on ``E[(x - m)^2]``."""
    x, shape = _as_draws(draws, "mcse_sd")
    squared = (x - x.reshape(-1, x.shape[2]).mean(axis=0)) ** 2
    second = squared.reshape(-1, x.shape[2])
    variance = second.mean(axis=0)
    var_of_variance = second.var(axis=0) / _ess(_split_chains(squared))
    with np.errstate(divide="ignore", invalid="ignore"):
        out: Array = np.sqrt(var_of_variance / (4.0 * variance))
    return out.reshape(shape)
