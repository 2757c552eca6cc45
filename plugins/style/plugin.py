"""The `style` stylizer: paint an Image in the manner of one or more paintings; and `appraise`,
which names the reference painting an image is closest to by the same style statistics.

Two modes share one loss. Without ``model`` it optimises the pixels (Gatys et al.) over a
random-weight encoder, coarse to fine; with ``model=`` it runs a feed-forward net trained by
`muse train style`. torch is imported inside the methods so `muse list` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine import BadInput, Image, Param, ParamError, Stylizer, Text, TrainJob, hookimpl
from engine.training_params import common_train_params

WEIGHTS_DIR = Path(__file__).parent / "weights"


def style_files_exist(value: str) -> None:
    """A missing painting is a typo to report before torch loads (2 s), not after."""
    for part in value.split(","):
        path = Path(part.strip()).expanduser()
        if part.strip() and not path.is_file():
            raise BadInput(f"{path}: no such style image")


STYLE = Param("style", str, None, "style image path(s), comma-separated to blend several: style=a.jpg,b.png",
              check=style_files_exist)
STYLE_WEIGHTS = Param("style_weights", str, None, "blend weights for several styles, e.g. 0.7,0.3 (default: equal)")
STRENGTH = Param("strength", float, 1.0, "style weight against content; with model= a blend with the input "
                 "(values above 1 count as 1)", min=0.0, max=100.0)
FEATURES = Param("features", str, "random", "feature network: random (built in) or vgg19 (needs weights=)",
                 choices=("random", "vgg19"))
WEIGHTS = Param("weights", Path, None, "your own VGG-19 state dict in torchvision's layout (.pth or .safetensors)")


class StyleStylizer(Stylizer):
    name = "style"
    description = "neural style transfer with random-feature Gram losses, or a trained fast model"
    params = (
        STYLE, STYLE_WEIGHTS, STRENGTH,
        Param("size", int, 512, "long side of the output in pixels", min=16, max=4096),
        Param("steps", int, 60, "L-BFGS steps per pyramid level (optimisation mode)", min=1, max=5000),
        Param("levels", int, 0, "pyramid levels, coarse to fine; 0 = down to ~128 px, 1 = single scale",
              min=0, max=8),
        Param("preserve_color", bool, False, "transfer only luminance; keep the input's colours"),
        Param("init", str, "content", "start from the content image or from noise", choices=("content", "noise")),
        FEATURES, WEIGHTS,
        Param("model", str, None, "a fast feed-forward model: a shipped name (default, great-wave, shipwreck) or a .safetensors "
              "file from `muse train style`; style= is then not needed"),
        Param("snapshots", Path, None, "folder to save the result of each pyramid level (optimisation mode)",
              writes=True),
    )
    train_params = (
        STYLE, STYLE_WEIGHTS, STRENGTH,
        *common_train_params(steps=2000, batch_size=4, lr=1e-3, checkpoint_every=200, sample_every=200),
        Param("crop", int, 160, "content crop size in pixels", min=32, max=1024),
        Param("width", int, 16, "channels of the net's first layer (Johnson et al.: 32)", min=4, max=128),
        Param("blocks", int, 3, "residual blocks", min=1, max=10),
        Param("skip", bool, True, "paint over the photo (the net starts as the identity) instead of rebuilding it"),
        Param("transport", bool, False, "with skip: start from the painting's whole colour distribution (sliced "
              "transport) instead of its Lab mean and spread (Reinhard)"),
        Param("colour", float, 10.0, "weight of the colour-distribution loss (sliced Wasserstein to the painting's pixels)",
              min=0.0, max=1000.0),
        FEATURES, WEIGHTS,
    )
    eval_params = (
        STYLE, STYLE_WEIGHTS,
        Param("model", str, "default", "the fast model to score (shipped name or .safetensors path)"),
        Param("size", int, 256, "long side the content images are stylized at", min=32, max=2048),
    )
    demo_params = [{"model": name, "size": 256} for name in ("default", "great-wave", "shipwreck")]
    #: Muse Studio shows `style` (a str of comma-separated image paths) as a file picker.
    studio_widgets = {"style": "file"}

    def stylize(self, work: Image, params: dict[str, Any], seed: int) -> Image:

        from engine.training import configure_threads

        from .images import join_work, split_work, with_content_colour

        configure_threads()
        content, alpha, grey = split_work(work, params["size"])
        meta: dict[str, Any] = {}
        if params["model"]:
            result, meta["checkpoint"] = self._feed_forward(content, params)
        else:
            result = self._optimise(content, params, seed)
        if params["preserve_color"]:
            result = with_content_colour(result, content)
        return Image(join_work(result, alpha, grey), meta=meta)

    def _feed_forward(self, content, params: dict[str, Any]):
        from engine.io import shipped_model

        from .fast import apply_net, load_net

        if params["style"]:
            raise ParamError("style= does not apply with model=: a fast model has its style built in")
        net, sha256 = load_net(shipped_model(params["model"], WEIGHTS_DIR, self.name))
        stylized = apply_net(net, content)
        mix = min(params["strength"], 1.0)
        return content + mix * (stylized - content), sha256

    def _optimise(self, content, params: dict[str, Any], seed: int):
        from .fast import parse_styles
        from .features import make_encoder
        from .images import load_picture
        from .optimize import Plan, stylize_image

        paths, weights = parse_styles(params["style"], params["style_weights"])
        side = max(content.shape[-2:])
        styles = [load_picture(path, side) for path in paths]
        encoder = make_encoder(params["features"], params["weights"])
        plan = Plan(size=side, steps=params["steps"], strength=params["strength"], levels=params["levels"],
                    init=params["init"], preserve_color=params["preserve_color"], seed=seed,
                    snapshots=params["snapshots"])
        return stylize_image(content, styles, weights, encoder, plan)

    def train(self, job: TrainJob) -> dict[str, Any]:
        from .fast import train

        if job.data is None:
            raise BadInput("train style needs --data CONTENT_DIR (a folder of photos to learn on)")
        return train(job)

    def evaluate(self, data: Path | None, params: dict[str, Any]) -> dict[str, Any]:
        from .metrics import evaluate_fast_model

        if data is None:
            raise BadInput("eval style needs --data CONTENT_DIR (photos to stylize)")
        return evaluate_fast_model(data, params, WEIGHTS_DIR)


#: Images the classifier can name: grey and at most this many pixels on a side (it reads 28 px).
CLASSIFIABLE_SIDE = 32


class AppraiseStylizer(Stylizer):
    name = "appraise"
    description = "names the reference painting an image is nearest to in style, its palette, and (small grey images) its class"
    input = Image
    output = Text
    params = (
        Param("references", Path, None, "a folder of paintings, or a references .safetensors file "
              "(default: the paintings the shipped fast styles learnt)"),
        Param("top", int, 3, "how many reference paintings to list, nearest first", min=1, max=100),
        Param("colours", int, 5, "how many dominant colours to list", min=1, max=32),
    )
    demo_inputs = ("gan",)

    def stylize(self, work: Image, params: dict[str, Any], seed: int) -> Text:
        from .appraisal import palette, ranked_by_style, style_statistics
        from .images import split_work
        from .model import RandomEncoder

        encoder = RandomEncoder()
        references, source = self._references(params["references"], encoder)
        content, _, grey = split_work(work, max(work.width, work.height))
        ranked = ranked_by_style(references, style_statistics(encoder, content))
        lines = [f"style\t{name}\t{distance:.3f}" for name, distance in ranked[:params["top"]]]
        lines += [f"colour\t{hexcode}\t{share:.3f}" for hexcode, share in palette(content, params["colours"])]
        if grey and max(work.width, work.height) <= CLASSIFIABLE_SIDE and self.context.has("stylizer", "classifier"):
            label = self.context.stylize("classifier", work, seed=seed, top=1)
            assert isinstance(label, Text)
            lines += [f"label\t{line}" for line in label.lines]
        return Text(lines=lines, title="appraisal", meta={"references": source})

    @staticmethod
    def _references(value: Path | None, encoder):
        """The reference statistics and what they came from (a sha256 for a file, a folder's path)."""
        from engine.io import file_sha256

        from .appraisal import load_references, references_from_folder

        path = WEIGHTS_DIR / "appraise" / "references.safetensors" if value is None else Path(value).expanduser()
        if path.is_dir():
            return references_from_folder(path, encoder), str(path)
        if not path.is_file():
            raise BadInput(f"references={path}: no such folder or file (give a folder of paintings or a references .safetensors file)")
        return load_references(path, encoder), file_sha256(path)


@hookimpl
def register_stylizers(register):
    register(StyleStylizer())
    register(AppraiseStylizer())
