"""The No-U-Turn sampler: one transition of NUTS over a flat float64 vector.

Hoffman and Gelman (2014) with the refinements Stan and NumPyro use (Betancourt 2017,
"A Conceptual Introduction to Hamiltonian Monte Carlo", appendix A): the trajectory is doubled
forward or backward in time until it turns back on itself; the next point is drawn from the
whole trajectory with probabilities proportional to ``exp(-energy)`` (multinomial sampling:
progressively within each subtree, biased towards the newest subtree at the top); the U-turn
test is the generalised criterion on the summed momenta, checked across the two halves of every
merge as well, which catches the turns the plain test misses on near-periodic trajectories.

The kinetic energy is ``p · (inv_mass * p) / 2`` with a diagonal inverse mass matrix. Every
leapfrog step evaluates the gradient once and carries it to the next step. A step whose energy
error passes ``MAX_ENERGY_ERROR`` (or whose energy is not finite) is a divergence: it ends the
trajectory, and the transition reports it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from shapely_nn.guards import require_flag, require_open_rate, require_positive_number, require_size
from shapely_nn.infer._potential import Vector

LogDensity = Callable[[Vector], tuple[float, Vector]]

MAX_ENERGY_ERROR = 1000.0


@dataclass(frozen=True)
class NUTSKernel:
    """The No-U-Turn sampler's settings; ``MCMC`` runs it.

    ``step_size`` is the leapfrog step to start from (warm-up tunes it by dual averaging
    towards an average acceptance statistic of ``target_accept`` when ``adapt_step_size``);
    a trajectory has at most ``2 ** max_tree_depth`` steps; ``adapt_mass_matrix`` estimates a
    diagonal mass matrix from the warm-up draws in Stan's windows.
    """

    step_size: float = 0.1
    max_tree_depth: int = 10
    target_accept: float = 0.8
    adapt_step_size: bool = True
    adapt_mass_matrix: bool = True

    def __post_init__(self) -> None:
        require_positive_number(step_size=self.step_size)
        require_size(max_tree_depth=self.max_tree_depth)
        require_open_rate(target_accept=self.target_accept)
        require_flag(adapt_step_size=self.adapt_step_size, adapt_mass_matrix=self.adapt_mass_matrix)


def evaluate(log_density: LogDensity, theta: Vector) -> tuple[float, Vector]:
    """The log density and its gradient, ``-inf`` where it fails with a floating-point error."""
    try:
        value, grad = log_density(theta)
    except FloatingPointError:
        return -math.inf, np.full_like(theta, np.nan)
    return float(value), grad


def leapfrog(
    log_density: LogDensity,
    theta: Vector,
    momentum: Vector,
    grad: Vector,
    step_size: float,
    inv_mass: Vector,
) -> tuple[Vector, Vector, float, Vector]:
    """One leapfrog step: the new position, momentum, log density and its gradient.

    ``grad`` is the log density's gradient at ``theta``; a negative ``step_size`` runs time
    backwards, and the step is its own inverse up to rounding.
    """
    half = momentum + (0.5 * step_size) * grad
    theta_new = theta + step_size * (inv_mass * half)
    log_p, grad_new = evaluate(log_density, theta_new)
    return theta_new, half + (0.5 * step_size) * grad_new, log_p, grad_new


def _logaddexp(a: float, b: float) -> float:
    if a < b:
        a, b = b, a
    if b == -math.inf:
        return a
    return a + math.log1p(math.exp(b - a))


def _no_uturn(p_sharp_start: Vector, p_sharp_end: Vector, rho: Vector) -> bool:
    # Generalised criterion: both ends still move along the summed momentum.
    return float(p_sharp_start @ rho) > 0 and float(p_sharp_end @ rho) > 0


class _Subtree:
    """A finished, valid subtree: its two ends, summed momentum, proposal and log weight."""

    __slots__ = (
        "grad_end",
        "log_weight",
        "p_begin",
        "p_end",
        "p_sharp_begin",
        "p_sharp_end",
        "proposal",
        "rho",
        "theta_end",
    )

    def __init__(
        self,
        theta_end: Vector,
        p_end: Vector,
        grad_end: Vector,
        p_sharp_end: Vector,
        p_begin: Vector,
        p_sharp_begin: Vector,
        rho: Vector,
        proposal: tuple[Vector, float, Vector],
        log_weight: float,
    ) -> None:
        self.theta_end = theta_end
        self.p_end = p_end
        self.grad_end = grad_end
        self.p_sharp_end = p_sharp_end
        self.p_begin = p_begin
        self.p_sharp_begin = p_sharp_begin
        self.rho = rho
        self.proposal = proposal
        self.log_weight = log_weight


class _Trajectory:
    """Builds subtrees for one transition and keeps its step and acceptance counts."""

    def __init__(
        self,
        log_density: LogDensity,
        inv_mass: Vector,
        energy0: float,
        rng: np.random.Generator,
    ) -> None:
        self.log_density = log_density
        self.inv_mass = inv_mass
        self.energy0 = energy0
        self.rng = rng
        self.num_steps = 0
        self.sum_accept = 0.0
        self.divergent = False

    def leaf(self, theta: Vector, p: Vector, grad: Vector, step: float) -> _Subtree | None:
        theta, p, log_p, grad = leapfrog(self.log_density, theta, p, grad, step, self.inv_mass)
        self.num_steps += 1
        p_sharp = self.inv_mass * p
        energy = -log_p + 0.5 * float(p @ p_sharp)
        if not math.isfinite(energy):
            energy = math.inf
        log_weight = self.energy0 - energy
        self.sum_accept += 1.0 if log_weight > 0 else math.exp(log_weight)
        if -log_weight > MAX_ENERGY_ERROR:
            self.divergent = True
            return None
        return _Subtree(theta, p, grad, p_sharp, p, p_sharp, p, (theta, log_p, grad), log_weight)

    def build(
        self, depth: int, theta: Vector, p: Vector, grad: Vector, step: float
    ) -> _Subtree | None:
        """``2 ** depth`` steps from ``(theta, p)``, or ``None`` if they diverge or turn."""
        if depth == 0:
            return self.leaf(theta, p, grad, step)
        inner = self.build(depth - 1, theta, p, grad, step)
        if inner is None:
            return None
        outer = self.build(depth - 1, inner.theta_end, inner.p_end, inner.grad_end, step)
        if outer is None:
            return None
        log_weight = _logaddexp(inner.log_weight, outer.log_weight)
        proposal = inner.proposal
        if self.rng.random() < math.exp(outer.log_weight - log_weight):
            proposal = outer.proposal
        rho = inner.rho + outer.rho
        if not _no_uturn(inner.p_sharp_begin, outer.p_sharp_end, rho):
            return None
        # With one step per half the two extra checks repeat the one above.
        if depth > 1 and not (
            _no_uturn(inner.p_sharp_begin, outer.p_sharp_begin, inner.rho + outer.p_begin)
            and _no_uturn(inner.p_sharp_end, outer.p_sharp_end, outer.rho + inner.p_end)
        ):
            return None
        return _Subtree(
            outer.theta_end,
            outer.p_end,
            outer.grad_end,
            outer.p_sharp_end,
            inner.p_begin,
            inner.p_sharp_begin,
            rho,
            proposal,
            log_weight,
        )


@dataclass(frozen=True)
class Transition:
    """Where one NUTS transition went and how: the new point and the transition's statistics."""

    theta: Vector
    log_density: float
    grad: Vector
    accept_stat: float
    num_steps: int
    tree_depth: int
    divergent: bool


class _End:
    """One end of the whole trajectory: position, momentum, gradient, ``inv_mass * p``."""

    __slots__ = ("grad", "p", "p_sharp", "theta")

    def __init__(self, theta: Vector, p: Vector, grad: Vector, p_sharp: Vector) -> None:
        self.theta, self.p, self.grad, self.p_sharp = theta, p, grad, p_sharp


def nuts_transition(
    log_density: LogDensity,
    theta: Vector,
    log_p: float,
    grad: Vector,
    *,
    step_size: float,
    inv_mass: Vector,
    max_tree_depth: int,
    rng: np.random.Generator,
) -> Transition:
    """One NUTS transition from ``theta`` (with its log density and gradient)."""
    # Overflow and nan inside a trajectory are divergences, detected from the energy below.
    with np.errstate(all="ignore"):
        return _transition(
            log_density, theta, log_p, grad, step_size, inv_mass, max_tree_depth, rng
        )


def _transition(
    log_density: LogDensity,
    theta: Vector,
    log_p: float,
    grad: Vector,
    step_size: float,
    inv_mass: Vector,
    max_tree_depth: int,
    rng: np.random.Generator,
) -> Transition:
    p0 = rng.standard_normal(theta.shape[0]) / np.sqrt(inv_mass)
    p_sharp0 = inv_mass * p0
    energy0 = -log_p + 0.5 * float(p0 @ p_sharp0)
    trajectory = _Trajectory(log_density, inv_mass, energy0, rng)
    left = right = _End(theta, p0, grad, p_sharp0)
    rho = p0
    log_weight = 0.0  # the starting point's own weight, exp(energy0 - energy0)
    sample = (theta, log_p, grad)
    depth = 0
    while depth < max_tree_depth:
        forward = rng.random() > 0.5
        start = right if forward else left
        sub = trajectory.build(
            depth, start.theta, start.p, start.grad, step_size if forward else -step_size
        )
        if sub is None:
            break
        depth += 1
        # Biased progressive sampling: move to the new half whenever it outweighs the old.
        if sub.log_weight > log_weight or rng.random() < math.exp(sub.log_weight - log_weight):
            sample = sub.proposal
        log_weight = _logaddexp(log_weight, sub.log_weight)
        old_rho, rho = rho, rho + sub.rho
        # The old tree's end away from the new half, and the end it touches.
        old_outer, old_inner = (left, right) if forward else (right, left)
        persist = _no_uturn(old_outer.p_sharp, sub.p_sharp_end, rho) and (
            depth == 1
            or (
                _no_uturn(old_outer.p_sharp, sub.p_sharp_begin, old_rho + sub.p_begin)
                and _no_uturn(old_inner.p_sharp, sub.p_sharp_end, sub.rho + old_inner.p)
            )
        )
        new_end = _End(sub.theta_end, sub.p_end, sub.grad_end, sub.p_sharp_end)
        if forward:
            right = new_end
        else:
            left = new_end
        if not persist:
            break
    return Transition(
        theta=sample[0],
        log_density=sample[1],
        grad=sample[2],
        accept_stat=trajectory.sum_accept / max(trajectory.num_steps, 1),
        num_steps=trajectory.num_steps,
        tree_depth=depth,
        divergent=trajectory.divergent,
    )
