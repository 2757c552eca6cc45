"""A work's provenance as a recipe TOML that `muse run` accepts (as ComfyUI exports workflows).

Each step of the chain becomes a ``[[steps]]`` table with its component, parameters and seed,
inputs first; a file the chain started from (an upload) becomes a ``load`` step naming it. The
last step saves the work in the format the studio saved it. Works pass between steps in memory,
as in any recipe: a chain whose input went through a lossy or rounding format on the way (a
JPEG, a MIDI file's ticks) may differ in that detail; ``muse reproduce`` replays those passes.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..errors import MuseError
from ..provenance import Made, Node, SourceFile, parse


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise MuseError(f"a parameter value {value} cannot be written to TOML")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise MuseError(f"a parameter value {value!r} cannot be written to TOML")


def _table(values: dict[str, Any]) -> str:
    items = [f"{json.dumps(k)} = {_value(v)}" if not k.isidentifier() else f"{k} = {_value(v)}"
             for k, v in values.items() if v is not None]
    return "{ " + ", ".join(items) + " }" if items else "{}"


def recipe_toml(meta: dict[str, Any], save_as: str, title: str = "") -> str:
    """The recipe that makes the work whose provenance is ``meta``; it saves ``save_as``."""
    top = parse(meta, "the work's provenance")
    steps: list[str] = []
    names: set[str] = set()

    def unique(base: str) -> str:
        name, number = base, 2
        while name in names:
            name, number = f"{base}-{number}", number + 1
        names.add(name)
        return name

    def emit(node: Node, last: bool) -> str:
        if isinstance(node, SourceFile):
            name = unique("input")
            steps.append(f'[[steps]]\nname = "{name}"\nload = {_value(node.path)}\n')
            return name
        assert isinstance(node, Made)
        inputs = [emit(child, False) for child in node.inputs]
        name = unique(node.component)
        action = {"generator": "generate", "stylizer": "stylize", "composer": "compose"}[node.kind]
        lines = ["[[steps]]", f"name = {_value(name)}", f"{action} = {_value(node.component)}"]
        if inputs:
            lines.append(f"inputs = {_value(inputs)}")
        params = {k: v for k, v in node.params.items() if v is not None}
        if params:
            lines.append(f"params = {_table(params)}")
        lines.append(f"seed = {node.seed}")
        if last:
            lines.append(f"save = {_value([save_as])}")
            render = dict(node.files[-1].params) if node.files else {}
            if render:
                lines.append(f"render = {_table(render)}")
        steps.append("\n".join(lines) + "\n")
        return name

    emit(top, True)
    head = f"# {title}\n" if title else ""
    head += "# Exported by Muse Studio; run it with: muse run THIS.toml -o FOLDER\n\n"
    return head + "\n".join(steps)


__all__ = ["recipe_toml"]
