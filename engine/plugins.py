"""Finding plugins, calling their hooks one plugin at a time, and keeping the registry of components.

Built-in plugins (every ``plugins/<name>/plugin.py``) load exactly like third-party ones found
through the ``muse`` entry-point group. Each plugin's implementations of a hook are called
through pluggy (so ``wrapper=True`` and ``hookwrapper=True`` impls work as pluggy documents)
but one plugin at a time, so that a plugin which fails to import, raises in a hook, or even
calls ``sys.exit()``, is recorded under its name and the rest load. ``MUSE_LOAD_PLUGINS`` limits
third-party loading: unset loads all, empty loads none, a comma list loads only those (by
entry-point or distribution name); a name that matches no installed plugin is warned about,
with the installed names. ``MUSE_TRACE_PLUGINS=1`` prints every hook call (pluggy's hook-call
monitoring) with its duration.

A :class:`PluginHost` pickles as the list of its plugins (module names, or the plugin objects),
so worker processes rebuild exactly the caller's plugin set under the same names and versions.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import sys
import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any
from collections.abc import Callable, Iterable

import pluggy

from . import hookspecs
from .components import KINDS, Component, Renderer
from .errors import PluginError, UnknownName

ENTRY_POINT_GROUP = "muse"
BUILTIN_PACKAGE = "plugins"
REGISTRATION_HOOKS = {
    "generator": "register_generators",
    "stylizer": "register_stylizers",
    "composer": "register_composers",
    "renderer": "register_renderers",
}


@dataclass
class PluginInfo:
    """What `muse plugins` shows about one plugin."""

    name: str
    version: str
    source: str  # "builtin" or "entry point (<distribution>)"
    hooks: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def builtin(self) -> bool:
        return self.source == "builtin"

    @property
    def package(self) -> str:
        """The distribution to install for it, recorded in provenance so a missing one can be named."""
        if self.source.startswith("entry point (") and self.source.endswith(")"):
            return self.source[len("entry point ("):-1]
        return "muse-engine" if self.builtin else self.name


def engine_version() -> str:
    from .version import __version__

    return __version__


#: importlib.metadata's syntax, ``module[:attr.sub] [extras]``; compiled on first use, not at import.
_ENTRY_POINT_VALUE = r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$"


class EntryPoint:
    """One ``muse`` entry point of an installed distribution (what importlib.metadata would list)."""

    def __init__(self, name: str, value: str, dist_name: str, version: str):
        self.name, self.value, self.dist_name, self.version = name, value, dist_name, version

    def load(self) -> Any:
        """Import ``module`` and follow ``:attr.sub``, as ``importlib.metadata.EntryPoint.load``."""
        match = re.match(_ENTRY_POINT_VALUE, self.value)
        if match is None:
            raise ValueError(f"malformed entry point {self.name} = {self.value!r}")
        target: Any = importlib.import_module(match.group("module"))
        for attr in filter(None, (match.group("attr") or "").split(".")):
            target = getattr(target, attr)
        return target


def muse_entry_points() -> list[EntryPoint]:
    """The ``muse`` entry points of the distributions on sys.path, in importlib.metadata's order.

    Importing importlib.metadata (it pulls in the email package) costs more than the rest of
    `muse --help`, so the dist-info and egg-info folders are read directly. As there, the first
    distribution of a (normalized) name on sys.path hides later ones.
    """
    seen: set[str] = set()
    found: list[EntryPoint] = []
    for folder in sys.path:
        try:
            with os.scandir(folder or ".") as entries:
                infos = [entry.path for entry in entries if entry.name.lower().endswith((".dist-info", ".egg-info"))]
        except OSError:
            continue
        for info in infos:
            key = re.sub(r"[-_.]+", "_", os.path.basename(info).lower().rpartition(".")[0].partition("-")[0])
            if key in seen:
                continue
            seen.add(key)
            text = _read(os.path.join(info, "entry_points.txt"))
            if text is None or f"[{ENTRY_POINT_GROUP}]" not in text:
                continue
            headers = _headers(_read(os.path.join(info, "METADATA")) or _read(os.path.join(info, "PKG-INFO")) or "")
            found += [EntryPoint(name, value, headers.get("name", key), headers.get("version", "?"))
                      for name, value in _section(text, ENTRY_POINT_GROUP)]
    return found


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def _section(text: str, wanted: str) -> list[tuple[str, str]]:
    """``name = value`` pairs under ``[wanted]`` in an entry_points.txt."""
    pairs, section = [], None
    for line in map(str.strip, text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
        elif section == wanted and "=" in line:
            name, value = line.split("=", 1)
            pairs.append((name.strip(), value.strip()))
    return pairs


def _headers(text: str) -> dict[str, str]:
    """The lower-cased header fields (Name, Version...) of a METADATA or PKG-INFO file."""
    headers: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break
        key, sep, value = line.partition(":")
        if sep and not line[0].isspace():
            headers.setdefault(key.strip().lower(), value.strip())
    return headers


def _tracing() -> bool:
    return os.environ.get("MUSE_TRACE_PLUGINS", "") not in ("", "0")


def _normalized(name: str) -> str:
    """A distribution name as PEP 503 compares them (case, '-', '_' and '.' do not matter)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _identify(plugin: object, entries: Callable[[], list[EntryPoint]]) -> tuple[str, str, str]:
    """The (name, version, source) a plugin object would have had if Muse had found it itself:
    ``plugins.X.plugin`` is built-in plugin X; a module or object an installed ``muse`` entry
    point names gets that entry point's name and its distribution's version; anything else keeps
    its module name and that module's ``__version__`` (or the engine's)."""
    module_name = getattr(plugin, "__name__", None) if isinstance(plugin, ModuleType) else type(plugin).__module__
    if isinstance(plugin, ModuleType) and module_name:
        parts = module_name.split(".")
        if len(parts) == 3 and parts[0] == BUILTIN_PACKAGE and parts[2] == "plugin":
            return parts[1], engine_version(), "builtin"
    for entry in entries():
        match = re.match(_ENTRY_POINT_VALUE, entry.value)
        if match is None or match.group("module") != module_name:
            continue
        try:
            if entry.load() is plugin:
                return entry.name, entry.version, f"entry point ({entry.dist_name})"
        except Exception:
            continue
    name = module_name if isinstance(plugin, ModuleType) and module_name else type(plugin).__name__
    module = plugin if isinstance(plugin, ModuleType) else sys.modules.get(module_name or "")
    version = getattr(module, "__version__", None)
    return name, version if isinstance(version, str) else engine_version(), "given"


def _rebuild_host(entries: list[tuple[str, str, str, object]], failed: list[PluginInfo],
                  notices: list[str]) -> PluginHost:
    host = PluginHost(())
    for name, version, source, ref in entries:
        plugin = importlib.import_module(ref) if isinstance(ref, str) else ref
        host._add(plugin, name, version, source)
    for info in failed:
        host.plugins[info.name] = info
    host.notices = list(notices)
    return host


class PluginHost:
    """Owns the pluggy manager, plugin metadata, and the component registry built from hooks."""

    def __init__(self, plugins: Iterable[ModuleType | object] | None = None):
        self.manager = pluggy.PluginManager("muse")
        self.manager.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        #: Problems that belong to no one plugin (a MUSE_LOAD_PLUGINS name that matches nothing).
        self.notices: list[str] = []
        #: Installed third-party plugins that MUSE_LOAD_PLUGINS left out, as "name (distribution)".
        self.not_loaded: list[str] = []
        self._components: dict[str, dict[str, Component]] | None = None
        self._owner: dict[tuple[str, str], str] = {}
        self._refs: dict[str, object] = {}  # plugin name -> module name or object, for pickling
        self.manager.add_hookcall_monitoring(*_tracer())
        if plugins is None:
            self._load_builtins()
            self._load_entry_points()
        else:
            found: list[list[EntryPoint]] = []

            def entries() -> list[EntryPoint]:  # read once, and only for plugins not built in
                if not found:
                    found.append(muse_entry_points())
                return found[0]

            for plugin in plugins:
                self._add(plugin, *_identify(plugin, entries))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its plugins (module names or the plugin objects themselves); the registry is
        rebuilt by calling the hooks again in the new process."""
        entries = [(info.name, info.version, info.source, self._refs[info.name])
                   for info in self.plugins.values() if info.name in self._refs]
        failed = [info for info in self.plugins.values() if info.name not in self._refs]
        return _rebuild_host, (entries, failed, self.notices)

    # -- loading -------------------------------------------------------------------------------
    def _add(self, plugin: object, name: str, version: str, source: str) -> None:
        info = PluginInfo(name=name, version=version, source=source)
        self.plugins[name] = info
        try:
            self.manager.register(plugin, name=name)
        except Exception as error:  # a malformed hookimpl, a duplicate registration
            info.errors.append(f"cannot register: {error}")
            return
        module_name = getattr(plugin, "__name__", None) if isinstance(plugin, ModuleType) else None
        self._refs[name] = module_name if module_name and sys.modules.get(module_name) is plugin else plugin
        info.hooks = sorted(caller.name for caller in self.manager.get_hookcallers(plugin) or [])

    def _failed(self, name: str, version: str, source: str, error: BaseException) -> None:
        self.plugins[name] = PluginInfo(name, version, source, errors=[f"failed to load: {_one_line(error)}"])

    def _load_builtins(self) -> None:
        package = importlib.import_module(BUILTIN_PACKAGE)
        version = engine_version()
        for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            if not module.ispkg:
                continue
            short, name = module.name, f"{BUILTIN_PACKAGE}.{module.name}"
            try:
                plugin = importlib.import_module(f"{name}.plugin")
            except ModuleNotFoundError as error:
                if error.name == f"{name}.plugin":
                    continue  # a helper package with no plugin module
                self._failed(short, version, "builtin", error)
                continue
            except (Exception, SystemExit) as error:  # a plugin never ends the process by loading
                self._failed(short, version, "builtin", error)
                continue
            self._add(plugin, short, version, "builtin")

    def _load_entry_points(self) -> None:
        wanted = os.environ.get("MUSE_LOAD_PLUGINS")
        allowed = None if wanted is None else [w.strip() for w in wanted.split(",") if w.strip()]
        entries = muse_entry_points()
        if allowed is not None:
            self._check_allowed(allowed, entries)
        for entry in entries:
            if allowed is not None and entry.name not in allowed and _normalized(entry.dist_name) not in map(_normalized, allowed):
                if f"{entry.name} ({entry.dist_name})" not in self.not_loaded:
                    self.not_loaded.append(f"{entry.name} ({entry.dist_name})")
                continue
            if entry.name in self.plugins:
                continue  # the same distribution seen twice on sys.path
            source = f"entry point ({entry.dist_name})"
            try:
                plugin = entry.load()
            except (Exception, SystemExit) as error:  # a plugin never ends the process by loading
                self._failed(entry.name, entry.version, source, error)
                continue
            self._add(plugin, entry.name, entry.version, source)

    def _check_allowed(self, allowed: list[str], entries: list[EntryPoint]) -> None:
        """One notice for the MUSE_LOAD_PLUGINS names that match no installed plugin: entry-point
        names are matched exactly, distribution names as pip does (any case, '-' or '_')."""
        names = {entry.name for entry in entries}
        dists = {_normalized(entry.dist_name) for entry in entries}
        unknown = [name for name in allowed if name not in names and _normalized(name) not in dists]
        if not unknown:
            return
        installed = sorted({f"{entry.name} ({entry.dist_name})" for entry in entries})
        hints = []
        for name in unknown:
            close = [n for n in sorted(names) if n.lower() == name.lower()]
            hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        listing = ", ".join(installed) if installed else "no third-party plugins are installed"
        self.notices.append(f"MUSE_LOAD_PLUGINS names {', '.join(hints)}, which no installed plugin is called; "
                            f"installed: {listing}")

    # -- calling hooks -------------------------------------------------------------------------
    def call(self, hook: str, make_kwargs: Callable[[str], dict[str, Any]]) -> list[str]:
        """Call ``hook`` once per plugin that implements it, through pluggy (wrappers included),
        with that plugin's own ``make_kwargs(name)``; failures are recorded under the plugin's
        name, not raised. Returns the errors this call recorded."""
        caller = getattr(self.manager.hook, hook)
        owners: dict[str, object] = {}
        for impl in caller.get_hookimpls():
            owners.setdefault(impl.plugin_name, impl.plugin)
        recorded = []
        for name, plugin in owners.items():
            others = [other for other in owners.values() if other is not plugin]
            try:
                self.manager.subset_hook_caller(hook, others)(**make_kwargs(name))
            except (Exception, SystemExit) as error:  # one plugin's failure, never the process's
                message = f"{hook} raised {_one_line(error)}"
                self.plugins[name].errors.append(message)
                recorded.append(f"plugin {name!r}: {message}")
        return recorded

    # -- the registry --------------------------------------------------------------------------
    @property
    def components(self) -> dict[str, dict[str, Component]]:
        if self._components is None:
            self._components = {kind: {} for kind in KINDS}
            for kind, hook in REGISTRATION_HOOKS.items():
                def hook_kwargs(plugin: str, kind: str = kind) -> dict[str, Any]:
                    return {"register": self._registrar(kind, plugin)}

                self.call(hook, hook_kwargs)
        return self._components

    def _registrar(self, kind: str, plugin: str) -> Callable[[Component], None]:
        def register(component: Component) -> None:
            if getattr(component, "kind", None) != kind:
                raise PluginError(f"{component!r} is not a {kind}")
            key = self._key(component)
            table = self._components[kind]  # type: ignore[index]
            if key in table:
                other = self._owner[(kind, key)]
                raise PluginError(f"{kind} {key!r} is registered by both plugin {other!r} and plugin {plugin!r}")
            table[key] = component
            self._owner[(kind, key)] = plugin
            self.plugins[plugin].components.append(f"{kind} {component.name}")

        return register

    @staticmethod
    def _key(component: Component) -> str:
        if isinstance(component, Renderer):
            return f"{component.work_type.kind}:{','.join(component.suffixes)}:{component.name}"
        return component.name

    def owner(self, component: Component) -> str:
        return self._owner[(component.kind, self._key(component))]

    def get(self, kind: str, name: str) -> Component:
        table = self.components[kind]
        if name not in table:
            raise UnknownName(kind, name, table)
        return table[name]

    @property
    def errors(self) -> list[str]:
        """Every load or registration problem, one line each, plugin by plugin."""
        return [*self.notices,
                *(f"plugin {info.name!r}: {error}" for info in self.plugins.values() for error in info.errors)]


def _tracer() -> tuple[Callable[..., None], Callable[..., None]]:
    """pluggy hook-call monitoring that prints ``muse: trace PLUGIN.HOOK(ARGS) N ms`` to stderr
    while MUSE_TRACE_PLUGINS is set (read at each call, so it can be turned on for one command)."""
    started: list[float] = []

    def before(hook: str, impls: Any, kwargs: dict[str, Any]) -> None:
        started.append(time.perf_counter())

    def after(outcome: Any, hook: str, impls: Any, kwargs: dict[str, Any]) -> None:
        if not _tracing():
            started.pop()
            return
        elapsed = (time.perf_counter() - started.pop()) * 1000
        plugins = ",".join(dict.fromkeys(impl.plugin_name for impl in impls)) or "(none)"
        failed = "" if outcome.exception is None else f" raised {type(outcome.exception).__name__}"
        print(f"muse: trace {plugins}.{hook}({', '.join(kwargs)}) {elapsed:.1f} ms{failed}", file=sys.stderr)

    return before, after


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")
