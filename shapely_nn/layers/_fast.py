"""The switch between the NumPy kernels (the reference) and the optional compiled ones.

The compiled kernels (``_kernels_numba``) fuse the elementwise work of a recurrent time step
into one pass and run the whole time loop without the interpreter, calling NumPy's own BLAS
for the products; the attention and transformer layers' inference runs on fused kernels too.
They need numba (``pip install shapely_nn[fast]``); without it every layer runs its NumPy
kernel.

* ``SHAPELY_NN_FAST=0`` in the environment, or ``set_fast_kernels(False)``, forces NumPy;
  ``SHAPELY_NN_FAST=1`` / ``set_fast_kernels(True)`` asks for the compiled kernels and warns
  once if they cannot be had; unset (the default), they are used when numba imports.
* A broken extra (numba present but failing to import or compile) falls back to NumPy with one
  ``FastKernelWarning``; numba simply not installed is silent unless the kernels were asked for.
* Compiled code is cached on disk (numba's ``cache=True``): in the package's ``__pycache__``
  when it is writable, else in numba's per-user cache directory, or where ``NUMBA_CACHE_DIR``
  points. So a read-only install works, and only the first process ever compiles.

The kernels receive checked arrays only: every shape, dtype and value check stays at the
module boundary, shared by both paths, so both refuse the same inputs with the same errors.
"""

from __future__ import annotations

import importlib
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any, TypeVar

# A recurrent time loop runs compiled, calling NumPy's own BLAS for its recurrent product. Where
# the kernels cannot reach that BLAS (``_kernels_numba.HAS_BLAS`` False), the product is written
# out in the compiled loop when it has at most this many multiply-adds (hand-written products
# fall behind BLAS at size), and above it ``np.matmul`` runs it per step from a Python loop.
FULL_LOOP_MAX_MACS = 1 << 16

R = TypeVar("R")


class FastKernelWarning(RuntimeWarning):
    """The compiled kernels were wanted but could not be used: NumPy runs instead."""


_ENV = "SHAPELY_NN_FAST"
_lock = threading.Lock()
# None: not tried yet; False: tried and unavailable; a module: loaded.
_kernels: ModuleType | bool | None = None
# set_fast_kernels: None follows the environment variable.
_forced: bool | None = None


def _env_choice() -> bool | None:
    """``SHAPELY_NN_FAST``: ``0``/``false``/``off`` -> False, ``1``/``true``/``on`` -> True."""
    value = os.environ.get(_ENV, "").strip().lower()
    if value in ("0", "false", "off", "no"):
        return False
    if value in ("1", "true", "on", "yes"):
        return True
    return None


def set_fast_kernels(enabled: bool | None) -> None:
    """Force the compiled kernels on or off for this process; ``None`` follows the env var."""
    global _forced
    _forced = enabled


@contextmanager
def fast_kernels(enabled: bool) -> Iterator[None]:
    """Run a block with the compiled kernels switched on or off, then restore the setting."""
    global _forced
    previous = _forced
    _forced = enabled
    try:
        yield
    finally:
        _forced = previous


def fast_kernels_enabled() -> bool:
    """Whether the layers run the compiled kernels now (wanted and loadable)."""
    return kernels() is not None


def _load(asked: bool) -> ModuleType | bool:
    try:
        importlib.import_module("numba")
    except ImportError as err:
        if asked:
            _warn(f"numba is not installed ({err})")
        return False
    try:
        return importlib.import_module("shapely_nn.layers._kernels_numba")
    except Exception as err:  # any failure of the optional extra must not stop the package
        _warn(f"the compiled kernels failed to load ({type(err).__name__}: {err})")
        return False


def _warn(reason: str) -> None:
    warnings.warn(
        f"shapely_nn: {reason}; running the NumPy kernels instead "
        f"(install shapely_nn[fast], or set {_ENV}=0 to silence this)",
        FastKernelWarning,
        stacklevel=4,
    )


def kernels() -> Any:
    """The compiled kernel module, or ``None`` when the NumPy path is to run."""
    global _kernels
    wanted = _forced if _forced is not None else _env_choice()
    if wanted is False:
        return None
    if _kernels is None:
        with _lock:
            if _kernels is None:
                _kernels = _load(asked=wanted is True)
    return _kernels if isinstance(_kernels, ModuleType) else None


def disable_after_failure(err: BaseException) -> None:
    """A kernel failed to compile: warn once and run NumPy from now on."""
    global _kernels
    _kernels = False
    _warn(f"a compiled kernel failed ({type(err).__name__}: {err})")


def is_compile_failure(err: BaseException) -> bool:
    """Whether ``err`` is numba's own (typing or lowering), not a user error."""
    return type(err).__module__.startswith("numba")


def run_compiled(name: str, *args: Any) -> bool:
    """Run compiled kernel ``name`` if the kernels are on; ``False``: run the NumPy code."""
    module = kernels()
    if module is None:
        return False
    try:
        getattr(module, name)(*args)
    except Exception as err:
        if not is_compile_failure(err):
            raise
        disable_after_failure(err)
        return False
    return True


def try_compiled(run: Callable[[Any], R]) -> R | None:
    """``run(kernels)`` when the compiled kernels are on, else ``None`` (run the NumPy code).

    A kernel that fails to compile also gives ``None``, after one warning that switches the
    kernels off; ``run`` itself may return ``None`` to ask for the NumPy code.
    """
    module = kernels()
    if module is None:
        return None
    try:
        return run(module)
    except Exception as err:
        if not is_compile_failure(err):
            raise
        disable_after_failure(err)
        return None


def reset_for_tests() -> None:
    """Forget the loaded kernels, so the next call loads (or fails to load) them afresh."""
    global _kernels
    _kernels = None
