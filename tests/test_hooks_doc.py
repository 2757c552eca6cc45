"""docs/hooks.md matches engine/hookspecs.py and its examples work; docs/api.md covers __all__.

A hook is documented by a heading ``## name(args)`` that must equal the hookspec's signature;
the first Python block under it is run as a plugin module and its components are held to the
plugin contract, so the reference cannot drift from the code.
"""

from __future__ import annotations

import inspect
import re
import shlex
from pathlib import Path
from types import ModuleType

import pytest

import engine.hookspecs
from engine.testing import check_component, make_engine, run_cli, sample_work

DOC = Path(__file__).resolve().parent.parent / "docs" / "hooks.md"
TEXT = DOC.read_text(encoding="utf-8")
HEADING = re.compile(r"^## (\w+)\((.*)\)\s*$", re.M)
SPECS = {name: function for name, function in vars(engine.hookspecs).items()
         if callable(function) and hasattr(function, "muse_spec")}
KIND_OF_HOOK = {"register_generators": "generator", "register_stylizers": "stylizer",
                "register_composers": "composer", "register_renderers": "renderer"}


def documented() -> dict[str, str]:
    return {match.group(1): f"({match.group(2)})" for match in HEADING.finditer(TEXT)}


def section(hook: str) -> str:
    start = re.search(rf"^## {hook}\(", TEXT, re.M)
    assert start, f"docs/hooks.md has no section for {hook}"
    end = re.compile(r"^## ", re.M).search(TEXT, start.end())
    return TEXT[start.start():end.start() if end else len(TEXT)]


def example_plugin(hook: str) -> ModuleType:
    """The section's first Python block, executed as a module, the way a plugin file would be."""
    block = re.search(r"```python\n(.*?)```", section(hook), re.S)
    assert block, f"docs/hooks.md: the {hook} section has no Python example"
    module = ModuleType(f"hooks_doc_{hook}")
    exec(compile(block.group(1), f"docs/hooks.md ({hook})", "exec"), module.__dict__)
    return module


def test_the_code_has_hooks_to_document():
    assert set(SPECS) >= set(KIND_OF_HOOK) | {"register_commands"}


@pytest.mark.parametrize("hook", sorted(SPECS))
def test_every_hookspec_is_documented_with_its_exact_signature(hook):
    headings = documented()
    assert hook in headings, f"docs/hooks.md lacks a '## {hook}{inspect.signature(SPECS[hook])}' section"
    assert headings[hook] == str(inspect.signature(SPECS[hook])), \
        f"docs/hooks.md documents {hook}{headings[hook]} but the code says {hook}{inspect.signature(SPECS[hook])}"


def test_no_documented_hook_is_missing_from_the_code():
    stale = set(documented()) - set(SPECS)
    assert not stale, f"docs/hooks.md documents hooks engine/hookspecs.py does not have: {sorted(stale)}"


@pytest.mark.parametrize("hook", sorted(KIND_OF_HOOK))
def test_registration_examples_register_working_components(hook, tmp_path):
    plugin = example_plugin(hook)
    eng = make_engine(plugin)
    info = eng.host.plugins[plugin.__name__]
    assert info.hooks == [hook] and info.components, info
    kind = KIND_OF_HOOK[hook]
    for entry in info.components:
        registered_kind, name = entry.split(" ", 1)
        assert registered_kind == kind
        if kind != "renderer":
            check_component(eng, kind, name, seed=1)
            continue
        renderer = next(r for r in eng.components("renderer") if r.name == name and eng.host.owner(r) == plugin.__name__)
        work = sample_work(renderer.work_type)
        work.meta = {"kind": "generator", "component": "doc-example", "params": {"quote": "</script> -- \"x\""}, "seed": 1}
        for suffix in renderer.suffixes:
            path = eng.render(work, tmp_path / f"out{suffix}")
            back = eng.load(path)
            assert back.meta == {**work.meta, "files": [{"format": suffix, "params": {}}]} and back.same_content(work)


def test_register_commands_example_does_what_the_page_says():
    text = section("register_commands")
    eng = make_engine(example_plugin("register_commands"), renderers=False)
    claims = re.findall(r"`muse ([^`]+)` prints `([^`]+)`", text)
    assert claims, "the register_commands section should show a command and its output"
    for command, output in claims:
        result = run_cli(*shlex.split(command), engine=eng)
        assert (result.code, result.out.strip()) == (0, output), result.err
    refused = run_cli("bars", "4", "--tempo", "0", engine=eng)
    assert refused.code == 1 and refused.err.strip() == "muse: error: --tempo must be positive, got 0.0"


API_DOC = DOC.with_name("api.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("module", ["engine", "engine.testing"])
def test_every_public_name_is_in_the_api_page(module):
    names = __import__(module, fromlist=["__all__"]).__all__
    missing = [name for name in names if not re.search(rf"`{name}[`(]", API_DOC)]
    assert not missing, f"docs/api.md does not describe {module}.{', '.join(missing)}"
