"""Parameter declarations: the single description the CLI, recipes, validation and docs read.

A component lists its parameters once, as :class:`Param` objects. ``-p key=value`` strings from
the CLI, typed values from TOML recipes and keyword arguments from Python all go through
:func:`resolve`, so a value is checked the same way wherever it comes from.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterable, Mapping, Sequence

from .errors import ParamError, UnknownName

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_TYPES = (int, float, bool, str, Path)
#: Seeds are 0..2**63-1 (every RNG Muse feeds takes them); item i of a batch uses seed + i.
MAX_SEED = 2**63 - 1


def check_seed(seed: Any, count: int = 1) -> int:
    """``seed`` as an int, refused outside 0..MAX_SEED (for every item of a batch of ``count``)."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ParamError(f"seed={seed!r} is not an integer")
    if not 0 <= seed <= MAX_SEED - (count - 1):
        raise ParamError(f"seed={seed} is out of range; valid: 0..{MAX_SEED - (count - 1)}"
                         + (f" for a batch of {count}" if count > 1 else ""))
    return seed


@dataclass(frozen=True)
class Param:
    """One declared parameter.

    ``type`` is one of int, float, bool, str or Path. ``default=None`` makes a parameter optional
    (the component decides what "not given" means). ``min``/``max`` bound numbers inclusively;
    ``choices`` restricts strings (and numbers) to a fixed set. ``check`` is a cheap test of a
    value that no range can express (a key such as 'D minor', a meter): called with the
    converted value, it raises ParamError. It runs when parameters are resolved, before any model
    loads, so it must import nothing heavy; a module-level function keeps the Param picklable.
    """

    name: str
    type: type
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] | None = None
    check: Callable[[Any], object] | None = None
    #: The parameter names a place the component writes to (style's ``snapshots``): a side
    #: effect that `muse reproduce` never replays from a file's provenance.
    writes: bool = False

    def __post_init__(self) -> None:
        if self.type not in _TYPES:
            raise TypeError(f"Param {self.name!r}: type must be one of int, float, bool, str, Path")
        if self.default is not None:
            object.__setattr__(self, "default", self.coerce(self.default))

    def coerce(self, value: Any) -> Any:
        """Convert ``value`` to this parameter's type and check its range, or raise ParamError."""
        if value is None:
            return None
        converted = self._convert(value)
        self._check(converted)
        if self.check is not None:
            self.check(converted)
        return converted

    def describe_range(self) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(str(c) for c in self.choices)
        if self.min is not None and self.max is not None:
            return f"{self.min}..{self.max}"
        if self.min is not None:
            return f">= {self.min}"
        if self.max is not None:
            return f"<= {self.max}"
        return ""

    def _convert(self, value: Any) -> Any:
        kind = self.type
        try:
            if kind is bool:
                if isinstance(value, bool):
                    return value
                text = str(value).strip().lower()
                if text in _TRUE:
                    return True
                if text in _FALSE:
                    return False
                raise ValueError
            if kind is int:
                if isinstance(value, bool):
                    raise ValueError
                if isinstance(value, float):
                    if not value.is_integer():
                        raise ValueError
                    return int(value)
                return int(str(value).strip())
            if kind is float:
                if isinstance(value, bool):
                    raise ValueError
                number = float(value)
                if math.isnan(number):
                    raise ValueError
                return number
            if kind is Path:
                if not isinstance(value, (str, os.PathLike)) or isinstance(value, bytes):
                    raise TypeError
                return Path(value).expanduser()
            # Text: a string or a path; a number names text too (a label given as index 3 in a
            # recipe), but a flag, a list or a table is a mistake.
            if isinstance(value, os.PathLike):
                return os.fspath(value)
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise TypeError
            return str(value)
        except (TypeError, ValueError):
            expected = {bool: "true or false", int: "an integer", float: "a number", Path: "a path", str: "text"}[kind]
            valid = self.describe_range()
            hint = f"; valid: {valid} ({self.help})" if valid else f" ({self.help})"
            raise ParamError(f"{self.name}={value!r} is not {expected}{hint}") from None

    def _check(self, value: Any) -> None:
        if self.choices is not None and value not in self.choices:
            raise ParamError(f"{self.name}={value!r} is not valid; choose {self.describe_range()}")
        if self.type in (int, float):
            low = self.min if self.min is not None else -math.inf
            high = self.max if self.max is not None else math.inf
            if not low <= value <= high:
                raise ParamError(f"{self.name}={value} is out of range; valid: {self.describe_range()}")


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """Turn CLI ``key=value`` strings into a dict, rejecting malformed items clearly."""
    values: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ParamError(f"expected key=value, got {item!r}")
        values[key.strip().replace("-", "_")] = value
    return values


def resolve(declared: Sequence[Param], given: Mapping[str, Any], owner: str) -> dict[str, Any]:
    """Validate ``given`` against ``declared`` and fill in defaults.

    Unknown keys are an error that lists the valid ones; every error names ``owner`` so a
    message from a recipe step or a batch says which component complained.
    """
    by_name = {p.name: p for p in declared}
    unknown = [key for key in given if key not in by_name]
    if unknown:
        raise UnknownName(f"parameter of {owner}:", unknown[0], by_name)
    values = {}
    for param in declared:
        try:
            values[param.name] = param.coerce(given[param.name]) if param.name in given else param.default
        except ParamError as error:
            raise ParamError(f"{owner}: {error}") from None
    return values


def to_jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter values as JSON-friendly data (paths become strings) for provenance."""
    return {key: str(value) if isinstance(value, Path) else value for key, value in values.items()}
