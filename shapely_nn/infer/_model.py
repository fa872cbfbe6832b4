"""What inference needs from a model: its sites, its parameters and its log joint.

A model here is anything that states its log density: a ``QvrProgram``, or the lifted program
of ``bayesian_lift_parameters`` whose parameters became latent sites. Guides, the ELBO, SVI and
the potentials for MCMC are written against this protocol only (``infer`` never imports
``qvr``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, Self, cast

import numpy as np
import numpy.typing as npt

from shapely_nn._shape import ShapeError
from shapely_nn.guards import describe

Array = npt.NDArray[Any]

NORMAL = "normal"
CATEGORICAL = "categorical"


@dataclass(frozen=True)
class SiteInfo:
    """One site of a model for a given input: its family, the shape of its value, a starting
    value (the observation, or the site's mean under the current parameters) and the scale of
    its spread (its noise or prior scale), for jittering starting points."""

    name: str
    kind: str
    family: str
    shape: tuple[int, ...]
    init: Array
    spread: float


class ProbModel(Protocol):
    """A model with a log density over named sites and named parameters."""

    def site_families(self) -> dict[str, str]:
        """``{site name: "normal" | "categorical"}`` in program order."""
        ...

    def site_infos(self, x: Any, observations: Mapping[str, Any]) -> tuple[SiteInfo, ...]:
        """Every site's shape and starting value for input ``x`` (observations checked)."""
        ...

    def parameters(self) -> dict[str, Array]:
        """The parameters by dotted path."""
        ...

    def with_parameters(self, params: Mapping[str, Array]) -> Self:
        """A copy with these parameters."""
        ...

    def log_joint_and_grads(
        self, x: Any, values: Mapping[str, Any], centers: Mapping[str, Any] | None = None
    ) -> tuple[float, dict[str, Array], dict[str, Array]]:
        """The log joint of ``values`` (every site) and its gradients with respect to every
        parameter and every continuous site's value; ``centers`` (a guide's expected site
        values) may stand in for the values in the gradient reaching the sites' means."""
        ...


_MODEL_METHODS = (
    "site_families",
    "site_infos",
    "parameters",
    "with_parameters",
    "log_joint_and_grads",
)


def require_model(who: str, model: object, name: str = "model") -> ProbModel:
    """``model`` if it has ``ProbModel``'s methods (a ``QvrProgram``, a ``LiftedProgram``),
    else a ``TypeError`` naming the argument."""
    if not all(hasattr(model, m) for m in _MODEL_METHODS):
        raise TypeError(
            f'{who}: argument "{name}" must be a model with a log density (a QvrProgram from '
            f"shapely_nn.qvr.load, or a LiftedProgram), got {describe(model)}"
        )
    return cast(ProbModel, model)


def require_observations(who: str, observations: object) -> Mapping[str, Any]:
    """``observations`` if it is a mapping ``{site name: value}``, else a ``TypeError``."""
    if not isinstance(observations, Mapping):
        raise TypeError(
            f'{who}: argument "observations" must be a mapping {{site name: value}}, got '
            f"{describe(observations)}"
        )
    return observations


def site_names(who: str, names: object) -> frozenset[str]:
    """Site names given as one ``str`` or an iterable of them, else a ``TypeError``."""
    # one name given as a string means that name, not its letters
    items: tuple[object, ...] = ()
    if isinstance(names, str):
        items = (names,)
    elif isinstance(names, Iterable):
        items = tuple(names)
    if not all(isinstance(n, str) for n in items) or not isinstance(names, str | Iterable):
        raise TypeError(
            f'{who}: argument "observed_names" must be site names (str), got {describe(names)}'
        )
    return frozenset(cast(tuple[str, ...], items))


def describe_names(names: Iterable[str], limit: int = 8) -> str:
    """``a, b, c`` (shortened after ``limit`` names)."""
    listed = list(names)
    more = f", ... ({len(listed)} in all)" if len(listed) > limit else ""
    return ", ".join(listed[:limit]) + more


def check_site_names(families: Mapping[str, str], names: Iterable[str], what: str) -> None:
    """``KeyError``-free check: every name is a site, else a ``ValueError`` listing the sites."""
    unknown = [n for n in names if n not in families]
    if unknown:
        raise ValueError(
            f"{what} {describe_names(repr(n) for n in unknown)} "
            f"{'is no site' if len(unknown) == 1 else 'are no sites'} of the model "
            f"(its sites: {describe_names(families)})"
        )


def require_continuous(families: Mapping[str, str], latents: Iterable[str], who: str) -> None:
    """A ``ValueError`` for an unobserved discrete latent: ``who`` needs real unknowns."""
    discrete = [n for n in latents if families[n] == CATEGORICAL]
    if discrete:
        raise ValueError(
            f"{who} needs continuous unknowns, but site {discrete[0]!r} is an unobserved "
            f"Categorical (discrete) latent: pass it in the observations"
        )


def site_value(name: str, value: Any, shape: tuple[int, ...], family: str) -> Array:
    """``value`` as an array of the site's shape (float64, or int64 ids), else ``ShapeError``."""
    array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    if array.shape != shape:
        raise ShapeError(
            f"site {name!r}: value has shape {list(array.shape)}, but the model gives "
            f"{list(shape)} for this input"
        )
    if family == CATEGORICAL:
        if array.dtype.kind not in "iu":
            raise TypeError(f"site {name!r}: a Categorical value must be integer ids")
        return array.astype(np.int64, copy=False)
    if array.dtype.kind not in "fiu":
        raise TypeError(f"site {name!r}: value must be real numbers, got dtype {array.dtype}")
    return array.astype(np.float64, copy=False)


def potential_data(data: tuple[object, ...], who: str) -> tuple[Any, Mapping[str, Any]]:
    """``(x, observations)`` from ``potential(*data)`` (the ``HasPotential`` signature)."""
    if len(data) != 2 or not isinstance(data[1], Mapping):
        raise TypeError(
            f"{who}(x, observations): expected an input and a mapping of observations, got "
            f"{len(data)} argument(s)"
        )
    return data[0], data[1]
