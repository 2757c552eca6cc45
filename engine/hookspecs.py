"""The hooks a Muse plugin can implement.

Every hook receives a ``register`` callable (or the CLI group) instead of returning values, so one
plugin can contribute any number of components and the engine can tell which plugin made which.
Hooks are called once per engine, in no particular order; a hook that raises is reported under
its plugin's name and the other plugins still load. The full reference with examples is
docs/hooks.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from .components import Composer, Generator, Renderer, Stylizer

hookspec = pluggy.HookspecMarker("muse")
hookimpl = pluggy.HookimplMarker("muse")


@hookspec
def register_generators(register: Callable[[Generator], None]) -> None:
    """Called when the engine first needs generators: call ``register(generator)`` for each one."""


@hookspec
def register_stylizers(register: Callable[[Stylizer], None]) -> None:
    """Called when the engine first needs stylizers: call ``register(stylizer)`` for each one."""


@hookspec
def register_composers(register: Callable[[Composer], None]) -> None:
    """Called when the engine first needs composers: call ``register(composer)`` for each one."""


@hookspec
def register_renderers(register: Callable[[Renderer], None]) -> None:
    """Called when the engine first needs renderers: call ``register(renderer)`` for each file format."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Called while the `muse` CLI is built: add click commands or groups to ``cli``."""
