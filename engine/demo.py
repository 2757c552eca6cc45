"""`muse demo`: one of everything the installed plugins make, and a gallery page to browse it.

Generators run with their defaults; each stylizer and composer gets the first works made of the
types it takes. Scores are also rendered to audio when a renderer for it is installed. Components
say how they want to be shown with two optional attributes: ``demo_params`` (a list of parameter
dicts, one work each) and ``demo_inputs`` (for stylizers and composers: per input, the name of
the component whose work suits it best, e.g. ``("poem", "melody")``; the first work of the type
stands in when that component made none).
"""

from __future__ import annotations

import html
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .api import Engine
from .errors import MuseError, UnknownName
from .io import atomic_path
from .works import Score, Text, Work, describe


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


def run_demo(eng: Engine, out: Path, *, seed: int, force: bool, echo: Callable[[str], None]) -> Path:
    index = out / "index.html"
    if index.exists() and not force:
        raise MuseError(f"{out} already holds a demo; use --force to replace it or -o to pick another folder")
    out.mkdir(parents=True, exist_ok=True)
    exhibits: list[Exhibit] = []
    made: list[Work] = []

    def show(title: str, slug: str, make: Callable[[], Work]) -> None:
        started = time.perf_counter()
        try:
            work = make()
        except MuseError as error:
            echo(f"skipped {title}: {error}")
            return
        files = _render_all(eng, work, out / slug, force)
        exhibits.append(Exhibit(title, work, files, time.perf_counter() - started))
        made.append(work)
        echo(f"made {title} in {exhibits[-1].seconds:.1f} s -> {', '.join(str(f) for f in files)}")

    for generator in eng.components("generator"):
        for number, params in enumerate(getattr(generator, "demo_params", [{}])):
            slug = generator.name + (f"-{number + 1}" if number else "")
            show(f"{generator.name} {_label(params)}".strip(), slug,
                 lambda g=generator, p=params: eng.generate(g.name, seed=seed, **p))
    for stylizer in eng.components("stylizer"):
        source = _pick_input(made, stylizer.input, getattr(stylizer, "demo_inputs", ("",))[0])
        if source is not None:
            for number, params in enumerate(getattr(stylizer, "demo_params", [{}])):
                show(f"{stylizer.name} of {source.meta.get('component')} {_label(params)}".strip(),
                     stylizer.name + (f"-{number + 1}" if number else ""),
                     lambda s=stylizer, w=source, p=params: eng.stylize(s.name, w, seed=seed, **p))
    for composer in eng.components("composer"):
        preferred = getattr(composer, "demo_inputs", ("",) * len(composer.inputs))
        inputs = [_pick_input(made, kind, name) for kind, name in zip(composer.inputs, preferred)]
        if all(w is not None for w in inputs):
            for number, params in enumerate(getattr(composer, "demo_params", [{}])):
                show(f"{composer.name} {_label(params)}".strip(), composer.name + (f"-{number + 1}" if number else ""),
                     lambda c=composer, ws=inputs, p=params: eng.compose(c.name, *ws, seed=seed, **p))
    with atomic_path(index) as temporary:
        temporary.write_text(gallery_html(exhibits, out), encoding="utf-8")
    return index


def _pick_input(made: list[Work], kind: type, component: str) -> Work | None:
    candidates = [w for w in made if isinstance(w, kind)]
    preferred = [w for w in candidates if w.meta.get("component") == component]
    return (preferred or candidates or [None])[0]


def _label(params: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


def gallery_html(exhibits: list[Exhibit], folder: Path) -> str:
    """A self-contained page: images, audio players, texts, and each work's provenance."""
    cards = []
    for exhibit in exhibits:
        body = []
        for path in exhibit.files:
            name = html.escape(path.relative_to(folder).as_posix())
            if path.suffix in (".png", ".jpg", ".jpeg", ".webp", ".gif"):
                body.append(f'<img src="{name}" alt="{html.escape(exhibit.title)}">')
            elif path.suffix in (".wav", ".flac", ".ogg"):
                body.append(f'<audio controls preload="metadata" src="{name}"></audio>')
            body.append(f'<a href="{name}">{name}</a>')
        if isinstance(exhibit.work, Text):
            title = f"<h3>{html.escape(exhibit.work.title)}</h3>" if exhibit.work.title else ""
            body.insert(0, f'{title}<pre class="poem">{html.escape(exhibit.work.body)}</pre>')
        meta = html.escape(json.dumps(exhibit.work.meta, indent=1, sort_keys=True))
        cards.append(
            f'<section><h2>{html.escape(exhibit.title)}</h2><p class="what">{html.escape(describe(exhibit.work))}, '
            f"made in {exhibit.seconds:.1f} s</p>{''.join(body)}"
            f"<details><summary>provenance</summary><pre>{meta}</pre></details></section>"
        )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Muse demo</title><link rel="icon" href="data:,">
<style>
body{{font-family:system-ui,sans-serif;margin:2rem;background:#faf8f4;color:#222}}
main{{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:1.5rem}}
section{{background:#fff;border-radius:8px;padding:1rem;box-shadow:0 1px 3px #0002}}
img{{width:100%;image-rendering:pixelated;display:block;margin:.5rem 0}}
audio{{width:100%}} .poem{{font-family:Georgia,serif;font-size:1.05rem;white-space:pre-wrap}}
.what{{color:#666;font-size:.9rem}} details pre{{font-size:.75rem;max-height:20rem;overflow:auto}}
a{{display:block;font-size:.8rem;color:#555}}
</style></head><body><h1>Muse demo</h1><main>
{''.join(cards)}
</main></body></html>
"""


__all__ = ["run_demo", "gallery_html", "Exhibit"]
