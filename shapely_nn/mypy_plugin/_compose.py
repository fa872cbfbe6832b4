"""Messages for the combinators (``>>``, ``stack``, ``residual``) in the words of composition.

The combinators' static signatures carry the rule as plain generics (``Module[X, Y] >>
Module[Y, Z] -> Chain[X, Z]``, ``stack(make_block: ... -> Module[X, X], n)``); the unifier
checks them like any call. When it finds a disagreement, this module says it in terms of
the parts: which part outputs how many features and which expects how many.
"""

from __future__ import annotations

from mypy.maptype import map_instance_to_supertype
from mypy.types import Instance, ProperType, Type, UnpackType, get_proper_type

from shapely_nn.mypy_plugin._shapes import Infos, dim_of, is_tensor, show_dim, show_type
from shapely_nn.mypy_plugin._unify import Unifier

_C = "shapely_nn.modules._compose."
_CHAIN = "shapely_nn.layers._chain.Chain"
_SAME_LEAD = "shapely_nn.layers._base.SameLead"
_IDS = "shapely_nn.layers._chain.IdsModule"
# Combinators whose block must keep its width: name -> the argument holding the block.
SAME_WIDTH = {_C + "stack": 'argument "make_block"', _C + "residual": 'argument "block"'}


def _size(view: Instance, index: int) -> str:
    if view.type.fullname == _IDS:
        index = 0  # an embedding's view has its output size alone
    if index >= len(view.args):
        return "?"
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


def keep_leading(
    fullname: str, receiver: ProperType, arg_types: list[list[Type]], result: Type, infos: Infos
) -> Type:
    """A ``SameLead`` chain's result with the caller's leading dims in place of ``*Any``.

    ``Chain.__call__`` is typed ``[*Any, In] -> [*Any, Out]`` (a chain may drop or add an
    axis); when every part keeps the leading dims (``Chain[In, Out, SameLead]``), what went
    in before the last axis comes out.
    """
    if not fullname.endswith(".__call__") or not isinstance(receiver, Instance):
        return result
    info = next((i for i in receiver.type.mro if i.fullname == _CHAIN), None)
    if info is None or not arg_types or len(arg_types[0]) != 1:
        return result
    chain = map_instance_to_supertype(receiver, info)
    flag = get_proper_type(chain.args[-1]) if len(chain.args) == 3 else None
    if not isinstance(flag, Instance) or flag.type.fullname != _SAME_LEAD:
        return result
    x, out = get_proper_type(arg_types[0][0]), get_proper_type(result)
    if not (is_tensor(x) and is_tensor(out)):
        return result
    assert isinstance(x, Instance) and isinstance(out, Instance)
    if not x.args or isinstance(get_proper_type(x.args[-1]), UnpackType) or len(out.args) != 2:
        return result
    if not isinstance(get_proper_type(out.args[0]), UnpackType):
        return result
    return Instance(infos.tensor, [*x.args[:-1], out.args[1]])
