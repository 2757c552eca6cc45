"""Checkpoint metadata checked once, at the door, into typed values.

A ``.safetensors`` file may come from anyone: its header is JSON strings that a loader would
otherwise index blindly (a KeyError for a missing key, a TypeError for ``hidden = "big"``, tens of
GB allocated for ``latent = 10**9``). Each model declares its config once as :class:`Field` s;
:func:`parse_metadata` turns the raw header into ``{"model", "config", "info"}`` and
:func:`validate_config` checks the config against the fields, so everything after it can trust
the types and sizes. Every refusal names the file, the field and the valid range.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar
from collections.abc import Callable, Mapping, Sequence

from .errors import BadInput

#: Longest label list or vocabulary a checkpoint may declare (a sane limit, not a model's need).
MAX_ITEMS = 100_000
#: Highest Unicode code point: a vocabulary past it cannot be decoded back to text.
MAX_CODE_POINT = 0x10FFFF


@dataclass(frozen=True)
class Field:
    """One config entry: ``type`` is int, float, str, bool or list (of strings).

    ``min``/``max`` bound numbers, or the length of a list; ``choices`` restricts strings.
    Bounds are what a loader can build in reasonable memory, so a hostile header is refused
    before anything is allocated.
    """

    name: str
    type: type
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] | None = None
    required: bool = True

    def check(self, value: Any, where: str) -> Any:
        kinds = {int: "an integer", float: "a number", str: "a string", bool: "true or false", list: "a list of strings"}
        ok = {
            int: isinstance(value, int) and not isinstance(value, bool),
            float: isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value),
            str: isinstance(value, str),
            bool: isinstance(value, bool),
            list: isinstance(value, list) and all(isinstance(item, str) for item in value),
        }[self.type]
        if not ok:
            raise BadInput(f"{where}: config field {self.name!r} is {_shown(value)}, not {kinds[self.type]}")
        if self.choices is not None and value not in self.choices:
            raise BadInput(f"{where}: config field {self.name}={value!r} is not one of {', '.join(map(str, self.choices))}")
        size = len(value) if isinstance(value, list) else value
        if self.type in (int, float, list):
            low = -math.inf if self.min is None else self.min
            high = math.inf if self.max is None else self.max
            if not low <= size <= high:
                what = f"{self.name} has {size} items" if isinstance(value, list) else f"{self.name}={value}"
                raise BadInput(f"{where}: config field {what} is outside {_range(self.min, self.max)}")
        return float(value) if self.type is float else value


def _shown(value: Any) -> str:
    text = json.dumps(value)
    return f"{type(value).__name__} {text[:40]}{'...' if len(text) > 40 else ''}"


def _range(low: float | None, high: float | None) -> str:
    return f"{'' if low is None else int(low) if float(low).is_integer() else low}.." \
           f"{'' if high is None else int(high) if float(high).is_integer() else high}"


#: The format every Muse checkpoint's header names.
FORMAT = "muse-checkpoint-1"


def read_header(path: Path | str) -> dict[str, Any]:
    """A checkpoint's ``model``, ``config`` and ``info`` from its header alone: no tensor is read
    and torch is not imported (numpy framework), so a parameter can be checked against it first."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: no such checkpoint file")
    try:
        with safe_open(str(path), framework="numpy") as handle:
            raw = handle.metadata() or {}
    except (SafetensorError, OSError, ValueError) as error:
        raise BadInput(f"{path}: not a safetensors checkpoint ({error})") from None
    return parse_metadata(raw, path, FORMAT)


def parse_metadata(raw: Mapping[str, str], path: Path | str, format_name: str) -> dict[str, Any]:
    """The ``model``, ``config`` (a mapping) and ``info`` (a mapping) of a raw safetensors header."""
    if raw.get("format") != format_name:
        raise BadInput(f"{path}: not a Muse checkpoint (no {format_name} metadata)")
    model = raw.get("model")
    if not isinstance(model, str) or not model:
        raise BadInput(f"{path}: checkpoint metadata has no model name")
    parsed: dict[str, Any] = {"model": model}
    for key, required in (("config", True), ("info", False)):
        text = raw.get(key)
        if text is None and not required:
            parsed[key] = {}
            continue
        try:
            value = json.loads(text) if isinstance(text, str) else None
        except (json.JSONDecodeError, RecursionError):
            raise BadInput(f"{path}: checkpoint {key} is not valid JSON") from None
        if not isinstance(value, dict):
            raise BadInput(f"{path}: checkpoint {key} is {'missing' if text is None else 'not a mapping'}")
        parsed[key] = value
    return parsed


def validate_config(config: Mapping[str, Any], fields: Sequence[Field], path: Path | str, model: str) -> dict[str, Any]:
    """``config`` with every declared field present (or optional), typed and in range.

    Keys the fields do not declare are kept as they are (training settings such as ``lr``).
    """
    checked = dict(config)
    for field in fields:
        if field.name not in config:
            if field.required:
                raise BadInput(f"{path}: not a usable {model} checkpoint (its config has no {field.name!r})")
            continue
        checked[field.name] = field.check(config[field.name], str(path))
    return checked


def check_code_points(codes: Sequence[int], path: Path | str) -> None:
    """A vocabulary stored as code points must be text: 0..U+10FFFF, no surrogates, no repeats."""
    if len(codes) > MAX_ITEMS:
        raise BadInput(f"{path}: vocabulary has {len(codes)} characters; at most {MAX_ITEMS}")
    for code in codes:
        if not 0 <= code <= MAX_CODE_POINT or 0xD800 <= code <= 0xDFFF:
            raise BadInput(f"{path}: vocabulary holds {code}, which is not a Unicode character (0..U+10FFFF)")
    if len(set(codes)) != len(codes):
        raise BadInput(f"{path}: vocabulary lists a character twice")


#: Largest safetensors header read without torch (ours are a few kB; the format allows 100 MB).
MAX_HEADER_BYTES = 100 << 20


def header_metadata(path: Path | str) -> dict[str, str] | None:
    """The ``__metadata__`` strings of a safetensors file, read without torch; None when the file
    is not one. For decisions made before training starts (is OUT a dry run's checkpoint?)."""
    try:
        with open(path, "rb") as handle:
            size = int.from_bytes(handle.read(8), "little")
            if not 2 <= size <= MAX_HEADER_BYTES:
                return None
            header = json.loads(handle.read(size))
    except (OSError, ValueError, RecursionError):
        return None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    return metadata if isinstance(metadata, dict) else None


def is_dry_run_checkpoint(path: Path | str) -> bool:
    """True for a checkpoint `muse train --dry-run` wrote: one a real run replaces, never resumes."""
    metadata = header_metadata(path) or {}
    try:
        info = json.loads(metadata.get("info", "{}"))
    except (ValueError, RecursionError, TypeError):
        return False
    return isinstance(info, dict) and info.get("dry_run") is True


# -- the one checkpoint cache and the one fp16 packing ------------------------------------------
#: How many loaded models each loader keeps: a gallery or `muse eval` touches one or two models of
#: a kind at a time, and a long-lived process (the studio) must not grow with every file it sees.
MODEL_CACHE_SIZE = 4

_Loaded = TypeVar("_Loaded")


class cached_model(Generic[_Loaded]):
    """The checkpoint cache every model loader uses, as a decorator on ``load(path)``: a file is
    loaded once per version (resolved path, modification time and size), and at most
    :data:`MODEL_CACHE_SIZE` models are kept, the least recently used dropped first. A rewritten
    checkpoint (a training run that saved again) is loaded afresh."""

    def __init__(self, load: Callable[[Path], _Loaded]):
        from collections import OrderedDict

        self.load = load
        self.__doc__, self.__name__ = load.__doc__, load.__name__
        self._kept: OrderedDict[tuple[str, int, int], _Loaded] = OrderedDict()

    def __call__(self, path: Path | str) -> _Loaded:
        resolved = Path(path).expanduser().resolve()
        try:
            stat = resolved.stat()
        except OSError:  # the loader says what is wrong with the file
            return self.load(resolved)
        key = (str(resolved), stat.st_mtime_ns, stat.st_size)
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        loaded = self._kept[key] = self.load(resolved)
        while len(self._kept) > MODEL_CACHE_SIZE:
            self._kept.popitem(last=False)
        return loaded

    def __len__(self) -> int:
        return len(self._kept)

    def cache_clear(self) -> None:
        self._kept.clear()


def pack_fp16(tensors: Mapping[str, Any]) -> dict[str, Any]:
    """Floating tensors as fp16 for shipping (half the bytes); others (labels, vocabularies) as
    they are. :func:`unpack_fp16` is its inverse for loading."""
    return {k: v.detach().half() if v.is_floating_point() else v.detach() for k, v in tensors.items()}


def unpack_fp16(tensors: Mapping[str, Any]) -> dict[str, Any]:
    """Floating tensors back to fp32, the precision models compute in."""
    return {k: v.float() if v.is_floating_point() else v for k, v in tensors.items()}
