"""What an MCMC run returns: the draws, per-chain statistics and the convergence summary."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from shapely_nn.infer._diagnostics import (
    effective_sample_size,
    mcse_mean,
    mcse_sd,
    split_rhat,
)
from shapely_nn.infer._potential import Block

Array = NDArray[np.float64]

# The diagnostics split each chain in two and need at least two draws per half.
MIN_DRAWS_FOR_DIAGNOSTICS = 4


def element_names(blocks: tuple[Block, ...]) -> tuple[str, ...]:
    """One label per element of the flat vector: ``w[0, 1]``, or ``b`` for a scalar."""
    names: list[str] = []
    for block in blocks:
        if block.shape == ():
            names.append(block.name)
            continue
        for index in np.ndindex(*block.shape):
            names.append(f"{block.name}[{', '.join(str(i) for i in index)}]")
    return tuple(names)


@dataclass(frozen=True)
class Summary:
    """Per-element posterior summary: every array is ``[elements]``, in ``names`` order."""

    names: tuple[str, ...]
    mean: Array
    sd: Array
    mcse_mean: Array
    mcse_sd: Array
    ess_bulk: Array
    r_hat: Array

    def __str__(self) -> str:
        width = max([len("parameter"), *(len(n) for n in self.names)])
        lines = [
            f"{'parameter':<{width}} {'mean':>10} {'sd':>10} {'mcse_mean':>10} "
            f"{'mcse_sd':>10} {'ess_bulk':>9} {'r_hat':>6}"
        ]
        for i, name in enumerate(self.names):
            lines.append(
                f"{name:<{width}} {self.mean[i]:10.4g} {self.sd[i]:10.4g} "
                f"{self.mcse_mean[i]:10.2g} {self.mcse_sd[i]:10.2g} "
                f"{self.ess_bulk[i]:9.0f} {self.r_hat[i]:6.3f}"
            )
        return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class MCMCResult:
    """Draws of every chain and how the sampling went.

    ``flat_draws`` is ``[chains, draws, size]``; the per-draw arrays (``log_density``,
    ``accept_stats``, ``tree_depths``, ``num_steps``, ``divergent``) are ``[chains, draws]``
    and cover the sampling phase only; ``warmup_divergence_counts`` counts warm-up's.
    """

    blocks: tuple[Block, ...]
    flat_draws: Array
    log_density: Array
    accept_stats: Array
    tree_depths: NDArray[np.int64]
    num_steps: NDArray[np.int64]
    divergent: NDArray[np.bool_]
    step_sizes: Array
    inverse_mass_matrices: Array
    warmup_divergence_counts: NDArray[np.int64]

    @property
    def num_chains(self) -> int:
        """How many chains ran."""
        return int(self.flat_draws.shape[0])

    @property
    def num_samples(self) -> int:
        """Draws kept per chain."""
        return int(self.flat_draws.shape[1])

    @cached_property
    def draws(self) -> dict[str, Array]:
        """``{name: [chains, draws, *shape]}`` for every unknown of the model."""
        c, n = self.flat_draws.shape[:2]
        return {
            b.name: self.flat_draws[:, :, b.start : b.start + b.size].reshape(c, n, *b.shape)
            for b in self.blocks
        }

    @property
    def acceptance_rates(self) -> Array:
        """Per chain, the mean acceptance statistic over the sampling phase."""
        rates: Array = self.accept_stats.mean(axis=1)
        return rates

    @property
    def divergence_counts(self) -> NDArray[np.int64]:
        """Per chain, how many sampling transitions diverged."""
        counts: NDArray[np.int64] = self.divergent.sum(axis=1).astype(np.int64)
        return counts

    @cached_property
    def summary_table(self) -> Summary:
        """The summary, computed once."""
        flat = self.flat_draws
        size = flat.shape[2]
        pooled = flat.reshape(-1, size)
        if self.num_samples >= MIN_DRAWS_FOR_DIAGNOSTICS:
            r_hat, ess = split_rhat(flat), effective_sample_size(flat)
            se_mean, se_sd = mcse_mean(flat), mcse_sd(flat)
        else:
            r_hat = ess = se_mean = se_sd = np.full(size, np.nan)
        return Summary(
            names=element_names(self.blocks),
            mean=pooled.mean(axis=0),
            sd=pooled.std(axis=0, ddof=1) if pooled.shape[0] > 1 else np.full(size, np.nan),
            mcse_mean=se_mean,
            mcse_sd=se_sd,
            ess_bulk=ess,
            r_hat=r_hat,
        )

    def summary(self) -> Summary:
        """Mean, sd, their Monte-Carlo standard errors, bulk ESS and split R-hat per element.

        Diagnostics need at least 4 draws per chain; with fewer they are ``nan``.
        """
        return self.summary_table

    def _by_block(self, flat: Array) -> dict[str, Array]:
        return {b.name: flat[b.start : b.start + b.size].reshape(b.shape) for b in self.blocks}

    @property
    def r_hat(self) -> dict[str, Array]:
        """Split R-hat per block, in each block's shape."""
        return self._by_block(self.summary_table.r_hat)

    @property
    def ess_bulk(self) -> dict[str, Array]:
        """Bulk effective sample size per block, in each block's shape."""
        return self._by_block(self.summary_table.ess_bulk)
