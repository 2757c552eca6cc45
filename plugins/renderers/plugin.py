"""Registers the built-in file formats."""

from engine import hookimpl

from .formats import ALL


@hookimpl
def register_renderers(register):
    for renderer in ALL:
        register(renderer())
