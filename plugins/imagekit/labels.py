"""Class labels by name or index, checked against a checkpoint's classes.

Torch-free, so a component can refuse ``label=hat`` from the checkpoint's header before any
model loads (a typo answered in a fraction of a second, not after a 3.5 s torch import).
"""

from __future__ import annotations

import re
from pathlib import Path
from collections.abc import Sequence

from engine import ParamError, UnknownName
from engine.checkpoints import read_header


def _plain(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def resolve_label(value: str | None, classes: Sequence[str], owner: str) -> int | None:
    """A ``label`` parameter (a class name, a part of one such as ``top``, or an index) as an index."""
    if value is None or value == "":
        return None
    if not classes:
        raise ParamError(f"{owner}: label={value!r} given, but this model was trained without labels")
    text = str(value).strip()
    if text.isdigit():
        index = int(text)
        if index < len(classes):
            return index
        raise ParamError(f"{owner}: label={index} is out of range; valid: 0..{len(classes) - 1} or a name")
    wanted = _plain(text)
    for index, name in enumerate(classes):
        if wanted == _plain(name) or wanted in (_plain(part) for part in name.split("/")):
            return index
    raise UnknownName(f"label of {owner}:", text, classes)


def checkpoint_classes(path: Path) -> list[str]:
    """The class names a checkpoint was trained on, read from its header alone."""
    classes = read_header(path).get("config", {}).get("classes") or []
    return [str(name) for name in classes] if isinstance(classes, list) else []
