"""The shapely_nn mypy plugin: enable with ``plugins = shapely_nn.mypy_plugin``.

Imports only mypy, the standard library and ``shapely_nn._dims``.
"""

from __future__ import annotations

from mypy.plugin import Plugin


class ShapelyPlugin(Plugin):
    """Static dimension checks for ``shapely_nn.Tensor`` (grows with the plugin issue)."""


def plugin(version: str) -> type[Plugin]:
    """Entry point mypy calls with its version."""
    return ShapelyPlugin
