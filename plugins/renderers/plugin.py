"""Registers the built-in file formats (their code is engine/formats.py, shared with the synthesizer)."""

from engine import hookimpl
from engine.formats import ALL


@hookimpl
def register_renderers(register):
    for renderer in ALL:
        register(renderer())
