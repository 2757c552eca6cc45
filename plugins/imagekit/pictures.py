"""Opening picture files as float tensors, safely: the one loader the image plugins share.

Everything here works on float tensors shaped ``(1, 3, H, W)`` in 0..1. Files are opened with
Pillow's JPEG draft mode and a pixel cap so a 100-megapixel painting costs a few MB, not GBs;
anything that is not a picture is refused in one line naming the file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from engine import BadInput


#: Images with more pixels than this are refused outright (Pillow's own bomb limit is ~179 MP).
MAX_PIXELS = 400_000_000
#: Inputs whose long side is above this get a note when they are shrunk.
HUGE_SIDE = 4096


def note(message: str) -> None:
    """A one-line remark on stderr that is not an error (the CLI keeps stdout for results)."""
    print(f"muse: note: {message}", file=sys.stderr)


def load_picture(path: Path | str, long_side: int, kind: str = "image", enlarge: bool = True) -> torch.Tensor:
    """Read an image file as RGB at ``long_side`` pixels on its long side (at most, unless
    ``enlarge``), with a clear error if it is not one; ``kind`` names the file in that error
    ("no such style image")."""
    from PIL import Image as PILImage, UnidentifiedImageError

    path = Path(path).expanduser()
    if not path.is_file():
        raise BadInput(f"{path}: no such {kind}")
    previous = PILImage.MAX_IMAGE_PIXELS
    PILImage.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with PILImage.open(path) as picture:
            width, height = picture.size
            picture.draft("RGB", (long_side, long_side))  # JPEG decodes at 1/2..1/8 scale: bounded memory
            picture = picture.convert("RGBA" if _has_alpha(picture) else "RGB")
            if picture.mode == "RGBA":  # flatten onto white, as a painting on paper
                backdrop = PILImage.new("RGB", picture.size, (255, 255, 255))
                backdrop.paste(picture, mask=picture.getchannel("A"))
                picture = backdrop
            if max(width, height) > HUGE_SIDE:
                note(f"{path} is {width}x{height}; using it at {long_side} px on the long side")
            picture = fit_long_side(picture, long_side if enlarge else min(long_side, max(width, height)))
            pixels = np.asarray(picture, dtype=np.uint8)
    except PILImage.DecompressionBombError:
        raise BadInput(f"{path}: image is too large (over {MAX_PIXELS // 1_000_000} megapixels)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise BadInput(f"{path}: not a readable image ({str(error).splitlines()[0] if str(error) else type(error).__name__})") from None
    finally:
        PILImage.MAX_IMAGE_PIXELS = previous
    return to_tensor(pixels)


def _has_alpha(picture) -> bool:
    return "A" in picture.getbands() or "transparency" in picture.info


def fit_long_side(picture, long_side: int):
    """A Pillow image scaled so its long side is ``long_side`` (Lanczos, both ways)."""
    from PIL import Image as PILImage

    width, height = picture.size
    scale = long_side / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return picture if size == picture.size else picture.resize(size, PILImage.Resampling.LANCZOS)


def to_tensor(pixels: np.ndarray) -> torch.Tensor:
    """``(H, W, 3)`` uint8 -> ``(1, 3, H, W)`` float in 0..1."""
    return torch.from_numpy(np.array(pixels, dtype=np.uint8)).permute(2, 0, 1)[None].float().div(255.0).contiguous()


def to_pixels(image: torch.Tensor) -> np.ndarray:
    """``(1, C, H, W)`` float -> ``(H, W, C)`` uint8, clamped and rounded."""
    return image[0].detach().clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).contiguous().numpy()
