"""Benchmarks against PyTorch CPU, reported as ratios measured side by side in one run.

Run one as ``python -m benchmarks.bench_NAME``. This package's import clears
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (which slow a current NumPy on this kind of machine) and
pins thread counts to 2 before any benchmark module imports NumPy or torch.
"""

import os

for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
