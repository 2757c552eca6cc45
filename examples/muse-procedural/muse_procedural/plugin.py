"""The components of muse-procedural, registered through the `muse` entry point.

Muse imports this module for `muse --help` and `muse list`, so it imports only ``engine``:
numpy drawing code and torch come in inside the methods that use them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine import Generator, Image, Param, Score, Stylizer, TrainJob, hookimpl
from engine.io import shipped_model
from engine.training_params import common_train_params

WEIGHTS = Path(__file__).parent / "weights"


class TruchetGenerator(Generator):
    name = "truchet"
    description = "Truchet tilings: one motif per tile, turned by a coin flip (arcs, diagonals, triangles)"
    output = Image
    params = (
        Param("tiles", int, 12, "tiles along each side", min=1, max=256),
        Param("tile_size", int, 24, "pixels along a tile's side", min=4, max=256),
        Param("motif", str, "arcs", "what each tile holds", choices=("arcs", "diagonals", "triangles")),
        Param("line", float, 0.16, "line width as a fraction of a tile (arcs and diagonals)", min=0.01, max=0.5),
        Param("palette", str, "ink", "colours; 'seeded' draws them from the seed",
              choices=("ink", "ocean", "ember", "seeded")),
    )
    demo_params = [{}, {"motif": "triangles", "palette": "ocean", "tiles": 16, "tile_size": 16}]

    def generate(self, params: dict[str, Any], seed: int) -> Image:
        from .truchet import draw

        return Image(draw(params["tiles"], params["tile_size"], params["motif"], params["line"], params["palette"], seed))


class GrooveGenerator(Generator):
    name = "groove"
    description = "drum grooves from Euclidean rhythms, with swing, ghost notes and tom fills"
    output = Score
    params = (
        Param("bars", int, 4, "length in bars of 4/4", min=1, max=256),
        Param("tempo", float, 100.0, "quarter notes per minute", min=40, max=240),
        Param("steps", int, 16, "grid steps per bar (12 gives a triplet feel)", choices=(8, 12, 16)),
        Param("kick", int, 4, "kick hits per bar, spread evenly (capped at steps)", min=0, max=16),
        Param("snare", int, 2, "snare hits per bar, starting on the backbeat", min=0, max=16),
        Param("hats", int, 8, "hi-hat hits per bar", min=0, max=16),
        Param("swing", float, 0.0, "delay of every second step, as a fraction of a step", min=0.0, max=0.5),
        Param("ghosts", float, 0.15, "chance of a quiet ghost snare on a free off-step", min=0.0, max=1.0),
        Param("fills", float, 0.5, "chance that every fourth bar ends in a tom fill", min=0.0, max=1.0),
        Param("humanize", float, 0.3, "random velocity variation", min=0.0, max=1.0),
    )
    demo_params = [{}, {"kick": 3, "snare": 2, "hats": 12, "steps": 12, "swing": 0.0, "tempo": 90}]

    def generate(self, params: dict[str, Any], seed: int) -> Score:
        from .groove import groove

        return groove(params, seed)


class HalftoneStylizer(Stylizer):
    name = "halftone"
    description = "print-style halftone dots, one per cell, sized by the cell's ink (mono or CMY)"
    input = Image
    output = Image
    params = (
        Param("cell", int, 8, "screen cell size in pixels", min=2, max=128),
        Param("mode", str, "mono", "one black screen, or cyan/magenta/yellow screens", choices=("mono", "cmy")),
    )
    demo_inputs = ("gan",)  # one garment, printed a dot per pixel

    def stylize(self, work: Image, params: dict[str, Any], seed: int) -> Image:
        from .halftone import halftone

        return Image(halftone(work.pixels, params["cell"], params["mode"]))


class PaletteStylizer(Stylizer):
    name = "palette"
    description = "repaint an image with a colour palette learned from other images (muse train palette)"
    input = Image
    output = Image
    params = (
        Param("model", str, "default", "shipped palette name or a .safetensors file from `muse train palette`"),
        Param("mix", float, 1.0, "how far to move each pixel towards its palette colour", min=0.0, max=1.0),
    )
    train_params = (
        Param("colours", int, 8, "how many colours to learn", min=2, max=256),
        *common_train_params(steps=400, batch_size=1024, lr=0.01),  # shared names, help and ranges
        Param("max_side", int, 128, "shrink each training image to this many pixels on its long side", min=8),
    )
    eval_params = (
        Param("model", str, "default", "shipped palette name or a .safetensors file"),
        Param("max_side", int, 256, "shrink each image to this long side before scoring", min=8),
    )

    def stylize(self, work: Image, params: dict[str, Any], seed: int) -> Image:
        from .palette import load_colours, repaint

        colours, sha256 = load_colours(shipped_model(params["model"], WEIGHTS, self.name), self.name)
        return Image(repaint(work.pixels, colours, params["mix"]), meta={"checkpoint": sha256})

    def train(self, job: TrainJob) -> dict[str, Any]:
        from .palette import train

        return train(job, self.name)

    def evaluate(self, data: Path | None, params: dict[str, Any]) -> dict[str, Any]:
        from engine import BadInput

        from .palette import evaluate

        if data is None:
            raise BadInput("palette eval needs --data: an image or a folder of images to repaint")
        return evaluate(shipped_model(params["model"], WEIGHTS, self.name), self.name, data, params["max_side"])


@hookimpl
def register_generators(register):
    register(TruchetGenerator())
    register(GrooveGenerator())


@hookimpl
def register_stylizers(register):
    register(HalftoneStylizer())
    register(PaletteStylizer())
