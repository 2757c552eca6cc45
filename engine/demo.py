"""`muse demo`: one of everything the installed plugins make, and a gallery page to browse it.

Generators run with their defaults; each stylizer and composer gets the first works made of the
types it takes. Scores are also rendered to audio when a renderer for it is installed. Components
say how they want to be shown with two attributes :class:`~engine.Component` declares: ``demo_params``
(parameter dicts, one work each; default one work with the defaults) and ``demo_inputs`` (for stylizers and composers: per input, the name of
the component whose work suits it best, e.g. ``("poem", "melody")``; the first work of the type
stands in when that component made none). A stylizer that names a generator gets one work of it
made with the generator's defaults. A composer that takes a text gets a second exhibit with a
Chinese text when one was made (so the demo has a song sung in English and one in Mandarin).
"""

from __future__ import annotations

import functools
import html
import json
import time
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable, Sequence
from typing import Any

from .api import Engine
from .components import Composer, Stylizer
from .errors import MuseError, UnknownName
from .io import atomic_path
from .formats import AUDIO_SUFFIXES
from .fragments import page_assets, work_html
from .works import Audio, Image, Score, Text, Work, describe


@dataclass
class Exhibit:
    title: str
    work: Work
    files: list[Path]
    seconds: float


def _render_all(eng: Engine, work: Work, stem: Path, force: bool) -> list[Path]:
    """The work's default format, plus audio for scores where a synthesizer is installed."""
    paths = [eng.render(work, stem.with_suffix(work.default_suffix), force=force)]
    if isinstance(work, Score):
        try:
            eng.renderer_for(Score, ".wav")
        except UnknownName:
            return paths
        paths.append(eng.render(work, stem.with_suffix(".wav"), force=force))
    return paths


#: The demo's record of what it wrote; a folder holding only these files may be replaced.
MANIFEST = "manifest.json"


@dataclass
class Step:
    """One exhibit to make: its parameters' label, file stem and how to make it from the works
    made so far (``None`` when they hold no input it can take)."""

    label: str
    slug: str
    kind: str
    component: str
    make: Callable[[list[Work]], Work | None]


def run_demo(eng: Engine, out: Path, *, seed: int, force: bool, echo: Callable[[str], None]) -> Path:
    """Make every exhibit, with a progress bar (item k of N, elapsed, the component at work)
    in a terminal and one line per exhibit everywhere."""
    from tqdm import tqdm

    _clear_previous_demo(out, force)
    out.mkdir(parents=True, exist_ok=True)
    untouched = _files(out)
    exhibits: list[Exhibit] = []
    made: list[Work] = []
    steps = plan(eng, seed)

    def say(line: str) -> None:
        with tqdm.external_write_mode():
            echo(line)

    with tqdm(total=len(steps), unit="work", desc="muse demo", disable=None, leave=False) as bar:
        for number, step in enumerate(steps, 1):
            bar.set_postfix_str(step.component)
            started = time.perf_counter()
            try:
                work = step.make(made)
                files = [] if work is None else _render_all(eng, work, out / step.slug, force)
            except MuseError as error:
                say(f"[{number}/{len(steps)}] skipped {step.component} {step.label}: {error}".rstrip())
                work = None
            bar.update()
            if work is None:
                continue
            source = f"of {work.meta['inputs'][0].get('component', 'a file')}" if step.kind == "stylizer" else ""
            title = " ".join(part for part in (step.component, source, step.label) if part)
            exhibits.append(Exhibit(title, work, files, time.perf_counter() - started))
            made.append(work)
            say(f"[{number}/{len(steps)}] made {title} in {exhibits[-1].seconds:.1f} s -> "
                f"{', '.join(str(f) for f in files)}")
    index = out / "index.html"
    with atomic_path(index, replace=True) as temporary:  # _clear_previous_demo decided what may go
        temporary.write_text(gallery_html(exhibits, out), encoding="utf-8")
    # Everything the demo wrote (sidecars included); a file that was there before and is untouched
    # (after --force over a user's folder) stays the user's and is never listed.
    written = sorted(name for name, stamp in _files(out).items() if untouched.get(name) != stamp)
    with atomic_path(out / MANIFEST, replace=True) as temporary:
        temporary.write_text(json.dumps({"made_by": "muse demo", "seed": seed, "files": written}, indent=1),
                             encoding="utf-8")
    return index


def plan(eng: Engine, seed: int) -> list[Step]:
    """Every exhibit, in order: generators first, then stylizers and composers on their works.
    Inputs are picked when a step runs, from what the steps before it made."""
    steps: list[Step] = []

    def numbered(name: str, number: int) -> str:
        return name + (f"-{number + 1}" if number else "")

    for generator in eng.components("generator"):
        for number, params in enumerate(generator.demo_params):
            steps.append(Step(_label(params), numbered(generator.name, number),
                              "generator", generator.name,
                              functools.partial(_generate, eng, generator.name, seed, params)))
    generators = {generator.name for generator in eng.components("generator")}
    for stylizer in eng.components("stylizer"):
        preferred = (stylizer.demo_inputs or ("",))[0]
        for number, params in enumerate(stylizer.demo_params):
            def stylize(made: list[Work], s: Stylizer = stylizer, p: dict[str, Any] = params,
                        preferred: str = preferred) -> Work | None:
                # A generator named as the input means one plain work of it (its defaults), not
                # the contact sheet or walk the demo shows: a classifier names one garment.
                source = (eng.generate(preferred, seed=seed) if preferred in generators
                          else _pick_input(made, s.input, preferred))
                return None if source is None else eng.stylize(s.name, source, seed=seed, **p)
            steps.append(Step(_label(params), numbered(stylizer.name, number),
                              "stylizer", stylizer.name, stylize))
    for composer in eng.components("composer"):
        preferred_inputs = composer.demo_inputs or ("",) * len(composer.inputs)
        # A composer that takes a text is shown with a Chinese one too (a song sung in Mandarin),
        # when the texts made include one and it is not already the first pick.
        languages = ("", "zh") if Text in composer.inputs else ("",)
        for number, params in enumerate(composer.demo_params):
            for language in languages:
                def compose(made: list[Work], c: Composer = composer, p: dict[str, Any] = params,
                            preferred: Sequence[str] = preferred_inputs, language: str = language) -> Work | None:
                    picked = [_pick_input(made, kind, name, language) for kind, name in zip(c.inputs, preferred)]
                    inputs = [w for w in picked if w is not None]
                    if len(inputs) < len(picked) or (language and picked == [
                            _pick_input(made, kind, name) for kind, name in zip(c.inputs, preferred)]):
                        return None
                    return eng.compose(c.name, *inputs, seed=seed, **p)
                label = _label({**params, "text": language} if language else params)
                slug = numbered(composer.name, number) + (f"-{language}" if language else "")
                steps.append(Step(label, slug, "composer", composer.name, compose))
    return steps


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` (relative name) with its size and modification time."""
    found = {}
    for path in folder.rglob("*"):
        if path.is_file() or path.is_symlink():
            stat = path.lstat()
            found[path.relative_to(folder).as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return found


def _clear_previous_demo(out: Path, force: bool) -> None:
    """Make room for a new demo in ``out``: an empty or missing folder is fine; a folder holding
    only a previous demo (its manifest, gallery and the files the manifest lists) is emptied;
    anything else needs --force, so a user's own files are never lost to a rerun."""
    if not out.is_dir() or force:
        return
    present = set(_files(out))
    if not present:
        return
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        listed = set(manifest["files"]) if manifest.get("made_by") == "muse demo" else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        listed = None
    if listed is None or not present <= listed | {MANIFEST}:
        raise MuseError(f"{out} holds files that are not a previous Muse demo; use --force to write over them "
                        "or -o to pick another folder")
    for name in present:
        (out / name).unlink()


def _generate(eng: Engine, name: str, seed: int, params: dict[str, Any], made: list[Work]) -> Work:
    return eng.generate(name, seed=seed, **params)


def _pick_input(made: list[Work], kind: type[Work], component: str, language: str = "") -> Work | None:
    candidates = [w for w in made if isinstance(w, kind)]
    if language and kind is Text:
        candidates = [w for w in candidates if isinstance(w, Text) and w.language == language]
    preferred = [w for w in candidates if w.meta.get("component") == component]
    found = preferred or candidates
    return found[0] if found else None


def _label(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


def gallery_html(exhibits: list[Exhibit], folder: Path) -> str:
    """A self-contained page: each work as the studio and Jupyter show it (engine.fragments),
    its files, and its provenance."""
    cards = []
    for exhibit in exhibits:
        names = [path.relative_to(folder).as_posix() for path in exhibit.files]
        audio = next((name for name in names if Path(name).suffix in AUDIO_SUFFIXES), None)
        shown = names[0] if names and isinstance(exhibit.work, (Image, Audio)) else None
        fragment = work_html(exhibit.work, src=shown, audio_src=audio, embed_audio=False)
        links = "".join(f'<a href="{html.escape(name)}">{html.escape(name)}</a>' for name in names)
        meta = html.escape(json.dumps(exhibit.work.meta, indent=1, sort_keys=True))
        cards.append(
            f'<section><h2>{html.escape(exhibit.title)}</h2><p class="what">{html.escape(describe(exhibit.work))}, '
            f"made in {exhibit.seconds:.1f} s</p>{fragment}{links}"
            f"<details><summary>provenance</summary><pre>{meta}</pre></details></section>"
        )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Muse demo</title><link rel="icon" href="data:,">
<style>
body{{font-family:system-ui,sans-serif;margin:2rem;background:#faf8f4;color:#222}}
main{{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:1.5rem}}
section{{background:#fff;border-radius:8px;padding:1rem;box-shadow:0 1px 3px #0002}}
.what{{color:#666;font-size:.9rem}} details pre{{font-size:.75rem;max-height:20rem;overflow:auto}}
a{{display:block;font-size:.8rem;color:#555}}
</style>{page_assets()}</head><body><h1>Muse demo</h1><main>
{''.join(cards)}
</main></body></html>
"""


__all__ = ["run_demo", "gallery_html", "Exhibit"]
