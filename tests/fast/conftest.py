"""The compiled recurrent loop's three variants, as a fixture for the tests that run them."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest

from shapely_nn.layers import _fast

VARIANTS = ["whole loop", "blas loop", "step kernel"]


@pytest.fixture(params=VARIANTS)
def variant(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each way the compiled kernels run a time loop.

    ``blas loop``: NumPy's BLAS called from the compiled loop (the default where NumPy links an
    ILP64 CBLAS; elsewhere this is the whole loop again); without that BLAS, ``whole loop``:
    products written out in the compiled loop (small sizes), and ``step kernel``: a Python
    loop of ``np.matmul`` and a fused step kernel.
    """
    kernels = importlib.import_module("shapely_nn.layers._kernels_numba")
    if request.param != "blas loop":
        monkeypatch.setattr(kernels, "HAS_BLAS", False)
    limit = 1 << 40 if request.param == "whole loop" else 0
    monkeypatch.setattr(_fast, "FULL_LOOP_MAX_MACS", limit)
    yield request.param
