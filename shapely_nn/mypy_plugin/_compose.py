"""Messages for the combinators (``>>``, ``stack``, ``residual``) in the words of composition.

The combinators' static signatures carry the rule as plain generics (``Module[X, Y] >>
Module[Y, Z] -> Chain[X, Z]``, ``stack(make_block: ... -> Module[X, X], n)``); the unifier
checks them like any call. When it finds a disagreement, this module says it in terms of
the parts: which part outputs how many features and which expects how many.
"""

from __future__ import annotations

from mypy.types import Instance

from shapely_nn.mypy_plugin._shapes import dim_of, show_dim, show_type
from shapely_nn.mypy_plugin._unify import Unifier

_C = "shapely_nn.modules._compose."
# Combinators whose block must keep its width: name -> the argument holding the block.
SAME_WIDTH = {_C + "stack": 'argument "make_block"', _C + "residual": 'argument "block"'}


def _size(view: Instance, index: int) -> str:
    d = dim_of(view.args[index], {}, formal=False)
    return "?" if isinstance(d, str) or d is None else show_dim(d)


def composition_reason(fullname: str, u: Unifier) -> str | None:
    """The message for a failed combinator call, or ``None`` to keep the unifier's."""
    if fullname.endswith(".__rshift__"):
        left, right = u.views.get("the left operand"), u.views.get("the right operand")
        if left is None or right is None:
            return None
        (la, lv), (ra, rv) = left, right
        return (
            f'">>" joins {show_type(la)} to {show_type(ra)}: the left outputs '
            f"{_size(lv, 1)} features, the right expects {_size(rv, 0)}"
        )
    arg = SAME_WIDTH.get(fullname)
    if arg is not None and arg in u.views:
        block, view = u.views[arg]
        name = fullname.rsplit(".", 1)[-1]
        return (
            f"{name} needs a block that keeps its width (Module[X, X]), got {show_type(block)}: "
            f"it maps {_size(view, 0)} features to {_size(view, 1)}"
        )
    return None
