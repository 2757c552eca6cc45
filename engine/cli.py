"""The `muse` command line: a thin layer over :class:`engine.Engine`.

Every error a user can fix is a :class:`MuseError` and prints as one line with exit code 1;
``--debug`` shows the traceback instead. torch is never imported here: `muse --help`,
`muse list` and `muse plugins` stay fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterable

import click

from .api import Engine
from .errors import MuseError, ParamError
from .io import overwrite_policy
from .params import MAX_SEED, Param, parse_assignments

_engine: Engine | None = None
_debug = False
_argv: list[str] = []
#: True when main() runs as the `muse` program itself, not in another process's Python (run_cli).
_owns_process = False


def engine() -> Engine:
    """The engine for this process, built on first use."""
    global _engine
    if _engine is None:
        import warnings

        from .api import PluginWarning

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PluginWarning)
            _engine = Engine()
            _engine.components()
        for warning in caught:
            click.echo(f"muse: warning: {warning.message}", err=True)
        if _owns_process:
            import gc

            # Modules, classes and plugins now loaded live until exit; frozen, the garbage
            # collector skips them during the command and at shutdown (~8 ms of `muse --help`).
            gc.freeze()
    return _engine


def _params(items: Iterable[str]) -> dict[str, str]:
    return parse_assignments(items)


PARAM_OPTION = click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
                            help="A component parameter (repeatable); `muse list NAME` shows them.")
RENDER_OPTION = click.option("-r", "--render-param", "render_params", multiple=True, metavar="KEY=VALUE",
                             help="A renderer parameter such as scale=4 for PNG (repeatable).")
BATCH_SEED_OPTION = click.option("--seed", type=click.IntRange(0, MAX_SEED), default=None, help="Random seed; item i of a batch uses SEED+i.  [default: random, recorded in the file]")
SEED_OPTION = click.option("--seed", type=click.IntRange(0, MAX_SEED), default=None, help="Random seed.  [default: random, recorded in the file]")
FORCE_OPTION = click.option("--force", is_flag=True, help="Overwrite existing output files.")
#: One shared instance: each click.Path() runs a gettext lookup, which start-up pays for every option.
PATH = click.Path(path_type=Path)


class MuseGroup(click.Group):
    """Adds plugin commands when the CLI is first asked for its commands."""

    _plugins_added = False

    def _add_plugin_commands(self) -> None:
        if not self._plugins_added:
            self._plugins_added = True
            for error in engine().host.call("register_commands", lambda plugin: {"cli": self}):
                click.echo(f"muse: warning: {error}", err=True)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._add_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None:
            self._add_plugin_commands()
            command = super().get_command(ctx, name)
        return command


@click.group(cls=MuseGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show the full traceback when something fails.")
@click.version_option(package_name="muse-engine", prog_name="muse")
def cli(debug: bool) -> None:
    """Muse: generate, stylize, compose and render art with models trained here.

    \b
    Quick start:
      muse demo                          a folder of everything the installed plugins make
      muse list                          components and their parameters
      muse generate melody -o tune.mid   one work; -n 4 for a batch
    """
    global _debug
    _debug = _debug or debug


# -- discovery ---------------------------------------------------------------------------------
@cli.command("plugins")
@click.option("--all", "show_all", is_flag=True, help="Include the built-in plugins.")
@click.option("--hook", default=None, help="Only plugins that implement this hook.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins_command(show_all: bool, hook: str | None, as_json: bool) -> None:
    """Installed plugins: version, hooks, components and load errors."""
    eng = engine()
    infos = [i for i in eng.host.plugins.values() if (show_all or not i.builtin) and (hook is None or hook in i.hooks)]
    if as_json:
        import json

        click.echo(json.dumps([vars(i) for i in infos], indent=2))
        return
    left_out = eng.host.not_loaded
    if not infos and not left_out:
        click.echo("No third-party plugins installed; `muse plugins --all` includes the built-in ones.")
    for info in infos:
        click.echo(f"{info.name} {info.version}  [{info.source}]")
        if info.hooks:
            click.echo(f"  hooks: {', '.join(info.hooks)}")
        if info.components:
            click.echo(f"  components: {', '.join(info.components)}")
        for error in info.errors:
            click.secho(f"  error: {error}", fg="red")
    if left_out and hook is None:
        click.echo(f"{len(left_out)} installed, not loaded (MUSE_LOAD_PLUGINS): {', '.join(left_out)}")


def _describe_param(param: Param) -> str:
    import json

    default = "(none)" if param.default is None else json.dumps(param.default if not isinstance(param.default, Path) else str(param.default))
    valid = param.describe_range()
    return f"    {param.name} ({param.type.__name__}, default {default}{'; ' + valid if valid else ''}): {param.help}"


@cli.command("list")
@click.argument("what", required=False)
def list_command(what: str | None) -> None:
    """Components with their parameters. WHAT is a kind (generator...) or a component name."""
    eng = engine()
    components = eng.components()
    if what in ("generator", "stylizer", "composer", "renderer", "generators", "stylizers", "composers", "renderers"):
        components = eng.components(what.rstrip("s"))
    elif what:
        components = [c for c in components if c.name == what]
        if not components:
            from .errors import UnknownName

            raise UnknownName("component", what, {c.name for c in eng.components()})
    kind = None
    for component in components:
        if component.kind != kind:
            kind = component.kind
            click.secho(f"{kind}s:", bold=True)
        extra = ""
        if hasattr(component, "suffixes") and component.kind == "renderer":
            extra = f" {component.work_type.kind} -> {' '.join(component.suffixes)}"
        elif getattr(component, "output", None) is not None:
            inputs = getattr(component, "inputs", None) or ([component.input] if component.kind == "stylizer" else [])
            extra = f" ({' + '.join(t.kind for t in inputs)} -> {component.output.kind})" if inputs else f" (-> {component.output.kind})"
        click.echo(f"  {component.name}{extra}: {component.description}")
        for param in component.params:
            click.echo(_describe_param(param))
        if what and component.train_params:
            click.echo("  train parameters (muse train):")
            for param in component.train_params:
                click.echo(_describe_param(param))


# -- making works ------------------------------------------------------------------------------
def _outputs(out: str, count: int, component: Any) -> list[Path]:
    from .io import numbered

    if not out.strip():
        raise MuseError("the output name is empty; give a file name such as out.png, or a folder/")
    path = Path(out)
    if out.endswith(("/", "\\")) or path.is_dir():
        path = path / f"{component.name}{component.output.default_suffix}"
    return numbered(path, count)


def _check_outputs(paths: list[Path], work_type: type, force: bool) -> None:
    """Refuse bad or existing outputs before any (possibly slow) work starts."""
    from .io import prepare_output

    for path in paths:
        engine().renderer_for(work_type, path.suffix)
        prepare_output(path, force)


def _write(works: list[Any], paths: list[Path], render_params: dict[str, str], force: bool) -> None:
    for work, path in zip(works, paths):
        engine().render(work, path, force=force, **render_params)
        click.echo(f"wrote {path}")


@cli.command("generate")
@click.argument("name")
@PARAM_OPTION
@BATCH_SEED_OPTION
@click.option("-n", "count", type=click.IntRange(1, 1_000_000), default=1, show_default=True, help="How many works.")
@click.option("-o", "--out", required=True, help="Output file (its suffix picks the format) or folder/.")
@click.option("--workers", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Processes to shard a batch over; the files are the same for any number.")
@RENDER_OPTION
@FORCE_OPTION
def generate_command(name: str, params: tuple[str, ...], seed: int | None, count: int, out: str, workers: int,
                     render_params: tuple[str, ...], force: bool) -> None:
    """Make COUNT works with generator NAME and write them to OUT."""
    from .api import new_seed
    from .batch import generate_files
    from .params import check_seed, resolve

    eng = engine()
    generator = eng.get("generator", name)
    paths = _outputs(out, count, generator)
    _check_outputs(paths, generator.output, force)
    values = _params(params)
    resolve(generator.params, values, name)  # fail before any worker starts
    renderer_values = _params(render_params)
    base = new_seed() if seed is None else check_seed(seed, count)
    if count == 1:
        with overwrite_policy(force):
            work = eng.generate(name, seed=base, **values)
        _write([work], paths, renderer_values, force)
        return
    from tqdm import tqdm

    with tqdm(total=count, unit="work", desc=f"generate {name}", disable=None) as bar:
        generate_files(eng, name, values, base, paths, render_params=renderer_values, force=force, workers=workers,
                       progress=bar.update)
    click.echo(f"wrote {count} files: {paths[0]} .. {paths[-1]} (seeds {base}..{base + count - 1})")


@cli.command("stylize")
@click.argument("name")
@click.argument("input_path", metavar="INPUT", type=PATH)
@PARAM_OPTION
@SEED_OPTION
@click.option("-o", "--out", required=True, help="Output file.")
@RENDER_OPTION
@FORCE_OPTION
def stylize_command(name: str, input_path: Path, params: tuple[str, ...], seed: int | None, out: str,
                    render_params: tuple[str, ...], force: bool) -> None:
    """Transform INPUT with stylizer NAME."""
    eng = engine()
    stylizer = eng.get("stylizer", name)
    paths = _outputs(out, 1, stylizer)
    _check_outputs(paths, stylizer.output, force)
    with overwrite_policy(force):  # the stylizer's side files (snapshots) follow --force too
        work = eng.stylize(name, eng.load(input_path), seed=seed, **_params(params))
    _write([work], paths, _params(render_params), force)


@cli.command("compose")
@click.argument("name")
@click.argument("inputs", nargs=-1, required=True, type=PATH)
@PARAM_OPTION
@SEED_OPTION
@click.option("-o", "--out", required=True, help="Output file.")
@RENDER_OPTION
@FORCE_OPTION
def compose_command(name: str, inputs: tuple[Path, ...], params: tuple[str, ...], seed: int | None, out: str,
                    render_params: tuple[str, ...], force: bool) -> None:
    """Combine INPUTS (files, in the order the composer takes them) with composer NAME."""
    eng = engine()
    composer = eng.get("composer", name)
    paths = _outputs(out, 1, composer)
    _check_outputs(paths, composer.output, force)
    with overwrite_policy(force):
        work = eng.compose(name, *[eng.load(path) for path in inputs], seed=seed, **_params(params))
    _write([work], paths, _params(render_params), force)


@cli.command("render")
@click.argument("input_path", metavar="INPUT", type=PATH)
@click.option("-o", "--out", required=True, type=PATH, help="Output file; its suffix picks the format.")
@PARAM_OPTION
@FORCE_OPTION
def render_command(input_path: Path, out: Path, params: tuple[str, ...], force: bool) -> None:
    """Convert a file to another format, e.g. tune.mid to tune.flac (through the synthesizer)."""
    eng = engine()
    work = eng.load(input_path)
    _check_outputs([out], type(work), force)
    _write([work], [out], _params(params), force)


# -- provenance --------------------------------------------------------------------------------
#: Provenance keys _print_meta shows in its own words; every other key is printed as it is.
_SHOWN_ABOVE = {"kind", "component", "plugin", "version", "seed", "params", "checkpoint", "inputs", "muse",
                "files"}


def _print_meta(meta: dict, indent: str = "") -> None:
    import json

    if "component" not in meta:
        click.echo(f"{indent}file {meta.get('source')} (sha256 {str(meta.get('sha256'))[:12]}...)")
        return
    click.echo(f"{indent}{meta['kind']} {meta['component']} (plugin {meta.get('plugin')} {meta.get('version')}), seed {meta.get('seed')}")
    for key, value in meta.get("params", {}).items():
        click.echo(f"{indent}  {key} = {json.dumps(value)}")
    if meta.get("checkpoint"):
        click.echo(f"{indent}  checkpoint sha256 {meta['checkpoint'][:16]}...")
    for step in meta.get("files", []):  # the render settings of each file the work went through
        options = ", ".join(f"{key}={json.dumps(value)}" for key, value in step["params"].items())
        click.echo(f"{indent}  saved as {step['format']}" + (f" ({options})" if options else ""))
    for key, value in meta.items():
        if key not in _SHOWN_ABOVE:  # render/synth settings, a composer's decisions (chords...)
            shown = json.dumps(value, ensure_ascii=False)
            click.echo(f"{indent}  {key}: {shown if len(shown) <= 100 else shown[:97] + '...'}")
    for child in meta.get("inputs", []):
        click.echo(f"{indent}  made from:")
        _print_meta(child, indent + "    ")


@cli.command("info")
@click.argument("path", type=PATH)
@click.option("--json", "as_json", is_flag=True, help="Print the raw provenance JSON.")
def info_command(path: Path, as_json: bool) -> None:
    """Show the provenance embedded in a file Muse wrote."""
    from .works import describe

    eng = engine()
    work = eng.load(path)
    meta = eng.info(path)
    if as_json:
        import json

        click.echo(json.dumps(meta, indent=2, sort_keys=True))
        return
    click.echo(f"{path}: {describe(work)}")
    if not meta:
        click.echo(f"no Muse provenance in {path}")
        return
    _print_meta(meta)


@cli.command("reproduce")
@click.argument("path", type=PATH)
@click.option("-o", "--out", type=PATH, default=None, help="Also write the remade work here.")
@click.option("--allow-path", "allow_paths", multiple=True, type=PATH, metavar="PATH",
              help="Also let the provenance read this file or folder (repeatable); by default only "
                   "files in PATH's own folder are read.")
@FORCE_OPTION
def reproduce_command(path: Path, out: Path | None, allow_paths: tuple[Path, ...], force: bool) -> None:
    """Make PATH's work again from its provenance and say whether it is identical.

    The provenance may come from anyone: it can name components, shipped models and files in
    PATH's folder (or under --allow-path); parameters that write files (snapshots) are not replayed."""
    eng = engine()
    if out is not None:
        from .io import prepare_output

        prepare_output(out, force)
    result = eng.reproduce(path, allow_paths=allow_paths)
    if out is not None and result.remade is not None:
        eng.render(result.remade, out, force=force)
        click.echo(f"wrote {out}")
    click.echo(f"{path}: {result.detail}")
    if not result.identical:
        sys.exit(1)


# -- training ----------------------------------------------------------------------------------
LAUNCH_OPTIONS = {"--nproc": True, "--nnodes": True, "--node-rank": True, "--master-addr": True, "--master-port": True}


def _without_launch_options(args: list[str]) -> list[str]:
    """The command line each rank runs: the same, less the options that started the ranks."""
    kept, skip = [], False
    for arg in args:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in LAUNCH_OPTIONS:
            skip = "=" not in arg
            continue
        kept.append(arg)
    return kept


def _extra_options(args: list[str]) -> dict[str, str]:
    """``--key value`` and ``--key=value`` pairs left over by click, as training parameters."""
    values: dict[str, str] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        if not arg.startswith("--") or len(arg) < 3:
            raise ParamError(f"unexpected argument {arg!r}; training parameters look like --epochs 5")
        key, sep, value = arg[2:].partition("=")
        if not sep:
            if index + 1 >= len(args) or args[index + 1].startswith("--"):
                value = "true"
            else:
                index += 1
                value = args[index]
        values[key.replace("-", "_")] = value
        index += 1
    return values


@cli.command("train", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("name")
@click.option("--data", type=PATH, default=None, help="Training data (file or folder).")
@click.option("--out", type=PATH, default=None, help="Checkpoint to write.  [default: runs/NAME.safetensors]")
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=0, show_default=True,
              help="Seed for initialisation and shuffling.")
@click.option("--dry-run", is_flag=True, help="A couple of steps on a few batches, to check the set-up.")
@click.option("--resume/--no-resume", default=True, show_default=True, help="Continue from OUT's resume state if present.")
@PARAM_OPTION
@FORCE_OPTION
@click.option("--nproc", type=click.IntRange(1, 1024), default=1, show_default=True,
              help="Data-parallel processes on this machine (torch.distributed; gloo on CPU).")
@click.option("--nnodes", type=click.IntRange(1, 1024), default=1, show_default=True, help="Machines in the job.")
@click.option("--node-rank", type=int, default=0, show_default=True, help="This machine's index, 0..nnodes-1.")
@click.option("--master-addr", default="127.0.0.1", show_default=True, help="Address of node 0.")
@click.option("--master-port", type=int, default=None, help="Port on node 0 (required with --nnodes > 1).")
@click.pass_context
def train_command(ctx: click.Context, name: str, data: Path | None, out: Path | None, seed: int, dry_run: bool,
                  resume: bool, params: tuple[str, ...], force: bool, nproc: int, nnodes: int, node_rank: int,
                  master_addr: str, master_port: int | None) -> None:
    """Train model NAME. Model options come as --KEY VALUE (see `muse list NAME`)."""
    values = {**_extra_options(ctx.args), **_params(params)}
    out = out or Path("runs") / f"{name}.safetensors"
    if nproc > 1 or nnodes > 1:
        from .distributed import launch

        eng = engine()
        eng.find_trainable(name)  # unknown names fail here, once, not in every rank
        eng.check_train_output(out, resume=resume, force=force)
        argv = _without_launch_options(_argv)
        sys.exit(launch(argv, nproc, nnodes, node_rank, master_addr, master_port))
    summary = engine().train(name, data=data, out=out, seed=seed, dry_run=dry_run, resume=resume,
                             force=force, **values)
    from .distributed import current_world

    if not current_world().is_main:
        return
    import json

    for key, value in summary.items():
        click.echo(f"{key}: {json.dumps(value) if isinstance(value, (dict, list)) else value}")


@cli.command("eval", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("name")
@click.option("--data", type=PATH, default=None, help="Evaluation data (file or folder).")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@PARAM_OPTION
@click.pass_context
def eval_command(ctx: click.Context, name: str, data: Path | None, as_json: bool, params: tuple[str, ...]) -> None:
    """Evaluate model NAME and print its metrics beside their baselines."""
    values = {**_extra_options(ctx.args), **_params(params)}
    report = engine().evaluate(name, data=data, **values)
    if as_json:
        import json

        click.echo(json.dumps(report, indent=2))
        return
    width = max((len(k) for k in report), default=0)
    for key, value in report.items():
        shown = f"{value:.4g}" if isinstance(value, float) else value
        click.echo(f"{key:<{width}}  {shown}")


@cli.command("run")
@click.argument("recipe", type=PATH)
@click.option("-o", "--out", type=PATH, default=None, help="Folder for the saved files.  [default: the recipe's name]")
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=None, help="Override the recipe's base seed.")
@click.option("--check", is_flag=True, help="Only validate the recipe; run nothing.")
@FORCE_OPTION
def run_command(recipe: Path, out: Path | None, seed: int | None, check: bool, force: bool) -> None:
    """Run a TOML recipe of named generate/stylize/compose steps (see docs/recipes.md)."""
    from .recipes import Recipe

    plan = Recipe.load(recipe, seed=seed)
    folder = out or Path(recipe.stem)
    if check:
        produced = plan.check(engine(), folder, force)
        click.echo(f"{recipe}: {len(produced)} steps are valid ({', '.join(f'{k}: {v.kind}' for k, v in produced.items())})")
        return
    manifest = plan.run(engine(), folder, force=force, echo=click.echo)
    click.echo(f"wrote {manifest}")


@cli.command("demo")
@click.option("-o", "--out", type=PATH, default=Path("demo"), show_default=True, help="Folder to write.")
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=1, show_default=True, help="Seed for every work.")
@FORCE_OPTION
def demo_command(out: Path, seed: int, force: bool) -> None:
    """Make one of everything the installed plugins can make, with a gallery page."""
    from .demo import run_demo

    index = run_demo(engine(), out, seed=seed, force=force, echo=click.echo)
    click.echo(f"open {index} to see and hear the results")


def _shorten(name: str, limit: int = 80) -> str:
    """A file name fit for one line: a 5,000-character name shows its start and its length."""
    return name if len(name) <= limit else f"{name[:limit]}... ({len(name)} characters)"


# -- entry point -------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    """Run the CLI with one-line errors (``--debug`` or MUSE_DEBUG=1 for tracebacks)."""
    import os

    global _debug, _argv, _owns_process
    _owns_process = argv is None
    args = sys.argv[1:] if argv is None else argv
    _argv = list(args)
    _debug = "--debug" in args or os.environ.get("MUSE_DEBUG", "") not in ("", "0")
    try:
        cli.main(args=args, prog_name="muse", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Abort:
        click.echo("muse: aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        if _debug:
            raise
        click.echo("muse: interrupted", err=True)
        sys.exit(130)
    except MuseError as error:
        if _debug:
            raise
        click.echo(f"muse: error: {error}", err=True)
        sys.exit(1)
    except Exception as error:
        if _debug:
            raise
        if isinstance(error, OSError) and error.filename is not None:  # the environment, not a bug
            click.echo(f"muse: error: {_shorten(str(error.filename))}: {error.strerror or error}", err=True)
            sys.exit(1)
        click.echo(f"muse: error: {type(error).__name__}: {error} (a bug: run again with --debug and report the traceback)", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
