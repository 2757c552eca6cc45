"""Errors a user can act on.

Anything raised as a :class:`MuseError` is shown at the CLI as one line and a non-zero exit;
everything else is a bug and keeps its traceback behind ``--debug``.

Errors cross process boundaries (``--workers N`` sends a worker's error back to the parent by
pickling it), so every subclass pickles with its message and attributes intact, whatever its
``__init__`` takes: :meth:`MuseError.__reduce__` rebuilds the instance without calling
``__init__`` again (which would need the original arguments, or format the message twice).
"""

from __future__ import annotations

from typing import Any
from collections.abc import Iterable


def _rebuild(cls: type[MuseError], args: tuple[Any, ...], state: dict[str, Any]) -> MuseError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class MuseError(Exception):
    """A problem with the user's input or environment, explained in one line."""

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), self.args, dict(self.__dict__))


class UnknownName(MuseError, KeyError):
    """A component, parameter, plugin or format name that does not exist."""

    def __init__(self, what: str, name: str, valid: Iterable[str]):
        self.what, self.name, self.valid = what, name, sorted(valid)
        listing = ", ".join(self.valid) if self.valid else "none are installed"
        super().__init__(f"unknown {what} {name!r}; valid: {listing}")

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class ParamError(MuseError, ValueError):
    """A parameter value of the wrong type or outside its declared range."""


class OutputExists(MuseError, FileExistsError):
    """Refusing to overwrite a file the user did not ask us to replace."""

    def __init__(self, path: object):
        self.path = path
        super().__init__(f"{path} already exists; use --force to overwrite it")


class BadInput(MuseError):
    """An input file or data set that cannot be used, named with the reason."""


class PluginError(MuseError):
    """A plugin that could not be loaded, or two plugins that clash."""
