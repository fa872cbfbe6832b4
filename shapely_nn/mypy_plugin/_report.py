"""Reporting a shape error: the ``shape`` code, and the lines that already have one.

Below every other part of the plugin, so each can report the same way.
"""

from __future__ import annotations

from typing import Any

from mypy.errorcodes import ErrorCode
from mypy.nodes import Context

SHAPE = ErrorCode("shape", "Tensor shapes or sizes disagree", "General")

# The lines of the module being checked where an op already reported a shape error. An op
# that fails answers an array of unknown shape, and NumPy's loose stubs can turn what follows
# on that line into ``Any``: that is the same error, not a new one to report, so the rest of
# the line answers the declared type.
_reported: tuple[object, set[int]] = (None, set())


def note_shape_error(api: object, line: int) -> None:
    """Remember that a shape error was reported at ``line`` of the module ``api`` checks."""
    global _reported
    if _reported[0] is not api:
        _reported = (api, set())
    _reported[1].add(line)


def reported_at(api: object, line: int) -> bool:
    """Whether a shape error was already reported at ``line`` of the module ``api`` checks."""
    return _reported[0] is api and line in _reported[1]


def fail_past_overload_trials(api: Any, reason: str, context: Context) -> None:
    """Report under ``shape`` even while mypy tries an overload with its errors held back.

    mypy tries each item of an overloaded callee with errors filtered: an error there
    rejects the item, and with every item rejected the result becomes ``Any``. A shape error
    is the same whichever item applies, so it is reported past the filter (mypy drops the
    duplicates) and the item is kept.
    """
    note_shape_error(api, context.line)
    errors = getattr(getattr(api, "msg", None), "errors", None)
    watchers = getattr(errors, "_watchers", None)
    if errors is None or not isinstance(watchers, list):
        api.fail(reason, context, code=SHAPE)
        return
    held, errors._watchers = watchers, []
    try:
        api.fail(reason, context, code=SHAPE)
    finally:
        errors._watchers = held
