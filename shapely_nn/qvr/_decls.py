"""Objects and morphisms: checking each declaration and knowing how to build its layer.

* ``role=embed`` ``FinSet n -> Real d``: an ``Embed`` (ids in, vectors out);
* ``role=kernel`` ``A -> B ~ Normal``: a ``Kernel`` (linear mean map, ``scale`` kept);
* ``role=kernel`` ``A -> B ~ Categorical`` with ``B`` a ``FinSet``: a ``CategoricalHead``
  (log-probabilities).

A product of ``Real`` objects in a signature is their concatenation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from shapely_nn.layers._embedding import Embedding
from shapely_nn.models._quivers import CategoricalHead, Embed, Kernel
from shapely_nn.qvr._errors import Pos, QvrError
from shapely_nn.qvr._grammar import Attr, MorphismDecl, Number, ObjectDecl, TypeExpr
from shapely_nn.qvr._types import FINSET, REAL, Part, Type, all_real

ATTRIBUTES = ("role", "replicate", "scale")
ROLES = ("embed", "kernel")
DISTRIBUTIONS = ("Normal", "Categorical")


@dataclass(frozen=True)
class QvrObject:
    """``object name : kind size``."""

    name: str
    kind: str
    size: int


@dataclass(frozen=True)
class QvrMorphism:
    """A declared morphism, as loaded (``scale`` for Normal kernels, else ``None``)."""

    name: str
    domain: str
    codomain: str
    role: str
    distribution: str | None
    scale: float | None
    replicate: int | None


@dataclass(frozen=True)
class Morphism:
    """A checked morphism: its public description, its types and how to build its layer."""

    info: QvrMorphism
    domain: Type
    codomain: Type
    make: Callable[[np.random.Generator], Any]
    pos: Pos
    params: int  # how many parameters the layer has


def positive_int(number: Number, what: str) -> int:
    """``number`` as a positive int, else a ``QvrError`` naming ``what``."""
    text = number.text
    if not text.isdigit() or int(text[:12]) <= 0:
        raise QvrError(f"{what} must be a positive integer, got {text}", number.pos)
    if len(text.lstrip("0")) > 9:
        raise QvrError(f"{what} is too large: {text}", number.pos)
    return int(text)


def check_object(decl: ObjectDecl) -> QvrObject:
    """``object X : FinSet n``: the size must be positive."""
    size = positive_int(decl.size, f"the size of {decl.name.text}")
    return QvrObject(decl.name.text, decl.kind, size)


def resolve_type(expr: TypeExpr, objects: dict[str, QvrObject], *, join: bool) -> Type:
    """The parts of ``A * B``; with ``join``, a product of ``Real`` objects is one ``Real``."""
    parts: list[Part] = []
    for name in expr.names:
        obj = objects.get(name.text)
        if obj is None:
            raise QvrError(f"unknown object '{name.text}'", name.pos)
        parts.append(Part(obj.name, obj.kind, obj.size))
    if join and len(parts) > 1:
        if not all_real(tuple(parts)):
            kinds = " * ".join(p.sized() for p in parts)
            raise QvrError(
                f"{expr} ({kinds}): a product with a FinSet can only be a program's domain",
                expr.pos,
            )
        return (Part(str(expr), REAL, sum(p.size for p in parts)),)
    return tuple(parts)


def _attributes(decl: MorphismDecl) -> dict[str, Attr]:
    found: dict[str, Attr] = {}
    for attr in decl.attrs:
        key = attr.key.text
        if key not in ATTRIBUTES:
            raise QvrError(
                f"unknown attribute '{key}' (expected role, replicate or scale)", attr.key.pos
            )
        if key in found:
            raise QvrError(f"attribute '{key}' is given twice", attr.key.pos)
        found[key] = attr
    return found


def _scale(attr: Attr) -> float:
    text = attr.value.text
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise QvrError(f"scale must be a positive number, got {text}", attr.value.pos)
    return value


def check_morphism(decl: MorphismDecl, objects: dict[str, QvrObject]) -> Morphism:
    """Check a morphism's signature and attributes; the layer it becomes."""
    name = decl.name.text
    dom = resolve_type(decl.domain, objects, join=True)[0]
    cod = resolve_type(decl.codomain, objects, join=True)[0]
    attrs = _attributes(decl)
    dist = decl.dist.text if decl.dist is not None else None
    if decl.dist is not None and dist not in DISTRIBUTIONS:
        raise QvrError(
            f"unknown distribution '{dist}' (expected Normal or Categorical)", decl.dist.pos
        )
    if "role" in attrs:
        role = attrs["role"].value.text
        if role not in ROLES:
            raise QvrError(f"role must be embed or kernel, got {role}", attrs["role"].value.pos)
    elif dist is not None:
        role = "kernel"
    else:
        raise QvrError(f"morphism {name} needs [role=embed] or [role=kernel]", decl.name.pos)
    replicate = (
        positive_int(attrs["replicate"].value, "replicate") if "replicate" in attrs else None
    )
    if role == "embed":
        return _embed(decl, dom, cod, attrs, replicate)
    return _kernel(decl, dom, cod, attrs, dist or "Normal", replicate)


def _info(
    decl: MorphismDecl, role: str, dist: str | None, scale: float | None, rep: int | None
) -> QvrMorphism:
    return QvrMorphism(decl.name.text, str(decl.domain), str(decl.codomain), role, dist, scale, rep)


def _embed(
    decl: MorphismDecl, dom: Part, cod: Part, attrs: dict[str, Attr], replicate: int | None
) -> Morphism:
    name = decl.name.text
    if dom.kind != FINSET:
        raise QvrError(
            f"embed {name} must read a FinSet, but {dom.name} is {dom.sized()}", decl.domain.pos
        )
    if cod.kind != REAL:
        raise QvrError(
            f"embed {name} must give a Real object, but {cod.name} is {cod.sized()}",
            decl.codomain.pos,
        )
    if decl.dist is not None:
        raise QvrError(f"embed {name} is deterministic: drop '~ {decl.dist.text}'", decl.dist.pos)
    if "scale" in attrs:
        raise QvrError(
            f"scale applies to Normal kernels, not to embed {name}", attrs["scale"].key.pos
        )
    n, d = dom.size, cod.size

    def make(gen: np.random.Generator) -> Embed:
        return Embed(Embedding(n, d, rng=gen))

    info = _info(decl, "embed", None, None, replicate)
    return Morphism(info, (dom,), (cod,), make, decl.name.pos, n * d)


def _kernel(
    decl: MorphismDecl,
    dom: Part,
    cod: Part,
    attrs: dict[str, Attr],
    dist: str,
    replicate: int | None,
) -> Morphism:
    name = decl.name.text
    if dom.kind != REAL:
        raise QvrError(
            f"kernel {name} reads {dom.name} ({dom.sized()}); use role=embed to map a FinSet "
            "into a Real object",
            decl.domain.pos,
        )
    n, d = dom.size, cod.size
    if dist == "Categorical":
        if cod.kind != FINSET:
            raise QvrError(
                f"~ Categorical needs a FinSet codomain, but {cod.name} is {cod.sized()}",
                decl.codomain.pos,
            )
        if "scale" in attrs:
            raise QvrError(
                f"scale applies to Normal kernels, not to the Categorical {name}",
                attrs["scale"].key.pos,
            )

        def make_head(gen: np.random.Generator) -> CategoricalHead:
            return CategoricalHead(Kernel.init(n, d, rng=gen))

        info = _info(decl, "kernel", dist, None, replicate)
        return Morphism(
            info,
            (dom,),
            (Part(cod.name, FINSET, d, categorical=True),),
            make_head,
            decl.name.pos,
            n * d + d,
        )
    if cod.kind != REAL:
        raise QvrError(
            f"kernel {name} has a FinSet codomain ({cod.name} is {cod.sized()}); "
            "a kernel onto a FinSet needs ~ Categorical",
            decl.codomain.pos,
        )
    scale = _scale(attrs["scale"]) if "scale" in attrs else 1.0

    def make(gen: np.random.Generator) -> Kernel:
        return Kernel.init(n, d, scale=scale, rng=gen)

    info = _info(decl, "kernel", dist, scale, replicate)
    return Morphism(info, (dom,), (cod,), make, decl.name.pos, n * d + d)
