"""``save`` / ``load``: any layer, composed module or zoo model, as ``.npz`` with a JSON header.

The header records the format version, the module tree (each node's class, its plain
settings, its parts) and every array's shape and dtype. Loading never unpickles
(``allow_pickle=False``), only builds classes of this package that are layers, checks every
array against the header before building anything, and so either returns the whole module or
raises ``ModelFileError`` with nothing half-loaded. Saving writes a temporary file beside the
target and renames it over, so a crash never leaves a half-written file.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from shapely_nn import __version__
from shapely_nn._tensor import describe
from shapely_nn.layers._base import Array, Layer, require_module

FORMAT = "shapely_nn.module"
FORMAT_VERSION = 1
_HEADER = "__header__"


class ModelFileError(ValueError):
    """A model file that is truncated, corrupt, foreign, or disagrees with its own header."""


# ---- encoding -----------------------------------------------------------------------------


def _encode(value: Any, path: str, arrays: dict[str, Array]) -> Any:
    if isinstance(value, np.ndarray):
        arrays[path] = value
        return {"array": path, "shape": list(value.shape), "dtype": str(value.dtype)}
    if isinstance(value, Layer):
        cls = type(value)
        fields = {
            f.name: _encode(getattr(value, f.name), f"{path}.{f.name}" if path else f.name, arrays)
            for f in dataclasses.fields(value)  # type: ignore[arg-type]
        }
        return {"layer": f"{cls.__module__}:{cls.__qualname__}", "fields": fields}
    if isinstance(value, tuple | list):
        items = [_encode(v, f"{path}.{i}", arrays) for i, v in enumerate(value)]
        return {"tuple" if isinstance(value, tuple) else "list": items}
    if value is None or isinstance(value, bool | int | float | str):
        return {"value": value}
    raise TypeError(f"save: cannot store {type(value).__name__} at {path or 'the root'}")


def as_path(callee: str, path: object) -> Path:
    """``path`` as a ``Path`` if it is a ``str`` or an ``os.PathLike``, else a ``TypeError``."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(
            f'{callee}: argument "path" must be a str or an os.PathLike, got {describe(path)}'
        )
    return Path(path)


def save(module: Layer, path: str | os.PathLike[str]) -> None:
    """Write ``module`` to ``path`` (``.npz``), atomically."""
    require_module("save", module)
    arrays: dict[str, Array] = {}
    tree = _encode(module, "", arrays)
    header = {"format": FORMAT, "version": FORMAT_VERSION, "library": __version__, "tree": tree}
    payload = {f"a{i}": a for i, a in enumerate(arrays.values())}
    names = dict(zip(arrays, payload, strict=True))
    header["names"] = names
    blob = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    target = as_path("save", path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            contents: dict[str, Any] = {_HEADER: blob, **payload}
            np.savez(handle, **contents)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---- decoding -----------------------------------------------------------------------------


def _layer_class(spec: str) -> type[Layer]:
    module_name, _, qualname = spec.partition(":")
    if not module_name.startswith("shapely_nn.") or not qualname:
        raise ModelFileError(f"load: refusing to build {spec!r}: not a shapely_nn layer")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ModelFileError(f"load: unknown layer class {spec!r}") from exc
    if not (isinstance(obj, type) and issubclass(obj, Layer)):
        raise ModelFileError(f"load: {spec!r} is not a layer")
    return obj


def _decode(node: Any, arrays: dict[str, Array]) -> Any:
    if not isinstance(node, dict) or len(node) not in (1, 2, 3):
        raise ModelFileError(f"load: malformed module tree node {str(node)[:80]!r}")
    if "array" in node:
        return arrays[node["array"]]
    if "layer" in node:
        cls = _layer_class(node["layer"])
        fields = node.get("fields")
        if not isinstance(fields, dict):
            raise ModelFileError(f"load: layer {node['layer']} has no fields")
        expected = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        if set(fields) != expected:
            raise ModelFileError(
                f"load: {node['layer']} fields {sorted(fields)} differ from {sorted(expected)}"
            )
        out = object.__new__(cls)
        for name, child in fields.items():
            object.__setattr__(out, name, _decode(child, arrays))
        return out
    if "tuple" in node:
        return tuple(_decode(c, arrays) for c in node["tuple"])
    if "list" in node:
        return [_decode(c, arrays) for c in node["list"]]
    if "value" in node:
        return node["value"]
    raise ModelFileError(f"load: malformed module tree node {str(node)[:80]!r}")


def _check_arrays(node: Any, arrays: dict[str, Array]) -> None:
    """Every array named in the tree exists with its declared shape and dtype."""
    if isinstance(node, dict):
        if "array" in node:
            name = node["array"]
            if name not in arrays:
                raise ModelFileError(f"load: array {name} is missing from the file")
            a = arrays[name]
            if list(a.shape) != node.get("shape") or str(a.dtype) != node.get("dtype"):
                raise ModelFileError(
                    f"load: {name} has shape {list(a.shape)} {a.dtype}, the header declares "
                    f"{node.get('shape')} {node.get('dtype')}"
                )
            return
        for child in node.values():
            _check_arrays(child, arrays)
    elif isinstance(node, list):
        for child in node:
            _check_arrays(child, arrays)


def _read(path: Path) -> tuple[dict[str, Any], dict[str, Array]]:
    try:
        data = path.read_bytes()
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            if _HEADER not in npz.files:
                raise ModelFileError(f"load: {path} is not a shapely_nn model file (no header)")
            header = json.loads(npz[_HEADER].tobytes().decode())
            files = {name: npz[name] for name in npz.files if name != _HEADER}
    except ModelFileError:
        raise
    except FileNotFoundError as exc:
        raise ModelFileError(f"load: no such file: {path}") from exc
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"load: {path} is truncated or corrupt ({exc})") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"load: {path} is not a shapely_nn model file")
    if header.get("version") != FORMAT_VERSION:
        raise ModelFileError(
            f"load: {path} has format version {header.get('version')}, this library reads "
            f"{FORMAT_VERSION}"
        )
    names = header.get("names")
    if not isinstance(names, dict) or set(names.values()) != set(files):
        raise ModelFileError(f"load: {path}: the arrays in the file disagree with its header")
    return header, {name: files[key] for name, key in names.items()}


def load(path: str | os.PathLike[str]) -> Any:
    """Read a module written by ``save``; ``ModelFileError`` if the file is not sound."""
    header, arrays = _read(as_path("load", path))
    tree = header.get("tree")
    _check_arrays(tree, arrays)
    module = _decode(tree, arrays)
    if not isinstance(module, Layer):
        raise ModelFileError(f"load: {path} does not hold a module")
    return module
