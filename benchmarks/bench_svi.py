"""SVI on Bayesian linear regression: steps per second against Pyro's ``AutoNormal`` + ``SVI``.

Run: ``python -m benchmarks.bench_svi [--quick] [--cpu-time] [--fit-steps N]``.
Needs ``pyro-ppl`` (a benchmark extra, never a dependency of the package).

The model: 20 weights and a bias under independent Normal(0, 1) priors, 500 observations with
known noise sd 0.5, float64 on both sides. Ours is the ``.qvr`` program with one
``Real 20 -> Real 1 ~ Normal`` kernel, lifted by ``bayesian_lift_parameters``, fitted by
``SVI`` with an ``AutoNormalGuide``, one particle and the library's Adam (lr 0.02). Pyro's is
the same model written with ``pyro.sample``, ``AutoNormal``, ``Trace_ELBO`` (and
``JitTrace_ELBO``) and ``pyro.optim.Adam`` (lr 0.02).

It prints, from one run, the seconds per SVI step of each (best of alternating rounds: the
cores are shared), the ratio to ours, and beside ours the "gradient floor": one evaluation of
the lifted model's log joint and its gradient, the part of a step that is not the guide or the
optimizer. A check follows: after ``--fit-steps`` steps of each, the largest distance of the
fitted posterior means from the closed-form ones, in posterior sds.
"""

from __future__ import annotations

from benchmarks import _util  # first: it clears the OpenBLAS variables  # isort: skip

import argparse
import importlib
import platform
from collections.abc import Callable
from typing import Any

import numpy as np

from shapely_nn.infer import ELBO, SVI, AutoNormalGuide, bayesian_lift_parameters
from shapely_nn.qvr import load
from shapely_nn.train import Adam

WEIGHTS, POINTS, NOISE_SD, PRIOR_SD, LR = 20, 500, 0.5, 1.0, 0.02

PROGRAM = f"""
object X : Real {WEIGHTS}
object Y : Real 1
morphism f : X -> Y [scale={NOISE_SD}] ~ Normal
program regression : X -> Y
observe y : Y <- f
return y
"""


def make_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Design matrix ``[500, 20]`` and responses ``[500]`` from known weights."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((POINTS, WEIGHTS))
    return x, x @ rng.standard_normal(WEIGHTS) + 0.3 + NOISE_SD * rng.standard_normal(POINTS)


def posterior(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form posterior mean and sd of ``(weights, bias)``."""
    phi = np.hstack([x, np.ones((len(x), 1))])
    precision = np.eye(WEIGHTS + 1) / PRIOR_SD**2 + phi.T @ phi / NOISE_SD**2
    covariance = np.linalg.inv(precision)
    return covariance @ phi.T @ y / NOISE_SD**2, np.sqrt(np.diag(covariance))


def ours(x: np.ndarray, y: np.ndarray) -> tuple[Callable[[], float], Callable[[], np.ndarray]]:
    """One SVI step of ours, and the fitted means ``(weights, bias)``."""
    program = load(PROGRAM, rng=0, dtype=np.float64)
    lifted, lx, lobs = bayesian_lift_parameters(program, x, {"y": y[:, None]}, prior_scale=PRIOR_SD)
    guide = AutoNormalGuide(lifted, observed_names={"y"})
    svi = SVI(lifted, guide, Adam(lr=LR), ELBO(), rng=0)

    def step() -> float:
        return svi.step(lx, lobs)

    def means() -> np.ndarray:
        loc = guide.median()
        return np.concatenate([loc["layers.0.linear.weight"][0], loc["layers.0.linear.bias"]])

    return step, means


def gradient_floor(x: np.ndarray, y: np.ndarray) -> Callable[[], object]:
    """One log joint with its gradients of the lifted program (what a step must evaluate)."""
    program = load(PROGRAM, rng=0, dtype=np.float64)
    lifted, lx, lobs = bayesian_lift_parameters(program, x, {"y": y[:, None]}, prior_scale=PRIOR_SD)
    values = {**lobs, **{k: v.copy() for k, v in program.parameters().items()}}
    return lambda: lifted.log_joint_and_grads(lx, values)


def pyro_svi(
    x: np.ndarray, y: np.ndarray, torch: Any, jit: bool
) -> tuple[Callable[[], float], Callable[[], np.ndarray]]:
    """One SVI step of Pyro's, and its fitted means ``(weights, bias)``."""
    # untyped third-party modules, held as Any so the benchmark type-checks
    pyro: Any = importlib.import_module("pyro")
    dist: Any = importlib.import_module("pyro.distributions")
    infer: Any = importlib.import_module("pyro.infer")
    autoguide: Any = importlib.import_module("pyro.infer.autoguide")

    pyro.clear_param_store()
    pyro.set_rng_seed(0)
    xt, yt = torch.tensor(x), torch.tensor(y)

    def model(xs: Any, ys: Any) -> None:
        w = pyro.sample(
            "w", dist.Normal(torch.zeros(WEIGHTS, dtype=xs.dtype), PRIOR_SD).to_event(1)
        )
        b = pyro.sample("b", dist.Normal(torch.zeros((), dtype=xs.dtype), PRIOR_SD))
        with pyro.plate("data", xs.shape[0]):
            pyro.sample("y", dist.Normal(xs @ w + b, NOISE_SD), obs=ys)

    guide = autoguide.AutoNormal(model)
    loss = infer.JitTrace_ELBO() if jit else infer.Trace_ELBO()
    svi = infer.SVI(model, guide, importlib.import_module("pyro.optim").Adam({"lr": LR}), loss)

    def step() -> float:
        return float(svi.step(xt, yt))

    def means() -> np.ndarray:
        median = guide.median()
        return np.concatenate([median["w"].detach().numpy(), median["b"].detach().numpy()[None]])

    return step, means


def main() -> None:
    """Print the table and the fit check."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="one thread each, timed by process CPU time: steadier when the cores are shared",
    )
    parser.add_argument("--fit-steps", type=int, default=3000, help="steps for the fit check")
    args = parser.parse_args()
    torch = _util.setup_torch()
    clock = _util.configure(torch, args.cpu_time)
    torch.set_default_dtype(torch.float64)
    pyro: Any = importlib.import_module("pyro")

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}, "
        f"pyro {pyro.__version__}, float64, {clock.threads} thread(s), clock: {clock.label}"
    )
    print(f"BLAS: {_util.blas_info()}\n{_util.mypy_info()}")
    print(
        f"Bayesian linear regression: {WEIGHTS} weights + bias, {POINTS} points, "
        "AutoNormal guide, 1 particle, Adam lr 0.02"
    )
    x, y = make_data()
    candidates = {
        "shapely_nn": ours(x, y),
        "pyro Trace_ELBO": pyro_svi(x, y, torch, jit=False),
        "pyro JitTrace_ELBO": pyro_svi(x, y, torch, jit=True),
    }
    fns: dict[str, Callable[[], object]] = {k: v[0] for k, v in candidates.items()}
    fns["gradient floor"] = gradient_floor(x, y)
    rounds, min_time = (3, 0.2) if args.quick else (7, 0.5)
    best = _util.interleaved(fns, rounds=rounds, min_time=min_time, clock=clock.now)
    mine = best["shapely_nn"]
    print(f"{'':20} {'ms/step':>10} {'steps/s':>10} {'time / ours':>12}")
    for name, seconds in best.items():
        print(f"{name:20} {seconds * 1e3:10.3f} {1 / seconds:10.0f} {seconds / mine:11.2f}x")
    mean, sd = posterior(x, y)
    print(f"fit check after {args.fit_steps} steps (fresh fits): max |mean - exact| / sd")
    for name, (step, means) in {
        "shapely_nn": ours(x, y),
        "pyro Trace_ELBO": pyro_svi(x, y, torch, jit=False),
    }.items():
        for _ in range(args.fit_steps):
            step()
        print(f"  {name:18} {np.max(np.abs(means() - mean) / sd):.3f}")


if __name__ == "__main__":
    main()
