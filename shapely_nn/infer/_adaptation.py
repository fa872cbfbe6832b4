"""Warm-up for NUTS: the step size by dual averaging, a diagonal mass matrix in Stan's windows.

Stan's scheme (the reference manual's "HMC algorithm parameters"): a fast initial buffer where
only the step size moves; slow windows, each twice as long as the last, whose draws estimate
the posterior variances that become the inverse mass matrix (after each, the step size is
searched again and dual averaging restarts); a fast terminal buffer that settles the step size
for the final metric. Sampling then uses the averaged step size.
"""

from __future__ import annotations

import math

import numpy as np

from shapely_nn.infer._nuts import LogDensity, leapfrog
from shapely_nn.infer._potential import Vector

# Stan's defaults.
INIT_BUFFER = 75
TERM_BUFFER = 50
BASE_WINDOW = 25
MIN_WARMUP_FOR_MASS = 20


def mass_matrix_windows(num_warmup: int) -> list[tuple[int, int]]:
    """The slow windows ``[start, stop)`` of warm-up iterations that estimate the mass matrix.

    Stan's schedule: with 1000 iterations, windows end at 100, 150, 250, 450 and 950. Too short
    for the defaults, the buffers shrink to 15 % and 10 % of warm-up with one window between;
    under ``MIN_WARMUP_FOR_MASS`` iterations there is no window (a variance from a handful of
    draws is worse than the identity).
    """
    if num_warmup < MIN_WARMUP_FOR_MASS:
        return []
    init, term, base = INIT_BUFFER, TERM_BUFFER, BASE_WINDOW
    if init + base + term > num_warmup:
        init, term = int(0.15 * num_warmup), int(0.1 * num_warmup)
        base = num_warmup - init - term
    last = num_warmup - term
    windows = [(init, init + base)]
    size = base
    while windows[-1][1] < last:
        start = windows[-1][1]
        size *= 2
        stop = start + size
        # A window whose successor would not fit takes the rest of the slow phase.
        if stop + 2 * size >= last:
            stop = last
        windows.append((start, stop))
    return windows


class DualAveraging:
    """Nesterov's dual averaging of ``log(step_size)`` towards a target acceptance statistic.

    Hoffman and Gelman (2014), section 3.2, with Stan's constants.
    """

    def __init__(
        self,
        step_size: float,
        target_accept: float,
        *,
        gamma: float = 0.05,
        t0: float = 10.0,
        kappa: float = 0.75,
    ) -> None:
        self.target_accept = target_accept
        self.gamma, self.t0, self.kappa = gamma, t0, kappa
        self.restart(step_size)

    def restart(self, step_size: float) -> None:
        """Start over around ``step_size``: shrinking towards ``10 * step_size`` explores up."""
        self.mu = math.log(10.0 * step_size)
        self.count = 0
        self.error_sum = 0.0
        self.log_step_avg = 0.0

    def update(self, accept_stat: float) -> float:
        """Learn from one transition's acceptance statistic; the step size to use next."""
        self.count += 1
        eta = 1.0 / (self.count + self.t0)
        self.error_sum = (1 - eta) * self.error_sum + eta * (
            self.target_accept - min(1.0, accept_stat)
        )
        log_step = self.mu - self.error_sum * math.sqrt(self.count) / self.gamma
        weight = self.count**-self.kappa
        self.log_step_avg = weight * log_step + (1 - weight) * self.log_step_avg
        return math.exp(log_step)

    @property
    def final_step_size(self) -> float:
        """The averaged step size, the one sampling uses."""
        return math.exp(self.log_step_avg)


class WelfordVariance:
    """Running mean and variance of vectors (Welford), regularised as Stan does."""

    def __init__(self, size: int) -> None:
        self.count = 0
        self.mean = np.zeros(size)
        self.m2 = np.zeros(size)

    def add(self, x: Vector) -> None:
        """Take one draw."""
        self.count += 1
        delta = x - self.mean
        self.mean += delta / self.count
        self.m2 += delta * (x - self.mean)

    def regularized_variance(self) -> Vector:
        """The sample variance shrunk towards ``1e-3``: ``(n var + 5e-3) / (n + 5)``."""
        n = self.count
        variance = self.m2 / (n - 1)
        return (n / (n + 5.0)) * variance + 1e-3 * (5.0 / (n + 5.0))


def find_reasonable_step_size(
    log_density: LogDensity,
    theta: Vector,
    grad: Vector,
    log_p: float,
    step_size: float,
    inv_mass: Vector,
    rng: np.random.Generator,
    *,
    max_tries: int = 60,
) -> float:
    """Double or halve ``step_size`` until one leapfrog step's acceptance crosses 0.8.

    Stan's heuristic (``init_stepsize``), with a fresh momentum each try; after ``max_tries``
    it keeps the step it reached instead of failing (the transitions then report what
    happens).
    """
    threshold = math.log(0.8)
    direction = 0
    with np.errstate(all="ignore"):
        for _ in range(max_tries):
            p = rng.standard_normal(theta.shape[0]) / np.sqrt(inv_mass)
            energy0 = -log_p + 0.5 * float(p @ (inv_mass * p))
            _, p_new, log_p_new, _ = leapfrog(log_density, theta, p, grad, step_size, inv_mass)
            energy = -log_p_new + 0.5 * float(p_new @ (inv_mass * p_new))
            delta = energy0 - energy if math.isfinite(energy) else -math.inf
            if direction == 0:
                direction = 1 if delta > threshold else -1
            elif (direction == 1) != (delta > threshold):
                break
            step_size = step_size * 2.0 if direction == 1 else step_size * 0.5
    return step_size
