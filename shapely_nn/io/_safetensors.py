"""``save_safetensors`` / ``load_safetensors``: a module's parameters as a safetensors file.

The file holds the ``state_dict`` of the module's ``to_torch`` export, under the same names
(``parts.0.weight_ih_l0``...), so PyTorch loads it without pickle
(``safetensors.torch.load_file`` then ``load_state_dict`` on the export or on the module
``to_pytorch_source`` defines), and a file written from a trained torch module comes back into
the typed model. The names and the layout come from ``to_torch``, so both functions need
PyTorch as well as the ``safetensors`` package (the ``safetensors`` extra), both imported
lazily.

Like ``save``/``load``: saving writes a temporary file beside the target and renames it over;
loading checks every tensor's name, shape and dtype against the export before building
anything, and either returns the whole module or raises ``ModelFileError`` naming the tensors
that disagree.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from shapely_nn import __version__
from shapely_nn.io._save import ModelFileError, as_path
from shapely_nn.io._torch import to_torch
from shapely_nn.io._torch_import import load_state_dict
from shapely_nn.layers._base import Array, Layer, require_module

L = TypeVar("L", bound=Layer)

# safetensors' dtype names for the dtypes a shapely_nn module's export holds.
_DTYPE_NAMES = {"float32": "F32", "float64": "F64"}
_NUMPY_DTYPES = {name: np.dtype(dtype) for dtype, name in _DTYPE_NAMES.items()}


def _require_safetensors() -> Any:
    """The ``safetensors`` package, or an ``ImportError`` naming the extra that brings it."""
    try:
        # The NumPy reader and writer: torch is not needed to read or write the file itself.
        import safetensors.numpy
    except ImportError as exc:
        raise ImportError(
            "shapely_nn.io.save_safetensors / load_safetensors need the safetensors package: "
            "pip install 'shapely_nn[safetensors]'"
        ) from exc
    return safetensors


def _export_arrays(module: Layer) -> dict[str, Array]:
    """The ``to_torch`` state dict of ``module`` as contiguous NumPy arrays, by name."""
    state = to_torch(module).state_dict()
    return {name: np.ascontiguousarray(t.detach().cpu().numpy()) for name, t in state.items()}


def _dtype_name(dtype: np.dtype[Any]) -> str:
    return _DTYPE_NAMES.get(str(dtype), str(dtype))


def save_safetensors(module: Layer, path: str | os.PathLike[str]) -> None:
    """Write ``module``'s ``to_torch`` state dict to ``path`` as safetensors, atomically."""
    require_module("save_safetensors", module)
    target = as_path("save_safetensors", path)
    if not target.parent.is_dir():  # say so, rather than name the temporary file
        raise FileNotFoundError(f"save_safetensors: no such directory: {target.parent}")
    safetensors = _require_safetensors()
    arrays = _export_arrays(module)
    # "format": "pt" is the convention that tells PyTorch loaders the names are a state dict.
    metadata = {
        "format": "pt",
        "producer": f"shapely_nn {__version__}",
        "module": type(module).__qualname__,
    }
    blob: bytes = safetensors.numpy.save(arrays, metadata=metadata)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read(path: Path) -> dict[str, tuple[str, list[int], bytes]]:
    """Each tensor of the file as (safetensors dtype name, shape, raw bytes), by name."""
    safetensors = _require_safetensors()
    try:
        data = path.read_bytes()
        entries = safetensors.deserialize(data)
    except FileNotFoundError as exc:
        raise ModelFileError(f"load_safetensors: no such file: {path}") from exc
    except (OSError, safetensors.SafetensorError, ValueError) as exc:
        raise ModelFileError(
            f"load_safetensors: {path} is not a readable safetensors file ({exc})"
        ) from exc
    return {
        name: (str(entry["dtype"]), [int(n) for n in entry["shape"]], bytes(entry["data"]))
        for name, entry in entries
    }


def load_safetensors(module: L, path: str | os.PathLike[str]) -> L:
    """A copy of ``module`` with the parameters of a safetensors file keyed like its export."""
    require_module("load_safetensors", module)
    target = as_path("load_safetensors", path)
    found = _read(target)
    expected = _export_arrays(module)
    problems = [
        f"tensor {name!r} is missing (the model has {list(a.shape)} {_dtype_name(a.dtype)})"
        for name, a in expected.items()
        if name not in found
    ]
    problems += [f"unexpected tensor {name!r}" for name in found if name not in expected]
    for name, a in expected.items():
        if name not in found:
            continue
        dtype, shape, _ = found[name]
        if shape != list(a.shape):
            problems.append(f"tensor {name!r} has shape {shape}, the model's is {list(a.shape)}")
        if dtype != _dtype_name(a.dtype):
            problems.append(
                f"tensor {name!r} has dtype {dtype}, the model's is {_dtype_name(a.dtype)}"
            )
    if problems:
        raise ModelFileError(
            f"load_safetensors: {target} does not fit this {type(module).__name__}: "
            + "; ".join(problems)
        )
    arrays = {
        name: np.frombuffer(found[name][2], dtype=_NUMPY_DTYPES[found[name][0]]).reshape(
            found[name][1]
        )
        for name in expected
    }
    try:
        return load_state_dict(module, arrays)
    except ValueError as exc:  # values the layout cannot hold (e.g. a GRU's r/z bias_hh)
        raise ModelFileError(f"load_safetensors: {target}: {exc}") from exc
