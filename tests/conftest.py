"""Shared fixtures: a seeded generator, and NumPy errors that fail loudly."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _numpy_errors_raise() -> Iterator[None]:
    # Underflow to zero is normal in softmax and exp; overflow, nan and divide are bugs.
    old = np.seterr(all="raise", under="ignore")
    yield
    np.seterr(**old)


@pytest.fixture
def rng() -> np.random.Generator:
    """A generator with a fixed seed, fresh for each test."""
    return np.random.default_rng(20261123)
