"""The switch between the NumPy kernels and the compiled ones (``pip install shapely_nn[fast]``).

``SHAPELY_NN_FAST=0`` in the environment forces NumPy; ``set_fast_kernels`` and the
``fast_kernels`` context manager do the same from code. See ``_fast`` for the design.
"""

from shapely_nn.layers._fast import (
    FastKernelWarning,
    fast_kernels,
    fast_kernels_enabled,
    set_fast_kernels,
)

__all__ = ["FastKernelWarning", "fast_kernels", "fast_kernels_enabled", "set_fast_kernels"]
