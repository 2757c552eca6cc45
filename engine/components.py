"""What a component is: something with a name, declared parameters and one job.

Plugins subclass one of :class:`Generator`, :class:`Stylizer`, :class:`Composer` or
:class:`Renderer` and register an instance. Model components add training and evaluation by
setting ``train_params`` and implementing :meth:`Component.train` / :meth:`Component.evaluate`;
`muse train NAME` and `muse eval NAME` find them by that.

A component that needs another component (a composer that asks the ``melody`` generator for
more phrases) reaches it through :attr:`Component.context`, the :class:`Context` of the engine
call in progress, never by building an ``Engine()`` of its own: so it sees the caller's plugin
set, and what it makes on the way is recorded as an input of its work.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from collections.abc import Iterator, Sequence

from .errors import MuseError
from .params import Param
from .works import Image, Work

if TYPE_CHECKING:
    from .api import Engine


class Component:
    """Base of all components. Subclasses set the class attributes below."""

    kind: ClassVar[str] = "component"
    name: str = ""
    description: str = ""
    params: tuple[Param, ...] = ()
    #: Parameters of `muse train NAME`; empty means the component is not trainable.
    train_params: tuple[Param, ...] = ()
    #: Parameters of `muse eval NAME`.
    eval_params: tuple[Param, ...] = ()
    #: How `muse demo` shows the component: one work per parameter dict.
    demo_params: Sequence[dict[str, Any]] = ({},)
    #: For stylizers and composers, per input, the component whose work suits it best in the
    #: demo (``("poem", "melody")``); "" or an absent one: the first work of the type.
    demo_inputs: Sequence[str] = ()

    #: The work types a call takes, in order: none for a generator, the ``input`` of a
    #: stylizer, the ``inputs`` of a composer.
    @property
    def takes(self) -> tuple[type[Work], ...]:
        return ()

    def check_inputs(self, types: Sequence[type[Work]]) -> None:
        """Refuse input works (by type) this component does not take, in one message for all callers."""
        if len(types) != len(self.takes) or not all(issubclass(t, w) for t, w in zip(types, self.takes)):
            wanted = ", ".join(t.kind for t in self.takes) or "nothing"
            got = ", ".join(getattr(t, "kind", t.__name__) for t in types) or "nothing"  # a list passed as one work
            raise MuseError(f"{self.kind} {self.name!r} takes ({wanted}), got ({got})")

    def check(self, params: dict[str, Any]) -> None:
        """Refuse, with a ParamError, resolved parameters that are wrong together or against the
        chosen model (``label=hat`` for a checkpoint without hats) before any heavy work: the
        engine calls it right after resolving, and the studio when it validates a form. It must
        stay cheap (read a checkpoint's header, not its tensors); the default accepts all."""

    def call(self, works: Sequence[Work], params: dict[str, Any], seed: int) -> Work:
        """Do the component's one job on checked inputs and parameters: the engine's only dispatch
        from a kind to its method (``generate``, ``stylize``, ``compose``)."""
        raise MuseError(f"{self.kind} {self.name!r} makes no works")

    @property
    def context(self) -> Context:
        """The engine call in progress: :class:`Context`. Only during ``generate``, ``stylize`` or
        ``compose`` as the engine calls them."""
        current = _CURRENT.get()
        if current is None or current.component is not self:
            raise MuseError(f"{self.kind} {self.name!r}: context is only available while the engine calls the component")
        return current

    @property
    def trainable(self) -> bool:
        return bool(self.train_params)

    def train(self, job: TrainJob) -> dict[str, Any]:
        """Train on ``job.data`` and write ``job.out``; return a summary (steps, metrics, files)."""
        raise NotImplementedError(f"{self.name} cannot be trained")

    def evaluate(self, data: Path | None, params: dict[str, Any]) -> dict[str, Any]:
        """Score the model on ``data``; return metric name -> value, in display order."""
        raise NotImplementedError(f"{self.name} has no evaluation")

    @property
    def evaluable(self) -> bool:
        return type(self).evaluate is not Component.evaluate

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.kind} {self.name!r}>"


class Generator(Component):
    """Makes a work from parameters and a seed."""

    kind: ClassVar[str] = "generator"
    output: ClassVar[type[Work]] = Work

    def generate(self, params: dict[str, Any], seed: int) -> Work:
        raise NotImplementedError

    def generate_many(self, params: dict[str, Any], seeds: list[int]) -> list[Work]:
        """One work per seed; override to batch, but item i must equal ``generate(params, seeds[i])``."""
        return [self.generate(params, seed) for seed in seeds]

    def call(self, works: Sequence[Work], params: dict[str, Any], seed: int) -> Work:
        return self.generate(params, seed)


class Stylizer(Component):
    """Turns one work into another of the same or a different type (an image into a painting)."""

    kind: ClassVar[str] = "stylizer"
    input: ClassVar[type[Work]] = Image
    output: ClassVar[type[Work]] = Image
    #: True when ``stylize`` handles an animated Image's ``frames`` itself; otherwise the engine
    #: stylizes each frame alike (image results) or refuses an animation (other results).
    animated: ClassVar[bool] = False

    def stylize(self, work: Work, params: dict[str, Any], seed: int) -> Work:
        raise NotImplementedError

    @property
    def takes(self) -> tuple[type[Work], ...]:
        return (self.input,)

    def call(self, works: Sequence[Work], params: dict[str, Any], seed: int) -> Work:
        work = works[0]
        if isinstance(work, Image) and work.frames and not self.animated:
            return _each_frame(self, work, params, seed)
        return self.stylize(work, params, seed)


class Composer(Component):
    """Combines works, possibly of different modalities, into a new one (a poem + a melody = a song)."""

    kind: ClassVar[str] = "composer"
    inputs: ClassVar[tuple[type[Work], ...]] = ()
    output: ClassVar[type[Work]] = Work

    def compose(self, works: list[Work], params: dict[str, Any], seed: int) -> Work:
        raise NotImplementedError

    @property
    def takes(self) -> tuple[type[Work], ...]:
        return tuple(self.inputs)

    def call(self, works: Sequence[Work], params: dict[str, Any], seed: int) -> Work:
        return self.compose(list(works), params, seed)


class Renderer(Component):
    """Writes one work type to files with given suffixes, and reads them back when it can.

    ``write`` must record ``work.meta`` in the file (or a sidecar) so ``read`` returns it.
    Use :func:`engine.io.atomic_path` for every file written so a crash leaves no half file.
    """

    kind: ClassVar[str] = "renderer"
    work_type: ClassVar[type[Work]] = Work
    suffixes: ClassVar[tuple[str, ...]] = ()
    #: True when ``read`` is implemented: such files can be inputs and `muse info` targets.
    readable: ClassVar[bool] = False

    def write(self, work: Work, path: Path, params: dict[str, Any]) -> None:
        raise NotImplementedError

    def read(self, path: Path) -> Work:
        raise NotImplementedError(f"{self.name} cannot read files")


def _each_frame(stylizer: Stylizer, work: Image, values: dict[str, Any], seed: int) -> Image:
    """An animation stylized frame by frame (same parameters and seed), for stylizers that see one
    picture at a time; one whose result is not an image (a label) cannot, and says so."""
    if not issubclass(stylizer.output, Image):
        raise MuseError(f"stylizer {stylizer.name!r} reads one picture and this image has {len(work.frames) + 1} "
                        "frames; give it a still image (e.g. one frame saved as PNG)")
    results = [stylizer.stylize(Image(frame, meta=work.meta), values, seed) for frame in (work.pixels, *work.frames)]
    pictures = [r for r in results if isinstance(r, Image)]
    if len(pictures) != len(results):
        raise TypeError(f"{stylizer!r} returned a {type(results[0]).__name__}, not the declared {stylizer.output.__name__}")
    return Image(pictures[0].pixels, frames=tuple(r.pixels for r in pictures[1:]), meta=pictures[0].meta)


# -- the context a component is called in --------------------------------------------------------
#: The kinds of component that make works (not renderers); each declares ``output``.
Maker = Generator | Stylizer | Composer


class Context:
    """What a component's call can reach: the engine that called it, and other components.

    ``self.context`` inside ``generate``/``stylize``/``compose`` is this. ``engine`` is the
    calling :class:`~engine.Engine` (the caller's plugin set: ``Engine(plugins=...)``,
    ``make_engine``, a worker's engine). :meth:`generate` makes a work with another generator
    and records it as an input of the work being made, so ``reproduce`` rebuilds it through
    that input: when the engine remakes a work from its provenance, :meth:`generate` hands back
    the rebuilt input instead of asking the generator again.
    """

    def __init__(self, engine: Engine, component: Component, replay: Sequence[Work] = ()):
        self.engine = engine
        self.component = component
        #: Works made on the way, in order; the engine appends them to the work's inputs.
        self.made: list[Work] = []
        self._replay = list(replay)

    def has(self, kind: str, name: str) -> bool:
        """True when the calling engine has component ``name`` of ``kind``."""
        return any(c.name == name for c in self.engine.components(kind))

    def generate(self, name: str, *, seed: int, **params: Any) -> Work:
        """One work of generator ``name`` (as ``Engine.generate``), recorded as an input."""
        return self._make("generator", name, (), seed, params)

    def stylize(self, name: str, work: Work, *, seed: int, **params: Any) -> Work:
        """``work`` through stylizer ``name`` (as ``Engine.stylize``), recorded as an input."""
        return self._make("stylizer", name, (work,), seed, params)

    def compose(self, name: str, *works: Work, seed: int, **params: Any) -> Work:
        """``works`` through composer ``name`` (as ``Engine.compose``), recorded as an input."""
        return self._make("composer", name, works, seed, params)

    def _make(self, kind: str, name: str, works: Sequence[Work], seed: int, params: dict[str, Any]) -> Work:
        if self._replay:
            work = self._replay.pop(0)
            if (work.meta.get("kind"), work.meta.get("component")) != (kind, name):
                raise MuseError(f"{self.component.kind} {self.component.name!r} asked for a work of {kind} {name!r}, but "
                                f"its provenance recorded one of {work.meta.get('kind')} {work.meta.get('component')!r} there")
        else:
            work = self.engine.run(kind, name, works, seed=seed, params=params)
        self.made.append(work)
        return work

    def unused(self) -> int:
        """How many recorded works a replayed call did not ask for (0 when it matched its provenance)."""
        return len(self._replay)


_CURRENT: contextvars.ContextVar[Context | None] = contextvars.ContextVar("muse_component_context", default=None)


@contextmanager
def calling(context: Context) -> Iterator[Context]:
    """Make ``context`` the current one while its component runs (nested calls stack)."""
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)


@dataclass
class TrainJob:
    """Everything `muse train` hands a component: where the data is, where to write, how."""

    data: Path | None
    out: Path
    params: dict[str, Any]
    seed: int = 0
    dry_run: bool = False
    resume: bool = True
    progress: bool = True


KINDS: tuple[str, ...] = ("generator", "stylizer", "composer", "renderer")
