"""``load``: a ``.qvr`` file or program text into a ``QvrProgram``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from shapely_nn._tensor import describe
from shapely_nn.layers._base import Rng, require_float_dtype
from shapely_nn.qvr._build import build
from shapely_nn.qvr._errors import QvrError
from shapely_nn.qvr._grammar import parse
from shapely_nn.qvr._program import QvrProgram


def _is_path(source: str | os.PathLike[str]) -> bool:
    if not isinstance(source, str):
        return True
    return "\n" not in source and (source.endswith(".qvr") or Path(source).is_file())


def load(source: str | os.PathLike[str], *, rng: Rng = 0, dtype: Any = np.float32) -> QvrProgram:
    """Load a ``.qvr`` program: a path (``Path``, or a one-line string ending in ``.qvr`` or
    naming a file) or the program text itself.

    Parameters are initialised from ``rng`` (an int seed or a ``numpy.random.Generator``).
    Anything wrong with the program, or a file that cannot be read, raises ``QvrError``.
    """
    if not isinstance(source, str | os.PathLike):
        raise TypeError(
            f'qvr.load: argument "source" must be program text or a path, got {describe(source)}'
        )
    dtype = require_float_dtype(dtype)
    if _is_path(source):
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise QvrError(f"cannot read {os.fspath(source)}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise QvrError(
                f"cannot read {os.fspath(source)}: not UTF-8 text ({exc.reason})"
            ) from exc
    else:
        text = str(source)
    try:
        program = build(parse(text), rng=rng)
    except RecursionError:
        raise QvrError("the program nests too deeply to load") from None
    if np.dtype(dtype) != np.dtype(np.float32):
        program = program.astype(dtype)
    return program
