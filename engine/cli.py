"""The `muse` command line: a thin layer over :class:`engine.Engine`.

Every error a user can fix is a :class:`MuseError` and prints as one line with exit code 1;
``--debug`` shows the traceback instead. torch is never imported here: `muse --help`,
`muse list` and `muse plugins` stay fast.

One invocation's state (its engine, ``--debug``, the commands plugins added) lives in a
:class:`CliState` in click's ``ctx.obj``, never in module globals, so in-process runs
(``engine.testing.run_cli``, click's ``CliRunner``) do not leak into each other.

Option spelling: ``-p KEY=VALUE`` is always a parameter of the component named on the command
line (or, for `muse train`/`muse eval`, ``--KEY VALUE`` as well); ``-r KEY=VALUE`` is always an
option of the renderer, the file format written. `muse render` has no component, so its options
are ``-r``; ``-p`` is kept there as an alias.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from collections.abc import Iterable

import click

from .api import Engine
from .components import Renderer
from .errors import MuseError, UnknownName
from .io import overwrite_policy
from .params import MAX_SEED, Param, parse_assignments
from .works import Work


@dataclass
class CliState:
    """What one `muse` invocation holds: click keeps it in ``ctx.obj``."""

    engine: Engine | None = None
    debug: bool = False
    #: True when main() runs as the `muse` program itself, not in another process's Python (run_cli).
    owns_process: bool = False
    #: Commands the plugins' register_commands hooks added, built on first need.
    plugin_commands: dict[str, click.Command] | None = None
    warned: set[str] = field(default_factory=set)

    def get_engine(self) -> Engine:
        """This invocation's engine, built on first use; plugin problems are warned about once."""
        if self.engine is None:
            import warnings

            from .api import PluginWarning

            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", PluginWarning)
                self.engine = Engine()
                self.engine.components()
            for warning in caught:
                self.warn(str(warning.message))
            if self.owns_process:
                import gc

                # Modules, classes and plugins now loaded live until exit; frozen, the garbage
                # collector skips them during the command and at shutdown (~8 ms of `muse --help`).
                gc.freeze()
        return self.engine

    def warn(self, message: str) -> None:
        if message not in self.warned:
            self.warned.add(message)
            click.echo(f"muse: warning: {message}", err=True)


def _state(ctx: click.Context | None = None) -> CliState:
    ctx = ctx or click.get_current_context()
    return ctx.find_root().ensure_object(CliState)


def engine() -> Engine:
    """The engine of the running command, built on first use."""
    return _state().get_engine()


def _params(items: Iterable[str]) -> dict[str, str]:
    return parse_assignments(items)


PARAM_OPTION = click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
                            help="A component parameter (repeatable); `muse list NAME` shows them.")
RENDER_OPTION = click.option("-r", "--render-param", "render_params", multiple=True, metavar="KEY=VALUE",
                             help="An option of the file format written, such as scale=4 for PNG (repeatable).")
BATCH_SEED_OPTION = click.option("--seed", type=click.IntRange(0, MAX_SEED), default=None, help="Random seed; item i of a batch uses SEED+i.  [default: random, recorded in the file]")
SEED_OPTION = click.option("--seed", type=click.IntRange(0, MAX_SEED), default=None, help="Random seed.  [default: random, recorded in the file]")
FORCE_OPTION = click.option("--force", is_flag=True, help="Overwrite existing output files.")
#: One shared instance: each click.Path() runs a gettext lookup, which start-up pays for every option.
PATH = click.Path(path_type=Path)


class MuseGroup(click.Group):
    """Adds plugin commands when the CLI is first asked for its commands.

    Each plugin's register_commands gets a group of its own holding the built-in commands; what
    it adds is kept in this invocation's state, so the module-level group never changes."""

    def _plugin_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        state = _state(ctx)
        if state.plugin_commands is None:
            state.plugin_commands = {}
            scratch: dict[str, click.Group] = {}

            def group_for(plugin: str) -> dict[str, Any]:
                scratch[plugin] = click.Group(self.name, commands=dict(self.commands))
                return {"cli": scratch[plugin]}

            host = state.get_engine().host
            for error in host.call("register_commands", group_for):
                state.warn(error)
            for plugin, group in scratch.items():
                for name, command in group.commands.items():
                    if self.commands.get(name) is command:
                        continue
                    if name in self.commands or name in state.plugin_commands:
                        state.warn(f"plugin {plugin!r}: register_commands: a command {name!r} exists already; "
                                   "kept the first one")
                        continue
                    state.plugin_commands[name] = command
        return state.plugin_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugin_commands(ctx)})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None:
            command = self._plugin_commands(ctx).get(name)
        return command


@click.group(cls=MuseGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show the full traceback when something fails.")
@click.version_option(package_name="muse-engine", prog_name="muse")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Muse: generate, stylize, compose and render art with models trained here.

    \b
    Quick start:
      muse demo                          a folder of everything the installed plugins make
      muse list                          components and their parameters
      muse generate melody -o tune.mid   one work; -n 4 for a batch

    -p KEY=VALUE sets a parameter of the component, -r KEY=VALUE an option of the file format.
    """
    state = _state(ctx)
    state.debug = state.debug or debug


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
        output: type[Work] | None = getattr(component, "output", None)
        if hasattr(component, "suffixes") and component.kind == "renderer":
            renderer = cast(Renderer, component)
            extra = f" {renderer.work_type.kind} -> {' '.join(renderer.suffixes)}"
        elif output is not None:
            inputs = component.takes
            extra = f" ({' + '.join(t.kind for t in inputs)} -> {output.kind})" if inputs else f" (-> {output.kind})"
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
    generator.check(resolve(generator.params, values, name))  # fail before any worker starts
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
@click.option("-r", "--render-param", "-p", "--param", "render_params", multiple=True, metavar="KEY=VALUE",
              help="An option of the file format written, such as reverb=0.3 for audio (repeatable; -p is an alias).")
@FORCE_OPTION
def render_command(input_path: Path, out: Path, render_params: tuple[str, ...], force: bool) -> None:
    """Convert a file to another format, e.g. tune.mid to tune.flac (through the synthesizer)."""
    eng = engine()
    work = eng.load(input_path)
    _check_outputs([out], type(work), force)
    _write([work], [out], _params(render_params), force)


# -- provenance --------------------------------------------------------------------------------
#: Provenance keys _print_meta shows in its own words; every other key is printed as it is.
_SHOWN_ABOVE = {"kind", "component", "plugin", "version", "seed", "params", "checkpoint", "inputs", "muse",
                "files", "made_inputs"}


def _print_meta(meta: dict[str, Any], indent: str = "") -> None:
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
    inputs = meta.get("inputs", [])
    made = meta.get("made_inputs", 0) if isinstance(meta.get("made_inputs"), int) else 0
    for number, child in enumerate(inputs):  # what the component made itself comes last
        click.echo(f"{indent}  {'made on the way' if number >= len(inputs) - made else 'made from'}:")
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


# -- training and evaluation -------------------------------------------------------------------
def _model_option(param: Param) -> click.Option:
    """A model's declared parameter as a `--KEY VALUE` option; its value stays text until
    :func:`engine.params.resolve` converts and checks it, as for ``-p``."""
    import json

    default = "none" if param.default is None else json.dumps(param.default if not isinstance(param.default, Path) else str(param.default))
    valid = param.describe_range()
    help_text = f"{param.help}  [{param.type.__name__}, default {default}{'; ' + valid if valid else ''}]"
    flag = "--" + param.name.replace("_", "-")
    if param.type is bool:  # `--flag` alone means true; `--flag false` works too
        return click.Option([flag, param.name], is_flag=False, flag_value="true", default=None, metavar="[BOOL]",
                            help=help_text)
    return click.Option([flag, param.name], default=None, metavar=param.type.__name__.upper(), help=help_text)


class ModelCommand(click.Command):
    """One model's `muse train NAME` / `muse eval NAME`: the shared options plus the model's own.

    ``--batch_size`` is read as ``--batch-size``; an option nobody declares is an UnknownName
    listing the model's parameters, like ``-p`` would give."""

    def __init__(self, *args: Any, what: str, declared: tuple[Param, ...], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.what, self.declared = what, declared

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        normal: list[str] = []
        for arg in args:
            if arg == "--":
                normal.extend(args[len(normal):])
                break
            if arg.startswith("--"):
                key, sep, value = arg.partition("=")
                arg = key.replace("_", "-") + sep + value
            normal.append(arg)
        try:
            return super().parse_args(ctx, normal)
        except click.NoSuchOption as error:
            name = error.option_name.lstrip("-").replace("-", "_")
            raise UnknownName(f"parameter of {self.what}:", name, [p.name for p in self.declared]) from None


class ModelGroup(click.Group):
    """`muse train` and `muse eval`: one subcommand per model that can, made from its declaration,
    so `muse train NAME --help` lists the model's own parameters."""

    def __init__(self, *args: Any, verb: str, template: click.Command, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.verb, self.template = verb, template

    def _models(self) -> dict[str, Any]:
        attribute = "trainable" if self.verb == "train" else "evaluable"
        return {c.name: c for c in engine().components() if getattr(c, attribute)}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._models())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        component = (engine().find_trainable if self.verb == "train" else engine().find_evaluable)(name)
        declared = component.train_params if self.verb == "train" else component.eval_params
        shared = {p.name for p in self.template.params}
        own = [_model_option(p) for p in declared if p.name not in shared]
        first = own[0].opts[0] if own else None
        where = f" its own parameters start at {first} below, given as --KEY VALUE or -p KEY=VALUE" if first else ""
        return ModelCommand(name, params=[*self.template.params, *own], callback=self.template.callback,
                            help=f"{'Train' if self.verb == 'train' else 'Evaluate'} {name}: {component.description.rstrip('.')}."
                                 f"\n\n{self.template.help}{where}.",
                            short_help=component.description, what=f"{self.verb} {name}", declared=declared)


def _model_values(params: tuple[str, ...], own: dict[str, Any]) -> dict[str, Any]:
    """The model's parameters as given: ``--KEY VALUE`` options, then ``-p KEY=VALUE``."""
    return {**{key: value for key, value in own.items() if value is not None}, **_params(params)}


def _check_before_launch(eng: Engine, name: str, data: Path | None, out: Path, resume: bool, force: bool,
                         dry_run: bool, values: dict[str, Any]) -> None:
    """What `Engine.train` checks before any work, checked once here instead of in every rank."""
    from .errors import BadInput
    from .params import resolve

    resolve(eng.find_trainable(name).train_params, values, f"train {name}")
    eng.check_train_output(out, resume=resume, force=force, dry_run=dry_run)
    if data is not None and not Path(data).exists():
        raise BadInput(f"{data}: no such file or folder")


@click.command("train")
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
def _train_template(ctx: click.Context, /, data: Path | None, out: Path | None, seed: int, dry_run: bool, resume: bool,
                    params: tuple[str, ...], force: bool, nproc: int, nnodes: int, node_rank: int, master_addr: str,
                    master_port: int | None, **own: Any) -> None:
    """Common options come first;"""
    name = ctx.info_name
    assert name is not None, "click names every command it invokes"
    values = _model_values(params, own)
    out = out or Path("runs") / f"{name}.safetensors"
    eng = engine()
    if nproc > 1 or nnodes > 1:
        from .distributed import launch, rank_argv

        _check_before_launch(eng, name, data, out, resume, force, dry_run, values)
        sys.exit(launch(rank_argv(ctx), nproc, nnodes, node_rank, master_addr, master_port))
    summary = eng.train(name, data=data, out=out, seed=seed, dry_run=dry_run, resume=resume, force=force, **values)
    from .distributed import current_world

    if not current_world().is_main:
        return
    import json

    for key, value in summary.items():
        click.echo(f"{key}: {json.dumps(value) if isinstance(value, (dict, list)) else value}")


@click.command("eval")
@click.option("--data", type=PATH, default=None, help="Evaluation data (file or folder).")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@PARAM_OPTION
@click.pass_context
def _eval_template(ctx: click.Context, /, data: Path | None, as_json: bool, params: tuple[str, ...], **own: Any) -> None:
    """Prints the metrics beside their baselines;"""
    assert ctx.info_name is not None, "click names every command it invokes"
    report = engine().evaluate(ctx.info_name, data=data, **_model_values(params, own))
    if as_json:
        import json

        click.echo(json.dumps(report, indent=2))
        return
    width = max((len(k) for k in report), default=0)
    for key, value in report.items():
        shown = f"{value:.4g}" if isinstance(value, float) else value
        click.echo(f"{key:<{width}}  {shown}")


cli.add_command(ModelGroup("train", verb="train", template=_train_template, help=(
    "Train model NAME (`muse train NAME --help` lists its parameters, given as --KEY VALUE or -p KEY=VALUE).")))
cli.add_command(ModelGroup("eval", verb="eval", template=_eval_template, help=(
    "Evaluate model NAME and print its metrics (`muse eval NAME --help` lists its parameters).")))


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


@cli.command("studio")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on; any but loopback needs --token.")
@click.option("--port", type=click.IntRange(0, 65535), default=7860, show_default=True, help="Port to listen on.")
@click.option("--workspace", type=PATH, default=Path("muse-studio"), show_default=True,
              help="Folder for the history, uploads and downloads.")
@click.option("--token", default=None, help="Require this token on every request (`auto`: generate one).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes running jobs (each keeps its models loaded).")
@click.option("--max-upload", type=click.IntRange(1, 4096), default=32, show_default=True, help="Largest upload, in MB.")
def studio_command(host: str, port: int, workspace: Path, token: str | None, workers: int, max_upload: int) -> None:
    """A local web UI: forms for every component, a job queue, a history (docs/studio.md)."""
    from .studio.cli import studio

    studio(host, port, workspace, token, workers, max_upload, click.echo)


def _shorten(name: str, limit: int = 80) -> str:
    """A file name fit for one line: a 5,000-character name shows its start and its length."""
    return name if len(name) <= limit else f"{name[:limit]}... ({len(name)} characters)"


# -- entry point -------------------------------------------------------------------------------
def main(argv: list[str] | None = None, *, engine: Engine | None = None) -> None:
    """Run the CLI with one-line errors (``--debug`` or MUSE_DEBUG=1 for tracebacks).

    ``argv`` defaults to the process's own arguments; ``engine`` (what ``engine.testing.run_cli``
    passes) replaces the engine the command would build."""
    import os

    args = sys.argv[1:] if argv is None else list(argv)
    state = CliState(engine=engine, owns_process=argv is None,
                     debug="--debug" in args or os.environ.get("MUSE_DEBUG", "") not in ("", "0"))
    try:
        cli.main(args=args, prog_name="muse", standalone_mode=False, obj=state)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Abort:
        click.echo("muse: aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        if state.debug:
            raise
        click.echo("muse: interrupted", err=True)
        sys.exit(130)
    except MuseError as error:
        if state.debug:
            raise
        from .distributed import report_error

        report_error(f"muse: error: {error}")
        sys.exit(1)
    except Exception as error:
        if state.debug:
            raise
        if isinstance(error, OSError) and error.filename is not None:  # the environment, not a bug
            click.echo(f"muse: error: {_shorten(str(error.filename))}: {error.strerror or error}", err=True)
            sys.exit(1)
        click.echo(f"muse: error: {type(error).__name__}: {error} (a bug: run again with --debug and report the traceback)", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
