"""Errors cross process boundaries: every MuseError pickles with its message and attributes."""

from __future__ import annotations

import importlib
import pickle
import pkgutil

import pytest

import engine
from engine import MuseError, OutputExists, UnknownName

#: Constructor arguments for the subclasses whose __init__ is not (message,).
EXAMPLES = {
    UnknownName: ("generator", "nosuch", ["gan", "vae"]),
    OutputExists: ("out/x.png",),
}


def all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *all_subclasses(sub)]
    return list(dict.fromkeys(found))


def every_muse_error() -> list[type]:
    """MuseError and every subclass in the engine and the built-in plugins, found by walking the
    class tree after importing every module that could define one."""
    for module in pkgutil.walk_packages(engine.__path__, "engine."):
        importlib.import_module(module.name)
    import plugins

    for module in pkgutil.walk_packages(plugins.__path__, "plugins."):
        if module.name.endswith(".plugin") or not module.ispkg:
            try:
                importlib.import_module(module.name)
            except ImportError:  # an optional dependency; its errors cannot be raised then either
                continue
    return [MuseError, *all_subclasses(MuseError)]


def make(cls: type) -> MuseError:
    args = next((args for base, args in EXAMPLES.items() if issubclass(cls, base)), ("something went wrong",))
    return cls(*args)


def test_the_walk_finds_the_engine_errors():
    found = {cls.__name__ for cls in every_muse_error()}
    assert {"UnknownName", "ParamError", "OutputExists", "BadInput", "PluginError", "RecipeError",
            "BadProvenance"} <= found


@pytest.mark.parametrize("cls", every_muse_error(), ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_every_muse_error_survives_pickling(cls):
    error = make(cls)
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is cls
    assert str(back) == str(error) and back.args == error.args
    assert vars(back) == vars(error)
    again = pickle.loads(pickle.dumps(back))  # a second trip (a worker of a worker) changes nothing
    assert str(again) == str(error)


def test_unknown_name_keeps_its_fields():
    back = pickle.loads(pickle.dumps(UnknownName("label of gan:", "hat", ["coat", "bag"])))
    assert (back.what, back.name, back.valid) == ("label of gan:", "hat", ["bag", "coat"])
    assert str(back) == "unknown label of gan: 'hat'; valid: bag, coat"


def test_output_exists_does_not_double_its_message():
    back = pickle.loads(pickle.dumps(OutputExists("x.png")))
    assert str(back) == "x.png already exists; use --force to overwrite it"
    assert back.path == "x.png" and isinstance(back, FileExistsError)
