"""The ``.qvr`` loader: quivers programs (seed 003) as shapely_nn modules.

``load(path_or_text)`` parses a program with lark, shape-checks every composition (a mismatch
is a ``QvrError`` naming the line, the column, both objects and their sizes) and builds the
exported program as a ``Chain`` of the blocks in ``shapely_nn.models`` (``Embed``, ``Kernel``,
``CategoricalHead``, ``Columns``) and the combinators. See ``docs/qvr.md``.
"""

from shapely_nn.qvr._decls import QvrMorphism, QvrObject
from shapely_nn.qvr._errors import QvrError
from shapely_nn.qvr._load import load
from shapely_nn.qvr._program import QvrProgram

__all__ = ["QvrError", "QvrMorphism", "QvrObject", "QvrProgram", "load"]
