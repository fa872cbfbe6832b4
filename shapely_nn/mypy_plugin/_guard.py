"""The last line of defence: a bug in a hook must never crash the user's mypy run.

A hook that raises falls back to mypy's own answer (or to ``Any`` for an annotation), so the
worst a plugin bug can do is miss a shape error. Set ``SHAPELY_PLUGIN_DEBUG=1`` to let the
exception through when working on the plugin.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from mypy.plugin import AnalyzeTypeContext
from mypy.types import AnyType, TypeOfAny

R = TypeVar("R")


def _fallback(ctx: Any) -> Any:
    for name in ("default_signature", "default_return_type", "default_attr_type"):
        if hasattr(ctx, name):
            return getattr(ctx, name)
    return AnyType(TypeOfAny.from_error)


def guarded(hook: Callable[[Any], R]) -> Callable[[Any], R]:
    """``hook``, answering mypy's default instead of raising."""

    def safe(ctx: Any) -> R:
        try:
            return hook(ctx)
        except Exception:
            if os.environ.get("SHAPELY_PLUGIN_DEBUG"):
                raise
            if isinstance(ctx, AnalyzeTypeContext):
                ctx.api.fail("shapely_nn plugin could not read this annotation", ctx.context)
            result: R = _fallback(ctx)
            return result

    return safe


def after(
    theirs: Callable[[Any], R] | None, field: str, ours: Callable[[Any], R]
) -> Callable[[Any], R]:
    """``ours`` run on the answer of mypy's own hook ``theirs`` (put in ``ctx.field``)."""
    if theirs is None:
        return ours
    first = theirs

    def both(ctx: Any) -> R:
        return ours(ctx._replace(**{field: first(ctx)}))

    return both
