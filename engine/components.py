"""What a component is: something with a name, declared parameters and one job.

Plugins subclass one of :class:`Generator`, :class:`Stylizer`, :class:`Composer` or
:class:`Renderer` and register an instance. Model components add training and evaluation by
setting ``train_params`` and implementing :meth:`Component.train` / :meth:`Component.evaluate`;
`muse train NAME` and `muse eval NAME` find them by that.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from .params import Param
from .works import Image, Work


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

    @property
    def trainable(self) -> bool:
        return bool(self.train_params)

    def train(self, job: "TrainJob") -> dict[str, Any]:
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


class Composer(Component):
    """Combines works, possibly of different modalities, into a new one (a poem + a melody = a song)."""

    kind: ClassVar[str] = "composer"
    inputs: ClassVar[tuple[type[Work], ...]] = ()
    output: ClassVar[type[Work]] = Work

    def compose(self, works: list[Work], params: dict[str, Any], seed: int) -> Work:
        raise NotImplementedError


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
