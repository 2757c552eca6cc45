"""Finding plugins, calling their hooks one by one, and keeping the registry of components.

Built-in plugins (every ``plugins/<name>/plugin.py``) load exactly like third-party ones found
through the ``muse`` entry-point group. Each hook implementation is called on its own so that a
plugin which fails to import, or raises in a hook, is recorded under its name and the rest load.
``MUSE_LOAD_PLUGINS`` limits third-party loading: unset loads all, empty loads none, a comma
list loads only those (by entry-point or distribution name).
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
from typing import Any, Callable, Iterable

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


class PluginHost:
    """Owns the pluggy manager, plugin metadata, and the component registry built from hooks."""

    def __init__(self, plugins: Iterable[ModuleType | object] | None = None):
        self.manager = pluggy.PluginManager("muse")
        self.manager.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self._components: dict[str, dict[str, Component]] | None = None
        self._owner: dict[tuple[str, str], str] = {}
        if plugins is None:
            self._load_builtins()
            self._load_entry_points()
        else:
            for plugin in plugins:
                name = getattr(plugin, "__name__", type(plugin).__name__)
                self._add(plugin, name, engine_version(), "builtin" if name.startswith(BUILTIN_PACKAGE + ".") else "given")

    # -- loading -------------------------------------------------------------------------------
    def _add(self, plugin: object, name: str, version: str, source: str) -> None:
        info = PluginInfo(name=name, version=version, source=source)
        self.plugins[name] = info
        try:
            self.manager.register(plugin, name=name)
        except Exception as error:  # a malformed hookimpl, a duplicate registration
            info.errors.append(f"cannot register: {error}")
            return
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
            except Exception as error:
                self._failed(short, version, "builtin", error)
                continue
            self._add(plugin, short, version, "builtin")

    def _load_entry_points(self) -> None:
        wanted = os.environ.get("MUSE_LOAD_PLUGINS")
        allowed = None if wanted is None else {w.strip() for w in wanted.split(",") if w.strip()}
        if allowed == set():
            return
        for entry in muse_entry_points():
            if allowed is not None and not {entry.name, entry.dist_name} & allowed:
                continue
            if entry.name in self.plugins:
                continue  # the same distribution seen twice on sys.path
            source = f"entry point ({entry.dist_name})"
            try:
                plugin = entry.load()
            except Exception as error:
                self._failed(entry.name, entry.version, source, error)
                continue
            self._add(plugin, entry.name, entry.version, source)

    # -- calling hooks -------------------------------------------------------------------------
    def call(self, hook: str, make_kwargs: Callable[[str], dict[str, Any]]) -> None:
        """Call every implementation of ``hook`` on its own; failures are recorded, not raised."""
        for impl in getattr(self.manager.hook, hook).get_hookimpls():
            kwargs = make_kwargs(impl.plugin_name)
            started = time.perf_counter()
            try:
                impl.function(*[kwargs[arg] for arg in impl.argnames])
            except Exception as error:
                self.plugins[impl.plugin_name].errors.append(f"{hook} raised {_one_line(error)}")
            finally:
                if _tracing():
                    elapsed = (time.perf_counter() - started) * 1000
                    print(f"muse: trace {impl.plugin_name}.{hook}({', '.join(kwargs)}) {elapsed:.1f} ms", file=sys.stderr)

    # -- the registry --------------------------------------------------------------------------
    @property
    def components(self) -> dict[str, dict[str, Component]]:
        if self._components is None:
            self._components = {kind: {} for kind in KINDS}
            for kind, hook in REGISTRATION_HOOKS.items():
                self.call(hook, lambda plugin, kind=kind: {"register": self._registrar(kind, plugin)})
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
        return [f"plugin {info.name!r}: {error}" for info in self.plugins.values() for error in info.errors]


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")
