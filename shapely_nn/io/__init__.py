"""Interop: export to PyTorch, safe save/load, mermaid diagrams."""

from shapely_nn.io._mermaid import to_mermaid
from shapely_nn.io._save import ModelFileError, load, save
from shapely_nn.io._torch import to_torch

__all__ = ["ModelFileError", "load", "save", "to_mermaid", "to_torch"]
