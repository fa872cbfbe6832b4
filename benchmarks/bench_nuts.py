"""NUTS on Bayesian linear regression: effective samples per second against Pyro's NUTS.

Run: ``python -m benchmarks.bench_nuts [--quick] [--warmup N] [--samples N] [--seeds K]``.
Needs ``pyro-ppl`` (a benchmark extra, never a dependency of the package).

The model: 20 weights under independent Normal(0, 1) priors, 500 observations with known
noise sd 0.5, float64 throughout; its posterior is Gaussian. Both samplers run one chain with
the same warm-up and draws, adapting the step size (target acceptance 0.8) and a diagonal
mass matrix, maximum tree depth 10. Pyro runs twice, with ``jit_compile`` off and on.

For each run it prints the run time (warm-up and sampling, process CPU time with one thread
each: the cores are shared, and CPU time is what the work costs), the bulk effective sample
size over the 20 weights (minimum and median, computed by the same estimator for every
sampler), effective samples per second, and the largest error of the posterior means in
posterior sds (a check that both sample the same posterior). Beside ours, the "gradient floor":
the time of just the log-density-and-gradient evaluations our sampler made, timed with the same
NumPy, so what lies above it is the sampler's own overhead.
"""

from __future__ import annotations

from benchmarks import _util  # first: it clears the OpenBLAS variables  # isort: skip

import argparse
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from shapely_nn.infer._diagnostics import effective_sample_size
from shapely_nn.infer._mcmc import MCMC
from shapely_nn.infer._nuts import NUTSKernel
from shapely_nn.infer._potential import Block, Potential

WEIGHTS, POINTS, NOISE_SD, PRIOR_SD = 20, 500, 0.5, 1.0


@dataclass(frozen=True)
class Run:
    """One sampler's run: seconds, bulk ESS per weight and the largest mean error in sds."""

    label: str
    seconds: float
    ess: np.ndarray
    mean_error: float


def make_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Design matrix ``[500, 20]`` and responses ``[500]`` from known weights."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((POINTS, WEIGHTS))
    w = rng.standard_normal(WEIGHTS)
    return x, x @ w + NOISE_SD * rng.standard_normal(POINTS)


def posterior(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form posterior mean and sd of the weights."""
    precision = x.T @ x / NOISE_SD**2 + np.eye(WEIGHTS) / PRIOR_SD**2
    covariance = np.linalg.inv(precision)
    return covariance @ x.T @ y / NOISE_SD**2, np.sqrt(np.diag(covariance))


def regression_log_density(
    x: np.ndarray, y: np.ndarray
) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """The log posterior (up to a constant) and its gradient, the way a model computes it."""
    x_t = np.ascontiguousarray(x.T)

    def log_density(w: np.ndarray) -> tuple[float, np.ndarray]:
        residual = y - x @ w
        value = -0.5 * float(residual @ residual) / NOISE_SD**2 - 0.5 * float(w @ w) / PRIOR_SD**2
        return value, x_t @ residual / NOISE_SD**2 - w / PRIOR_SD**2

    return log_density


def run_ours(
    x: np.ndarray, y: np.ndarray, warmup: int, samples: int, seed: int, clock: Callable[[], float]
) -> tuple[np.ndarray, float, int]:
    """Draws ``[samples, 20]``, seconds, and how many gradient evaluations were made."""
    log_density = regression_log_density(x, y)
    calls = [0]

    def counted(w: np.ndarray) -> tuple[float, np.ndarray]:
        calls[0] += 1
        return log_density(w)

    potential = Potential(
        (Block("w", 0, (WEIGHTS,)),), counted, lambda rng: rng.uniform(-2.0, 2.0, WEIGHTS)
    )
    mcmc = MCMC(NUTSKernel(), num_warmup=warmup, num_samples=samples, progress_bar=False)
    start = clock()
    result = mcmc.run(potential, rng=seed)
    return result.draws["w"][0], clock() - start, calls[0]


def run_pyro(
    x: np.ndarray,
    y: np.ndarray,
    warmup: int,
    samples: int,
    seed: int,
    jit: bool,
    clock: Callable[[], float],
) -> tuple[np.ndarray, float]:
    """Pyro's NUTS on the same model: draws ``[samples, 20]`` and seconds."""
    import pyro
    import pyro.distributions as dist
    import torch
    from pyro import infer

    x_t, y_t = torch.from_numpy(x), torch.from_numpy(y)

    def model(features: Any, targets: Any) -> None:
        w = pyro.sample(
            "w", dist.Normal(torch.zeros(WEIGHTS, dtype=torch.float64), PRIOR_SD).to_event(1)
        )
        pyro.sample("y", dist.Normal(features @ w, NOISE_SD).to_event(1), obs=targets)

    pyro.set_rng_seed(seed)
    pyro.clear_param_store()
    kernel = infer.NUTS(
        model,
        adapt_step_size=True,
        adapt_mass_matrix=True,
        full_mass=False,
        target_accept_prob=0.8,
        max_tree_depth=10,
        jit_compile=jit,
        ignore_jit_warnings=True,
    )
    mcmc = infer.MCMC(kernel, num_samples=samples, warmup_steps=warmup, disable_progbar=True)
    start = clock()
    mcmc.run(x_t, y_t)
    seconds = clock() - start
    return mcmc.get_samples()["w"].numpy(), seconds


def summarise(label: str, draws: np.ndarray, seconds: float, x: np.ndarray, y: np.ndarray) -> Run:
    """ESS per weight of one chain's draws and its worst posterior-mean error in sds."""
    mean, sd = posterior(x, y)
    ess = effective_sample_size(draws[None])
    return Run(label, seconds, ess, float(np.max(np.abs(draws.mean(axis=0) - mean) / sd)))


def row(run: Run, reference: Run | None) -> str:
    """One table line; the ratio columns compare with ``reference`` (ours)."""
    rate_min, rate_median = run.ess.min() / run.seconds, np.median(run.ess) / run.seconds
    ratio = ""
    if reference is not None:
        ours_min = reference.ess.min() / reference.seconds
        ours_median = np.median(reference.ess) / reference.seconds
        ratio = f"{ours_min / rate_min:8.1f}x {ours_median / rate_median:8.1f}x"
    return (
        f"{run.label:22} {run.seconds:8.2f}s {run.ess.min():8.0f} {np.median(run.ess):8.0f} "
        f"{rate_min:9.1f} {rate_median:9.1f} {run.mean_error:8.3f} {ratio}"
    )


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 warm-up, 200 draws, no jit")
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warmup, samples = (200, 200) if args.quick else (args.warmup, args.samples)

    import pyro
    import torch
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    threadpool_limits(1)
    clock = time.process_time
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}, "
        f"pyro {pyro.__version__}; float64, 1 thread each, clock: process CPU time"
    )
    print(f"BLAS: {_util.blas_info()}\n{_util.mypy_info()}")
    print(
        f"Bayesian linear regression: {WEIGHTS} weights, {POINTS} points, known noise; "
        f"one chain, {warmup} warm-up + {samples} draws, seed {args.seed}"
    )

    x, y = make_data()
    draws, seconds, calls = run_ours(x, y, warmup, samples, args.seed, clock)
    ours = summarise("shapely_nn NUTS", draws, seconds, x, y)
    log_density = regression_log_density(x, y)
    w0 = posterior(x, y)[0]
    per_call = _util.timeit(lambda: log_density(w0), repeat=7, min_time=0.2)
    runs = [ours]
    for jit in (False, True) if not args.quick else (False,):
        label = f"pyro NUTS jit={'on' if jit else 'off'}"
        try:
            pyro_draws, pyro_seconds = run_pyro(x, y, warmup, samples, args.seed, jit, clock)
        except Exception as error:  # jit tracing may fail on some versions: report, go on
            print(f"{label}: failed ({type(error).__name__}: {error})")
            continue
        runs.append(summarise(label, pyro_draws, pyro_seconds, x, y))

    print(
        f"{'sampler':22} {'time':>9} {'ESS min':>8} {'ESS med':>8} {'ESS/s min':>9} "
        f"{'ESS/s med':>9} {'mean err':>8} {'ours/this ESS/s (min, med)':>18}"
    )
    print(row(ours, None))
    for run in runs[1:]:
        print(row(run, ours))
    floor = calls * per_call
    print(
        f"ours: {calls} gradient evaluations ({calls / (warmup + samples):.1f}"
        f" per iteration), {per_call * 1e6:.1f} us each: gradient floor {floor:.2f}s, run "
        f"{ours.seconds / floor:.2f}x the floor"
    )


if __name__ == "__main__":
    main()
