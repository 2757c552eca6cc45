"""The hooks a Muse plugin can implement.

Every hook receives a ``register`` callable (or the CLI group) instead of returning values, so one
plugin can contribute any number of components and the engine can tell which plugin made which.
Hooks are called once per engine, in no particular order; a hook that raises is reported under
its plugin's name and the other plugins still load. The full reference with examples is
docs/hooks.md.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("muse")
hookimpl = pluggy.HookimplMarker("muse")


@hookspec
def register_generators(register):
    """Called when the engine first needs generators: call ``register(generator)`` for each one."""


@hookspec
def register_stylizers(register):
    """Called when the engine first needs stylizers: call ``register(stylizer)`` for each one."""


@hookspec
def register_composers(register):
    """Called when the engine first needs composers: call ``register(composer)`` for each one."""


@hookspec
def register_renderers(register):
    """Called when the engine first needs renderers: call ``register(renderer)`` for each file format."""


@hookspec
def register_commands(cli):
    """Called while the `muse` CLI is built: add click commands or groups to ``cli``."""
