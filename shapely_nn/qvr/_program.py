"""``QvrProgram``: a loaded ``.qvr`` program, its module and what it was built from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from shapely_nn._tensor import Tensor, tensor
from shapely_nn.infer import _joint
from shapely_nn.infer._joint import Trace
from shapely_nn.infer._lift import latent_potential
from shapely_nn.infer._model import SiteInfo, potential_data
from shapely_nn.infer._potential import Potential
from shapely_nn.io._mermaid import to_mermaid
from shapely_nn.layers._base import Array, Rng, as_generator
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
        """The input as a tensor: ids as they are, floats in the parameters' dtype."""
        array = x.numpy() if isinstance(x, Tensor) else np.asarray(x)
        if isinstance(x, Tensor) and (array.dtype.kind != "f" or array.dtype == self.module.dtype):
            return x
        return tensor(array, dtype=self.module.dtype if array.dtype.kind == "f" else None)

    def trace(self, x: Any, rng: Rng) -> Trace:
        """Draw every ``sample``/``observe`` site in turn, seeded by ``rng``: ``trace[name]``
        is a site's value, ``trace.sites[name].log_prob`` its log-probability.

        A site is drawn from the distribution ``log_joint`` scores: Normal around its segment's
        mean (inner kernels at their means) with its last kernel's ``scale``, or Categorical.
        """
        return _joint.trace(self.module, self.sites, self._as_input(x), as_generator(rng))

    def log_joint(self, x: Any, values: Mapping[str, Any]) -> float:
        """``log p(values | x)``: the log densities of every site, given a value for each."""
        return _joint.log_joint(self.module, self.sites, self._as_input(x), values, grads=False)[0]

    def log_joint_and_grads(
        self, x: Any, values: Mapping[str, Any], centers: Mapping[str, Any] | None = None
    ) -> tuple[float, dict[str, Array], dict[str, Array]]:
        """The log joint, its gradients by parameter path (``module.parameters()`` names) and
        by continuous site (float64), through the modules' backward passes (``centers``: see
        ``shapely_nn.infer``'s ``log_joint``)."""
        x = self._as_input(x)
        return _joint.log_joint(self.module, self.sites, x, values, centers=centers)

    def site_families(self) -> dict[str, str]:
        """``{site: "normal" | "categorical"}`` in program order."""
        return _joint.families(self.module, self.sites)

    def site_infos(self, x: Any, observations: Mapping[str, Any]) -> tuple[SiteInfo, ...]:
        """Every site's shape and starting value for ``x`` (the observations are checked)."""
        return _joint.site_infos(self.module, self.sites, self._as_input(x), observations)

    def potential(self, *data: object) -> Potential:
        """``potential(x, observations)``: the log density over the unobserved (continuous)
        sites, parameters fixed, in float64: what ``MCMC`` samples."""
        x, observations = potential_data(data, "QvrProgram.potential")
        program = self.astype(np.float64)
        return latent_potential(program, program._as_input(x), observations)

    def parameters(self) -> dict[str, Array]:
        """The module's parameters by dotted path."""
        return self.module.parameters()

    def with_parameters(self, params: Mapping[str, Array]) -> QvrProgram:
        """This program with some parameters replaced (same names, shapes and dtypes)."""
        return replace(self, module=self.module.with_parameters(params))

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
