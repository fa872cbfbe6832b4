"""Small ``.qvr`` programs for the inference tests (float64, seeded)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from shapely_nn.qvr import QvrProgram, load

# Source * Target ids -> two Normal latents (a fan, a stack, a parallel pair joined by a
# concat) -> a Categorical observation: every combinator the seed uses, at toy sizes.
TWO_LATENTS = """
object S : FinSet 5
object T : FinSet 4
object H : Real 4
object Half : Real 2
object C : Real 8
morphism src_embed : S -> H [role=embed]
morphism tgt_embed : T -> H [role=embed]
morphism head : H -> Half [role=kernel, replicate=2, scale=0.3] ~ Normal
morphism proj : H -> H [role=kernel, scale=0.5] ~ Normal
morphism cross : C -> C [role=kernel, scale=0.4] ~ Normal
morphism refine : C -> C [role=kernel, scale=0.7] ~ Normal
morphism lm_head : C -> T [role=kernel] ~ Categorical
let block = fan(head) >> proj
let encoder = src_embed >> stack(block, 2)
program toy : S * T -> T
sample h <- (encoder @ tgt_embed) >> cross
sample z <- refine(h)
observe y : T <- lm_head(z)
return y
"""


def regression_text(features: int, noise: float) -> str:
    """Bayesian linear regression's likelihood: ``y ~ Normal(x @ w + b, noise)``."""
    return f"""
object X : Real {features}
object Y : Real 1
morphism f : X -> Y [scale={noise}] ~ Normal
program regression : X -> Y
observe y : Y <- f
return y
"""


@pytest.fixture
def toy() -> QvrProgram:
    """The two-latent program in float64."""
    return load(TWO_LATENTS, rng=0, dtype=np.float64)


@pytest.fixture
def toy_input() -> np.ndarray:
    """Six (source, target) id pairs."""
    return np.random.default_rng(4).integers(0, 4, size=(6, 2))


@pytest.fixture
def load_regression() -> Callable[[int, float], QvrProgram]:
    """``load_regression(features, noise)``: the regression program in float64, seeded."""

    def make(features: int, noise: float) -> QvrProgram:
        return load(regression_text(features, noise), rng=1, dtype=np.float64)

    return make
