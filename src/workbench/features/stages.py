"""Named stages of a panel build, for whoever wants to time or measure them (the benchmark).

An engine calls ``stage("peers")`` where a stage begins and ``stage(None)`` when it is done;
``listening(callback)`` hears those calls while its ``with`` block runs. Nobody listens by
default, and then a stage mark costs nothing: the engines' results never depend on it.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

__all__ = ["stage", "listening"]

_listeners: list[Callable[[str | None], None]] = []


def stage(name: str | None) -> None:
    """Mark the start of stage ``name`` (None: the last stage ended)."""
    for listener in list(_listeners):
        listener(name)


@contextmanager
def listening(callback: Callable[[str | None], None]) -> Iterator[None]:
    """Call ``callback(name)`` at every stage mark made inside the block."""
    _listeners.append(callback)
    try:
        yield
    finally:
        _listeners.remove(callback)
