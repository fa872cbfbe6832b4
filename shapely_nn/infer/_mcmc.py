"""``MCMC``: run NUTS chains on a model's ``Potential``, warm-up included, one chain after another.

Each chain draws from its own generator, spawned from the one ``run`` is given, so the same
seed gives the same draws bit for bit, whatever the number of chains before it.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from shapely_nn._tensor import as_generator
from shapely_nn.guards import describe, require_flag, require_nonnegative, require_size
from shapely_nn.infer._adaptation import (
    DualAveraging,
    WelfordVariance,
    find_reasonable_step_size,
    mass_matrix_windows,
)
from shapely_nn.infer._mcmc_result import MCMCResult
from shapely_nn.infer._nuts import (
    LogDensity,
    NUTSKernel,
    Transition,
    evaluate,
    nuts_transition,
)
from shapely_nn.infer._potential import Potential, Vector

__all__ = ["MCMC", "InitialPointError", "MCMCResult", "initial_point"]

Rng = np.random.Generator | int

MAX_INITIAL_TRIES = 100


class InitialPointError(ValueError):
    """No starting point was found where the log density and its gradient are finite."""


@dataclass(frozen=True)
class _Chain:
    draws: Vector  # [num_samples, size]
    log_density: Vector
    accept_stats: Vector
    tree_depths: np.ndarray[Any, np.dtype[np.int64]]
    num_steps: np.ndarray[Any, np.dtype[np.int64]]
    divergent: np.ndarray[Any, np.dtype[np.bool_]]
    step_size: float
    inv_mass: Vector
    warmup_divergences: int


class MCMC:
    """Runs ``num_chains`` chains of ``kernel``: ``num_warmup`` adapting, then ``num_samples`` kept.

    ``progress_bar``: ``True`` or ``False``, or ``None`` (the default) for a bar only when
    standard error is a terminal, so tests and logs stay quiet.
    """

    def __init__(
        self,
        kernel: NUTSKernel,
        num_warmup: int,
        num_samples: int,
        num_chains: int = 1,
        *,
        progress_bar: bool | None = None,
    ) -> None:
        if not isinstance(kernel, NUTSKernel):
            raise TypeError(f"MCMC: kernel must be a NUTSKernel, got {describe(kernel)}")
        require_nonnegative(num_warmup=num_warmup)
        require_size(num_samples=num_samples, num_chains=num_chains)
        if progress_bar is not None:
            require_flag(progress_bar=progress_bar)
        self.kernel = kernel
        self.num_warmup = int(num_warmup)
        self.num_samples = int(num_samples)
        self.num_chains = int(num_chains)
        self.progress_bar = progress_bar

    def run(self, model: object, *data: object, rng: Rng) -> MCMCResult:
        """Sample the posterior of ``model`` (a ``Potential``, or ``model.potential(*data)``)."""
        potential = _bind(model, data)
        generator = as_generator(rng)
        show = sys.stderr.isatty() if self.progress_bar is None else self.progress_bar
        total = self.num_chains * (self.num_warmup + self.num_samples)
        bar: Any = tqdm(total=total, desc="MCMC", disable=not show, leave=False)
        try:
            chains = [
                self._run_chain(potential, chain_rng, index, bar)
                for index, chain_rng in enumerate(generator.spawn(self.num_chains))
            ]
        finally:
            bar.close()
        return MCMCResult(
            blocks=potential.blocks,
            flat_draws=np.stack([c.draws for c in chains]),
            log_density=np.stack([c.log_density for c in chains]),
            accept_stats=np.stack([c.accept_stats for c in chains]),
            tree_depths=np.stack([c.tree_depths for c in chains]),
            num_steps=np.stack([c.num_steps for c in chains]),
            divergent=np.stack([c.divergent for c in chains]),
            step_sizes=np.array([c.step_size for c in chains]),
            inverse_mass_matrices=np.stack([c.inv_mass for c in chains]),
            warmup_divergence_counts=np.array(
                [c.warmup_divergences for c in chains], dtype=np.int64
            ),
        )

    def _run_chain(
        self, potential: Potential, rng: np.random.Generator, index: int, bar: Any
    ) -> _Chain:
        theta, log_p, grad = initial_point(potential, rng, chain=index)
        chain = _ChainState(self.kernel, potential.log_density, theta, log_p, grad, rng)
        bar.set_description(f"chain {index + 1}/{self.num_chains} warm-up")
        warmup_divergences = _warm_up(chain, self.num_warmup, bar)
        bar.set_description(f"chain {index + 1}/{self.num_chains} sampling")
        return _sample(chain, self.num_samples, bar, warmup_divergences)


class _ChainState:
    """One chain's current point, step size and inverse mass matrix."""

    def __init__(
        self,
        kernel: NUTSKernel,
        log_density: LogDensity,
        theta: Vector,
        log_p: float,
        grad: Vector,
        rng: np.random.Generator,
    ) -> None:
        self.kernel, self.log_density, self.rng = kernel, log_density, rng
        self.theta, self.log_p, self.grad = theta, log_p, grad
        self.step_size = float(kernel.step_size)
        self.inv_mass = np.ones(theta.shape[0])

    def step(self) -> Transition:
        """One NUTS transition; the chain moves to its point."""
        t = nuts_transition(
            self.log_density,
            self.theta,
            self.log_p,
            self.grad,
            step_size=self.step_size,
            inv_mass=self.inv_mass,
            max_tree_depth=self.kernel.max_tree_depth,
            rng=self.rng,
        )
        self.theta, self.log_p, self.grad = t.theta, t.log_density, t.grad
        return t

    def search_step_size(self) -> float:
        """Stan's heuristic from the current point and metric; the step it settles on."""
        self.step_size = find_reasonable_step_size(
            self.log_density,
            self.theta,
            self.grad,
            self.log_p,
            self.step_size,
            self.inv_mass,
            self.rng,
        )
        return self.step_size


def _warm_up(chain: _ChainState, num_warmup: int, bar: Any) -> int:
    """Adapt the chain's step size and mass matrix over ``num_warmup`` transitions.

    Returns how many of them diverged.
    """
    kernel = chain.kernel
    adapt_step = kernel.adapt_step_size and num_warmup > 0
    averaging = DualAveraging(
        chain.search_step_size() if adapt_step else chain.step_size, kernel.target_accept
    )
    windows = mass_matrix_windows(num_warmup) if kernel.adapt_mass_matrix else []
    window_stop = {i: stop for start, stop in windows for i in range(start, stop)}
    variance = WelfordVariance(chain.theta.shape[0])
    divergences = 0
    for i in range(num_warmup):
        t = chain.step()
        divergences += t.divergent
        if adapt_step:
            chain.step_size = averaging.update(t.accept_stat)
        stop = window_stop.get(i)
        if stop is not None:
            variance.add(chain.theta)
            if i == stop - 1:
                chain.inv_mass = variance.regularized_variance()
                variance = WelfordVariance(chain.theta.shape[0])
                if adapt_step:
                    averaging.restart(chain.search_step_size())
        bar.update(1)
    if adapt_step:
        chain.step_size = averaging.final_step_size
    return divergences


def _sample(chain: _ChainState, n: int, bar: Any, warmup_divergences: int) -> _Chain:
    """``n`` transitions at the adapted settings, recorded."""
    draws = np.empty((n, chain.theta.shape[0]))
    log_densities, accept = np.empty(n), np.empty(n)
    depths, steps = np.empty(n, np.int64), np.empty(n, np.int64)
    divergent = np.zeros(n, bool)
    show_divergences = not bar.disable
    for i in range(n):
        t = chain.step()
        draws[i], log_densities[i], accept[i] = t.theta, t.log_density, t.accept_stat
        depths[i], steps[i], divergent[i] = t.tree_depth, t.num_steps, t.divergent
        bar.update(1)
        if show_divergences:
            bar.set_postfix(divergences=int(divergent[: i + 1].sum()), refresh=False)
    return _Chain(
        draws, log_densities, accept, depths, steps, divergent, chain.step_size, chain.inv_mass,
        warmup_divergences,
    )  # fmt: skip


def _bind(model: object, data: tuple[object, ...]) -> Potential:
    """The ``Potential`` to sample: ``model`` itself, or what its ``potential(*data)`` returns."""
    if isinstance(model, Potential):
        if data:
            raise TypeError(
                f"MCMC.run: a Potential already has its data bound; got {len(data)} more "
                "argument(s)"
            )
        return model
    bind = getattr(model, "potential", None)
    if not callable(bind):
        raise TypeError(
            f"MCMC.run: the model must be a Potential or have a .potential(*data) method, got "
            f"{type(model).__name__}"
        )
    potential = bind(*data)
    if not isinstance(potential, Potential):
        raise TypeError(
            f"MCMC.run: {type(model).__name__}.potential(...) returned "
            f"{type(potential).__name__}, not a Potential"
        )
    return potential


def initial_point(
    potential: Potential, rng: np.random.Generator, *, chain: int = 0
) -> tuple[Vector, float, Vector]:
    """A starting point from ``potential.initial`` where the log density and gradient are finite.

    Tries up to ``MAX_INITIAL_TRIES`` draws, then raises ``InitialPointError`` saying what was
    wrong at the last one.
    """
    size = potential.size
    reason = ""
    for _ in range(MAX_INITIAL_TRIES):
        theta = np.array(potential.initial(rng), dtype=np.float64)
        if theta.shape != (size,):
            raise ValueError(
                f"MCMC: potential.initial returned shape {theta.shape}, expected ({size},)"
            )
        log_p, grad = evaluate(potential.log_density, theta)
        grad = np.asarray(grad, dtype=np.float64)
        if grad.shape != (size,):
            raise ValueError(
                f"MCMC: the log density's gradient has shape {grad.shape}, expected ({size},)"
            )
        if not math.isfinite(log_p):
            reason = f"the log density is {log_p}"
        elif not np.all(np.isfinite(grad)):
            bad = sorted({b.name for b in potential.blocks if not _finite(grad, b.start, b.size)})
            reason = f"the gradient is not finite in {', '.join(bad)}"
        else:
            return theta, log_p, grad
    raise InitialPointError(
        f"MCMC: chain {chain}: no finite starting point in {MAX_INITIAL_TRIES} draws from "
        f"potential.initial ({reason} at the last one); check the model's support and its "
        "initial values"
    )


def _finite(grad: Vector, start: int, size: int) -> bool:
    return bool(np.all(np.isfinite(grad[start : start + size])))
