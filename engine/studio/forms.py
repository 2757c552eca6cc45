"""A component's declared parameters as a form, and submitted values checked the CLI's way.

Nothing is validated twice: each field's value goes through :func:`engine.params.resolve` (the
function the CLI, recipes and Python calls use), one field at a time so that the message can be
shown next to the field it is about, then all together, exactly as `muse generate -p` would.

How a ``Param`` becomes a field:

========================================  ====================================================
declared                                  widget
========================================  ====================================================
``choices=(...)``                         ``select``
``bool``                                  ``toggle``
``int``/``float`` with ``min`` and ``max``  ``slider`` with a number field beside it
``int``/``float`` otherwise               ``number``
``Path``                                  ``file``: upload, or pick a work from the history
``str``                                   ``text``
========================================  ====================================================

A component can ask for another widget with an optional class attribute ``studio_widgets``, a
dict of parameter name to widget name: ``{"style": "file"}`` makes a ``str`` parameter that
names image files a file picker (``file`` values are always workspace paths), ``"textarea"``
gives a multi-line text box. Parameters declared with ``writes=True`` (they write files
elsewhere, such as style's ``snapshots``) are not offered: the studio writes only its workspace.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from collections.abc import Mapping

from ..components import Component
from ..errors import MuseError, ParamError, UnknownName
from ..params import MAX_SEED, Param, check_seed, resolve

WIDGETS = ("select", "toggle", "slider", "number", "file", "text", "textarea")
#: The most works one job may make (a browser page of results, not a data set: use the CLI).
MAX_COUNT = 64


def widget_for(component: Component, param: Param) -> str:
    custom = getattr(component, "studio_widgets", {}) or {}
    if param.name in custom and custom[param.name] in WIDGETS:
        return str(custom[param.name])
    if param.choices is not None:
        return "select"
    if param.type is bool:
        return "toggle"
    if param.type in (int, float):
        return "slider" if param.min is not None and param.max is not None else "number"
    if param.type is Path:
        return "file"
    return "text"


def _jsonable(value: Any) -> Any:
    return str(value) if isinstance(value, Path) else value


def field(component: Component, param: Param) -> dict[str, Any]:
    widget = widget_for(component, param)
    spec: dict[str, Any] = {
        "name": param.name,
        "type": param.type.__name__,
        "default": _jsonable(param.default),
        "help": param.help,
        "widget": widget,
        "range": param.describe_range(),
        "optional": param.default is None,
    }
    if param.min is not None:
        spec["min"] = param.min
    if param.max is not None:
        spec["max"] = param.max
    if param.choices is not None:
        spec["choices"] = [_jsonable(c) for c in param.choices]
    if widget == "slider":
        spec["step"] = 1 if param.type is int else _float_step(param)
    return spec


def _float_step(param: Param) -> float:
    span = float(param.max) - float(param.min)  # type: ignore[arg-type]
    step = span / 100
    for nice in (0.001, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0):
        if step <= nice:
            return nice
    return step


def offered(component: Component) -> list[Param]:
    return [p for p in component.params if not p.writes]


def file_params(component: Component) -> list[str]:
    return [p.name for p in offered(component) if widget_for(component, p) == "file"]


def describe(component: Component) -> dict[str, Any]:
    """What the page needs to draw a component's form."""
    inputs: list[str] = []
    if component.kind == "stylizer":
        inputs = [t.kind for t in component.takes]  # (input,)
    elif component.kind == "composer":
        inputs = [t.kind for t in component.takes]  # inputs
    output = getattr(component, "output", None)
    return {
        "kind": component.kind,
        "name": component.name,
        "description": component.description,
        "inputs": inputs,
        "output": output.kind if output is not None else None,
        "suffix": output.default_suffix if output is not None else None,
        "params": [field(component, p) for p in offered(component)],
        "batch": component.kind == "generator",
        "trainable": component.trainable,
        "train_params": [field(component, p) for p in component.train_params if not p.writes],
    }


def values_from(form: Mapping[str, Any]) -> dict[str, str]:
    """Submitted values as the strings `-p key=value` would give; empty fields are not given."""
    given: dict[str, str] = {}
    for key, value in form.items():
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        given[str(key)] = str(value)
    return given


def validate(component: Component, form: Mapping[str, Any], seed: Any = None, count: Any = None) -> tuple[dict[str, str], dict[str, str]]:
    """``(values, errors)``: the given values (strings, as the CLI passes them) and, per field,
    the one-line message the CLI would print. ``seed`` and ``n`` are checked as the CLI's options
    are; a field named ``_`` holds an error that belongs to no field."""
    values = values_from(form)
    errors: dict[str, str] = {}
    declared = {p.name for p in offered(component)}
    writes = {p.name for p in component.params if p.writes}
    owner = component.name
    for key in list(values):
        if key in writes:
            errors[key] = f"{owner}: {key} writes files outside the studio's workspace; use the CLI for it"
            continue
        if key not in declared:
            errors[key] = str(UnknownName(f"parameter of {owner}:", key, declared))
            continue
        try:
            resolve(component.params, {key: values[key]}, owner)
        except MuseError as error:
            errors[key] = str(error)
    if not errors:
        try:  # all together: a component's own cross-field checks run here, as in the CLI
            component.check(resolve(component.params, values, owner))
        except MuseError as error:
            errors["_"] = str(error)
    number = 1
    if count not in (None, ""):
        try:
            number = int(str(count))
            if not 1 <= number <= MAX_COUNT:
                raise ValueError
        except ValueError:
            errors["n"] = f"n={count!r} is not valid; valid: 1..{MAX_COUNT} in the studio"
            number = 1
    if seed not in (None, ""):
        try:
            check_seed(int(str(seed)), number)
        except ParamError as error:
            errors["seed"] = str(error)
        except ValueError:
            errors["seed"] = f"seed={seed!r} is not an integer; valid: 0..{MAX_SEED}"
    return values, errors


__all__ = ["describe", "field", "validate", "widget_for", "file_params", "values_from", "MAX_COUNT"]
