"""`muse plugin new NAME`: the plugin-author commands, added through the register_commands hook
like any third-party plugin would add its own (the hook is documented in docs/hooks.md)."""

from __future__ import annotations

from pathlib import Path

import click

from engine import hookimpl


@hookimpl
def register_commands(cli):
    @cli.group("plugin")
    def plugin_group() -> None:
        """Tools for writing Muse plugins."""

    @plugin_group.command("new")
    @click.argument("name")
    @click.option("--dir", "folder", type=click.Path(path_type=Path), default=None,
                  help="Folder to create the package in.  [default: ./muse-NAME]")
    def new_command(name: str, folder: Path | None) -> None:
        """Write a new plugin package for NAME.

        The package is complete and installable: a pyproject with the `muse` entry point, a
        generator, a README, and tests that use engine.testing and pass after `pip install -e .`.
        """
        from engine.plugins import engine_version

        from .package import PackageNames, write_package

        names = PackageNames.from_name(name)
        folder = folder or Path(names.dist)
        for path in write_package(names, folder, engine_version()):
            click.echo(f"wrote {path}")
        click.echo(f"\nnext:\n  cd {folder}\n  pip install -e .\n  python -m pytest\n"
                   f"  muse generate {names.slug} -o {names.slug}.png")
