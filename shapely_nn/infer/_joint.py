"""The log joint of a straight-line program: a ``Chain`` cut into sites.

Site ``k`` is the value leaving ``module.layers[end_k - 1]``; the parts
``layers[end_{k-1}:end_k]`` map the previous site's value (the input, for the first) to the
site's distribution:

* a segment ending in a ``~ Normal`` kernel (or a ``Chain``/``Stack``/``Residual``/``Fan``
  ending in kernels) gives ``Normal(mean, scale)``: the mean is the segment's forward pass
  (inner kernels at their means) and the scale that of the last kernel (per head for a fan);
* a segment ending in a ``CategoricalHead`` gives ``Categorical`` over its log-probabilities.

``log_joint`` runs each segment forward once from the given site values and back once through
the parts' own ``backward``, so every gradient comes from code that is already gradchecked.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from shapely_nn._tensor import Tensor
from shapely_nn.infer._distributions import Categorical, Normal
from shapely_nn.infer._model import (
    CATEGORICAL,
    NORMAL,
    Array,
    SiteInfo,
    check_site_names,
    describe_names,
    site_value,
)
from shapely_nn.layers._activations import NoGrads
from shapely_nn.layers._base import GradRecord
from shapely_nn.models._quivers import CategoricalHead, Kernel
from shapely_nn.modules._compose import Chain, ChainGrads, Fan, Residual, sizes

DETERMINISTIC = "deterministic"


class SiteLike(Protocol):
    """A site of a program: its name, ``sample``/``observe``, and where its value leaves."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def end(self) -> int: ...


@dataclass(frozen=True)
class SiteSpec:
    """A site resolved against its module: which parts compute it and its family."""

    name: str
    kind: str
    family: str
    start: int
    end: int
    scale: float | Array | None  # the Normal's scale (``None`` for other families)


def noise_scale(part: Any) -> float | Array | None:
    """The scale of the Normal noise a part adds to its output (``None``: it draws nothing)."""
    if isinstance(part, Kernel):
        return part.scale
    if isinstance(part, Residual):
        return noise_scale(part.block)
    if isinstance(part, Chain):
        return noise_scale(part.layers[-1])
    if isinstance(part, Fan):
        scales = [noise_scale(h) for h in part.heads]
        widths = [sizes(h)[1] for h in part.heads]
        if any(s is None for s in scales) or any(w is None for w in widths):
            return None
        floats = {s for s in scales if isinstance(s, float)}
        if len(floats) == 1 and all(isinstance(s, float) for s in scales):
            return floats.pop()  # one shared scale stays a scalar
        pieces = [
            np.broadcast_to(np.asarray(s, np.float64), (int(w or 0),))
            for s, w in zip(scales, widths, strict=True)
        ]
        return np.concatenate(pieces)
    return None


def resolve_sites(module: Chain, sites: Sequence[SiteLike]) -> tuple[SiteSpec, ...]:
    """Each site's segment of ``module`` and its family."""
    out: list[SiteSpec] = []
    start = 0
    for site in sites:
        last = module.layers[site.end - 1]
        if isinstance(last, CategoricalHead):
            out.append(SiteSpec(site.name, site.kind, CATEGORICAL, start, site.end, None))
        else:
            scale = noise_scale(last)
            family = DETERMINISTIC if scale is None else NORMAL
            out.append(SiteSpec(site.name, site.kind, family, start, site.end, scale))
        start = site.end
    return tuple(out)


def _densities(specs: Sequence[SiteSpec], what: str) -> None:
    for spec in specs:
        if spec.family == DETERMINISTIC:
            raise ValueError(
                f"{what}: site {spec.name!r} has no density: its value is computed exactly "
                "(it does not end in a ~ Normal kernel or a ~ Categorical head)"
            )


def _as_input(value: Array, dtype: Any) -> Tensor[*tuple[Any, ...]]:
    return Tensor(value if value.dtype.kind in "iu" else value.astype(dtype, copy=False))


def _distribution(spec: SiteSpec, out: Any) -> Normal | Categorical:
    if spec.family == CATEGORICAL:
        return Categorical(out.numpy())
    assert spec.scale is not None
    return Normal(out.numpy(), spec.scale)


def families(module: Chain, sites: Sequence[SiteLike]) -> dict[str, str]:
    """``{site: family}`` for a program whose every site has a density."""
    specs = resolve_sites(module, sites)
    _densities(specs, "log joint")
    return {s.name: s.family for s in specs}


def site_infos(
    module: Chain, sites: Sequence[SiteLike], x: Any, observations: Mapping[str, Any]
) -> tuple[SiteInfo, ...]:
    """Shapes and starting values of every site for input ``x``: observed sites take their
    observation (checked), the others their mean (the most likely id for a Categorical)."""
    specs = resolve_sites(module, sites)
    _densities(specs, "inference")
    check_site_names({s.name: s.family for s in specs}, observations, "observed name")
    infos: list[SiteInfo] = []
    value: Any = x
    for spec in specs:
        for part in module.layers[spec.start : spec.end]:
            value = part(value)
        dist = _distribution(spec, value)
        if spec.name in observations:
            init = site_value(spec.name, observations[spec.name], dist.shape, spec.family)
        elif isinstance(dist, Categorical):
            init = dist.log_probs.argmax(axis=-1)
        else:
            init = dist.loc
        spread = 1.0 if spec.scale is None else float(np.max(spec.scale))
        infos.append(SiteInfo(spec.name, spec.kind, spec.family, dist.shape, init, spread))
        value = _as_input(init, module.dtype)
    return tuple(infos)


@dataclass(frozen=True)
class TraceSite:
    """One site of a trace: its value and the log-probability of that value (summed)."""

    name: str
    kind: str
    value: Tensor[*tuple[Any, ...]]
    log_prob: float


class Trace(Mapping[str, Tensor[*tuple[Any, ...]]]):
    """Every site of one ancestral run: ``trace[name]`` is the value, ``trace.sites[name]``
    the value with its log-probability, ``trace.log_prob`` their sum (the log joint)."""

    def __init__(self, sites: Mapping[str, TraceSite]) -> None:
        self.sites = dict(sites)

    def __getitem__(self, name: str) -> Tensor[*tuple[Any, ...]]:
        return self.sites[name].value

    def __iter__(self) -> Iterator[str]:
        return iter(self.sites)

    def __len__(self) -> int:
        return len(self.sites)

    @property
    def log_prob(self) -> float:
        """The log joint of the traced values."""
        return sum(s.log_prob for s in self.sites.values())


def trace(module: Chain, sites: Sequence[SiteLike], x: Any, gen: np.random.Generator) -> Trace:
    """Ancestral draws: each site from its distribution given the previous site's draw."""
    out: dict[str, TraceSite] = {}
    value: Any = x
    for spec in resolve_sites(module, sites):
        for part in module.layers[spec.start : spec.end]:
            value = part(value)
        if spec.family == DETERMINISTIC:
            out[spec.name] = TraceSite(spec.name, spec.kind, value, 0.0)
            continue
        dist = _distribution(spec, value)
        value = _as_input(dist.sample(gen), module.dtype)
        log_prob = float(dist.log_prob(value.numpy()).sum())  # of the value as kept
        out[spec.name] = TraceSite(spec.name, spec.kind, value, log_prob)
    return Trace(out)


def _check_values(specs: Sequence[SiteSpec], values: Mapping[str, Any]) -> None:
    check_site_names({s.name: s.family for s in specs}, values, "value for")
    missing = [s.name for s in specs if s.name not in values]
    if missing:
        raise ValueError(
            f"log joint: no value for site {describe_names(repr(m) for m in missing)}: "
            "the log joint needs a value for every sample and observe site"
        )


def log_joint(
    module: Chain,
    sites: Sequence[SiteLike],
    x: Any,
    values: Mapping[str, Any],
    *,
    grads: bool = True,
    centers: Mapping[str, Any] | None = None,
) -> tuple[float, dict[str, Array], dict[str, Array]]:
    """``log p(values | x)`` summed over every site, with (when ``grads``) its gradients with
    respect to every parameter (``module.parameters()`` names, the module's dtype) and every
    Normal site's value (float64).

    ``centers`` (optional, by Normal site) replace a site's value by its expectation under a
    guide in the gradient that flows into the site's mean (and so into the parameters and the
    parents): ``E[value - mean] = center - mean`` when the value's noise is independent of the
    parents', so the gradient stays unbiased and loses that noise. The log density and the
    value gradients are unchanged.
    """
    specs = resolve_sites(module, sites)
    _densities(specs, "log joint")
    _check_values(specs, values)
    total = 0.0
    dtype = module.dtype
    value: Any = x
    caches: list[Any] = []
    seeds: list[tuple[Array, Array | None]] = []  # (d log p / d segment output, d / d value)
    for spec in specs:
        for part in module.layers[spec.start : spec.end]:
            value, cache = part.forward(value)
            caches.append(cache)
        dist = _distribution(spec, value)
        given = site_value(spec.name, values[spec.name], dist.shape, spec.family)
        total += float(dist.log_prob(given).sum())
        if grads:
            if isinstance(dist, Normal):
                g = dist.log_prob_grads(given)
                d_loc = g.loc
                if centers is not None and spec.name in centers:
                    center = site_value(spec.name, centers[spec.name], dist.shape, NORMAL)
                    d_loc = dist.log_prob_grads(center).loc
                seeds.append((d_loc, g.value))
            else:
                seeds.append((dist.log_prob_grads(given), None))
        value = _as_input(given, dtype)
    if not grads:
        return total, {}, {}
    return total, *_backward(module, specs, caches, seeds, dtype)


def _backward(
    module: Chain,
    specs: Sequence[SiteSpec],
    caches: list[Any],
    seeds: list[tuple[Array, Array | None]],
    dtype: Any,
) -> tuple[dict[str, Array], dict[str, Array]]:
    records: list[GradRecord] = [NoGrads()] * len(module.layers)
    value_grads: dict[str, Array] = {}
    downstream: Any = None  # d log p / d (this site's value) through the later segments
    for spec, (d_out, d_value) in zip(reversed(specs), reversed(seeds), strict=True):
        if d_value is not None:
            later = 0.0 if downstream is None else downstream.numpy().astype(np.float64)
            value_grads[spec.name] = d_value + later
        grad: Any = Tensor(d_out.astype(dtype, copy=False))
        for i in reversed(range(spec.start, spec.end)):
            records[i], grad = module.layers[i].backward(caches[i], grad)
        downstream = grad
    params = ChainGrads(tuple(records)).as_dict()
    return params, {s.name: value_grads[s.name] for s in specs if s.name in value_grads}
