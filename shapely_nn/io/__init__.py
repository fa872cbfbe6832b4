"""Interop: PyTorch export and import, PyTorch source, save/load, safetensors, diagrams."""

from shapely_nn.io import (
    _torch_compose,  # noqa: F401  (registers the combinators' mappings)
    _torch_zoo,  # noqa: F401  (registers the zoo's mappings)
)
from shapely_nn.io._mermaid import to_mermaid
from shapely_nn.io._safetensors import load_safetensors, save_safetensors
from shapely_nn.io._save import ModelFileError, load, save
from shapely_nn.io._torch import to_torch
from shapely_nn.io._torch_import import from_torch, load_state_dict
from shapely_nn.io._torch_source import to_pytorch_source

__all__ = [
    "ModelFileError",
    "from_torch",
    "load",
    "load_safetensors",
    "load_state_dict",
    "save",
    "save_safetensors",
    "to_mermaid",
    "to_pytorch_source",
    "to_torch",
]
