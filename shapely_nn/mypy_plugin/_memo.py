"""Answers kept per mypy object, for hooks that mypy calls again and again on the same one."""

from __future__ import annotations

from typing import Generic, TypeVar

V = TypeVar("V")


class ByIdentity(Generic[V]):
    """A value per object, found by the object's identity (mypy's types compare structurally,
    which costs more than the answer saves). The object is kept alive with its value, so that
    its id stays its own; at ``size`` entries everything is dropped."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._kept: dict[int, tuple[object, V]] = {}

    def get(self, key: object) -> V | None:
        """The value kept for ``key``, or None."""
        hit = self._kept.get(id(key))
        return hit[1] if hit is not None and hit[0] is key else None

    def put(self, key: object, value: V) -> V:
        """Keep ``value`` for ``key``; return it."""
        if len(self._kept) >= self._size:
            self._kept.clear()
        self._kept[id(key)] = (key, value)
        return value
