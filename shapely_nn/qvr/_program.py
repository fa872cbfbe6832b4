"""``QvrProgram``: a loaded ``.qvr`` program, its module and what it was built from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from shapely_nn._tensor import Tensor, tensor
from shapely_nn.io._mermaid import to_mermaid
from shapely_nn.layers._base import Rng, as_generator
from shapely_nn.models._quivers import CategoricalHead, Kernel
from shapely_nn.modules._compose import Chain, Fan, Parallel, Residual, describe
from shapely_nn.qvr._decls import QvrMorphism, QvrObject
from shapely_nn.qvr._types import FINSET, Part

AnyTensor = Tensor[*tuple[Any, ...]]
Path = tuple[int, ...]


@dataclass(frozen=True)
class Site:
    """A ``sample``/``observe`` variable: its value leaves ``module.layers[end - 1]``."""

    name: str
    kind: str
    end: int


def _children(module: Any) -> tuple[Any, ...]:
    if isinstance(module, Chain):
        return module.layers
    if isinstance(module, Parallel):
        return module.branches
    if isinstance(module, Fan):
        return module.heads
    if isinstance(module, Residual):
        return (module.block,)
    return ()


def paths_of(module: Any, path: Path = ()) -> dict[int, Path]:
    """``id(part) -> position`` of every composed part (child indices from the root)."""
    out = {id(module): path}
    for i, child in enumerate(_children(module)):
        out.update(paths_of(child, (*path, i)))
    return out


def _draw(module: Any, x: Any, gen: np.random.Generator) -> Any:
    """Ancestral sampling: Normal kernels and Categorical heads draw, the rest are exact."""
    if isinstance(module, Kernel | CategoricalHead):
        return module.sample(x, gen)
    if isinstance(module, Chain):
        for part in module.layers:
            x = _draw(part, x, gen)
        return x
    if isinstance(module, Parallel):
        return tuple(_draw(b, xi, gen) for b, xi in zip(module.branches, x, strict=True))
    if isinstance(module, Fan):
        heads = [_draw(h, x, gen).numpy() for h in module.heads]
        return Tensor(np.concatenate(heads, axis=-1))
    if isinstance(module, Residual):
        return Tensor(x.numpy() + _draw(module.block, x, gen).numpy())
    return module(x)


@dataclass(frozen=True, eq=False)
class QvrProgram:
    """A ``.qvr`` program loaded into a shapely_nn ``Chain``.

    Input: ids ``[*B, 2]`` for a ``Source * Target`` domain (``[*B]`` for one ``FinSet``,
    ``[*B, n]`` for ``Real n``); output: log-probabilities ``[*B, Target]`` when the returned
    value is observed through a ``Categorical`` morphism (the mean for a ``Real`` result).
    """

    name: str
    domain: str
    codomain: str
    input_parts: tuple[Part, ...]
    module: Chain
    objects: Mapping[str, QvrObject]
    morphisms: Mapping[str, QvrMorphism]
    lets: tuple[str, ...]
    sites: tuple[Site, ...]
    labels: Mapping[Path, str]
    log_probs: bool  # the returned value is a Categorical's log-probabilities

    @property
    def names(self) -> dict[int, str]:
        """``id(part) -> name`` for ``module``: morphism, ``let``, ``fan``/``stack`` names."""
        return {
            ident: self.labels[path]
            for ident, path in paths_of(self.module).items()
            if path in self.labels
        }

    def __call__(self, x: Any) -> AnyTensor:
        """The forward pass (log-probabilities for a Categorical result)."""
        return self.forward(x)

    def forward(self, x: Any) -> AnyTensor:
        """The forward pass on ``x`` (a tensor, or an array: ids, or floats cast to the
        parameters' dtype)."""
        result: AnyTensor = self.module(self._as_input(x))
        return result

    def _as_input(self, x: Any) -> AnyTensor:
        """A tensor as it is; an array as a tensor, floats cast to the parameters' dtype."""
        if isinstance(x, Tensor):
            return x
        array = np.asarray(x)
        return tensor(array, dtype=self.module.dtype if array.dtype.kind == "f" else None)

    def trace(self, x: Any, rng: Rng) -> dict[str, AnyTensor]:
        """Draw every ``sample``/``observe`` site from the model, seeded by ``rng``."""
        gen = as_generator(rng)
        value: Any = self._as_input(x)
        out: dict[str, AnyTensor] = {}
        start = 0
        for site in self.sites:
            for part in self.module.layers[start : site.end]:
                value = _draw(part, value, gen)
            out[site.name] = value
            start = site.end
        return out

    def sample(self, x: Any, rng: Rng) -> AnyTensor:
        """One draw of the returned value (category ids for a Categorical), seeded."""
        return self.trace(x, rng)[self.sites[-1].name]

    def mermaid(self) -> str:
        """The module as a mermaid ``flowchart LR``, nodes named as in the program."""
        return to_mermaid(
            self.module, names=self.names, inputs=("input",), output=self.sites[-1].name
        )

    def with_module(self, module: Chain) -> QvrProgram:
        """This program with a module of the same structure (e.g. after ``fit``)."""
        mine = {k: v.shape for k, v in self.module.parameters().items()}
        theirs = {k: v.shape for k, v in module.parameters().items()}
        same_parts = _kinds(module) == _kinds(self.module)
        if not isinstance(module, Chain) or mine != theirs or not same_parts:
            raise ValueError(f"with_module: the module is not shaped like program {self.name}")
        return replace(self, module=module)

    def astype(self, dtype: Any) -> QvrProgram:
        """This program with its parameters cast to ``dtype`` (float32 or float64)."""
        return replace(self, module=self.module.astype(dtype))

    def example_input(self, batch: int, rng: Rng) -> AnyTensor:
        """A random input of ``batch`` rows: ids in range, or standard normal vectors."""
        gen = as_generator(rng)
        if all(p.kind == FINSET for p in self.input_parts):
            cols = [gen.integers(0, p.size, size=batch) for p in self.input_parts]
            ids = np.stack(cols, axis=-1) if len(cols) > 1 else cols[0]
            return tensor(ids)
        return tensor(gen.standard_normal((batch, self.input_parts[0].size)), self.module.dtype)

    def summary(self) -> str:
        """The program's signature and its module as an indented tree."""
        lines = [f"program {self.name} : {self.domain} -> {self.codomain}"]
        names = self.names

        def walk(module: Any, depth: int) -> None:
            name = names.get(id(module))
            kind = describe(module)
            if isinstance(module, Fan):
                kind = f"Fan x{len(module.heads)}"
            elif isinstance(module, Chain) and type(module) is not Chain:
                kind = f"{type(module).__name__} x{len(module.layers)}"
            lines.append("  " * depth + (f"{name}: {kind}" if name else kind))
            for child in _children(module):
                walk(child, depth + 1)

        walk(self.module, 1)
        count = sum(a.size for a in self.module.parameters().values())
        lines.append(f"parameters: {count}")
        return "\n".join(lines)


def _kinds(module: Any, path: Path = ()) -> dict[Path, type]:
    out: dict[Path, type] = {path: type(module)}
    for i, child in enumerate(_children(module)):
        out.update(_kinds(child, (*path, i)))
    return out
