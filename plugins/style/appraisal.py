"""Art appraisal: which reference painting an image is closest to in style, and its palette.

"Style" here is what the style loss matches: the Gram matrices of the random-feature encoder
(model.py), taken with the image at a fixed long side so that brush scale compares. A set of
references is one Gram matrix per encoder layer per painting. They are small next to the
paintings (about 115 KB each in float16), so the default set ships as statistics in
``weights/references.safetensors`` and the paintings themselves never need to be present.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from engine import BadInput

from .images import load_picture, resize, scaled_size
from .losses import gram
from .model import ENCODER_SEED, RandomEncoder

#: Every image is measured with this long side, the same as `muse eval style`.
REFERENCE_SIDE = 256
#: A reference file says what made it; statistics from another encoder do not compare.
FORMAT = "muse-style-references/1"


@dataclass
class References:
    """Named Gram statistics: ``grams[layer]`` is ``(paintings, C, C)`` in the encoder's layer order."""

    names: list[str]
    grams: dict[str, torch.Tensor]


def style_statistics(encoder: RandomEncoder, image: torch.Tensor) -> dict[str, torch.Tensor]:
    """Gram matrices ``(1, C, C)`` of every style layer of ``image`` seen at :data:`REFERENCE_SIDE`."""
    height, width = image.shape[-2:]
    with torch.no_grad():
        features = encoder(resize(image, scaled_size(height, width, REFERENCE_SIDE)))
    return {name: gram(features[name]) for name in encoder.style_layers if name in features}


def references_from_folder(folder: Path, encoder: RandomEncoder) -> References:
    """The statistics of every image in ``folder``, named by file stem."""
    from .data import image_files

    if not folder.is_dir():
        raise BadInput(f"references={folder}: no such folder (give a folder of paintings or a references .safetensors file)")
    files = image_files(folder)
    stats = [style_statistics(encoder, load_picture(path, REFERENCE_SIDE)) for path in files]
    layers = [name for name in encoder.style_layers if all(name in s for s in stats)]
    return References([path.stem for path in files], {n: torch.cat([s[n] for s in stats]) for n in layers})


def save_references(references: References, path: Path) -> None:
    from safetensors.torch import save_file

    from engine.io import atomic_path

    tensors = {f"gram.{name}": value.to(torch.float16).contiguous() for name, value in references.grams.items()}
    metadata = {"format": FORMAT, "names": json.dumps(references.names), "side": str(REFERENCE_SIDE),
                "encoder_seed": str(ENCODER_SEED)}
    with atomic_path(path) as temporary:
        save_file(tensors, str(temporary), metadata=metadata)


def load_references(path: Path, encoder: RandomEncoder) -> References:
    """A reference file, checked at the door: its format, names, and one Gram per painting of
    each of the encoder's layers at the encoder's widths."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    except Exception as error:  # safetensors raises its own kinds for a truncated or foreign file
        raise BadInput(f"{path}: not a references file ({str(error).splitlines()[0][:200] if str(error) else type(error).__name__})") from None
    if metadata.get("format") != FORMAT or metadata.get("encoder_seed") != str(ENCODER_SEED):
        raise BadInput(f"{path}: not a {FORMAT} file made with this encoder")
    try:
        names = json.loads(metadata.get("names", ""))
    except json.JSONDecodeError:
        names = None
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise BadInput(f"{path}: its metadata names no paintings")
    expected = {name: value.shape[-1] for name, value in style_statistics(encoder, torch.zeros(1, 3, 64, 64)).items()}
    grams = {}
    for name, channels in expected.items():
        value = tensors.get(f"gram.{name}")
        if value is None or tuple(value.shape) != (len(names), channels, channels) or not torch.isfinite(value).all():
            raise BadInput(f"{path}: gram.{name} should be ({len(names)}, {channels}, {channels}) finite numbers")
        grams[name] = value.float()
    return References(names, grams)


def ranked_by_style(references: References, statistics: dict[str, torch.Tensor]) -> list[tuple[str, float]]:
    """Every reference with its style distance to ``statistics``, nearest first.

    The distance is the mean over layers of ``|G - G_ref| / |G_ref|`` (Frobenius norms), the
    form `muse eval style` uses: 0 for the same statistics, about 1 for unrelated ones.
    """
    per_layer = [(statistics[name] - target).flatten(1).norm(dim=1) / target.flatten(1).norm(dim=1).clamp_min(1e-12)
                 for name, target in references.grams.items()]
    distances = torch.stack(per_layer).mean(0)
    order = distances.argsort(stable=True)
    return [(references.names[int(i)], float(distances[i])) for i in order]


def palette(pixels: torch.Tensor, colours: int) -> list[tuple[str, float]]:
    """The ``colours`` dominant colours of an RGB ``(1, 3, H, W)`` image as ``#rrggbb`` and the
    share of pixels nearest to each, largest first (median cut: deterministic, no iterations)."""
    from PIL import Image as PILImage

    from .images import to_pixels

    height, width = pixels.shape[-2:]
    small = resize(pixels, scaled_size(height, width, min(128, max(height, width))))
    picture = PILImage.fromarray(to_pixels(small)).quantize(colors=colours, method=PILImage.Quantize.MEDIANCUT)
    rgb = picture.getpalette() or []
    counts = sorted(picture.getcolors() or [], reverse=True)
    total = sum(count for count, _ in counts)
    return [("#{:02x}{:02x}{:02x}".format(*rgb[3 * index:3 * index + 3]), count / total) for count, index in counts]


def main() -> None:
    """``python -m plugins.style.appraisal PAINTINGS_DIR OUT.safetensors``: how the shipped
    references file is made (docs/style.md, "Appraisal")."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("paintings", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    references = references_from_folder(args.paintings, RandomEncoder())
    save_references(references, args.out)
    print(f"{args.out}: {len(references.names)} paintings ({', '.join(references.names)})")


if __name__ == "__main__":
    main()
