"""Pixels in and out: loading style files safely, resizing, colour spaces, alpha.

Everything here works on float tensors shaped ``(1, 3, H, W)`` in 0..1. Style files are opened
with Pillow's JPEG draft mode and a pixel cap so a 100-megapixel painting costs a few MB, not GBs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from engine import BadInput, Image

#: Images with more pixels than this are refused outright (Pillow's own bomb limit is ~179 MP).
MAX_PIXELS = 400_000_000
#: Inputs whose long side is above this get a note when they are shrunk.
HUGE_SIDE = 4096


def note(message: str) -> None:
    """A one-line remark on stderr that is not an error (the CLI keeps stdout for results)."""
    print(f"muse: note: {message}", file=sys.stderr)


def load_picture(path: Path | str, long_side: int) -> torch.Tensor:
    """Read an image file as RGB at (at most) ``long_side`` pixels, with a clear error if it is not one."""
    from PIL import Image as PILImage, UnidentifiedImageError

    path = Path(path).expanduser()
    if not path.is_file():
        raise BadInput(f"{path}: no such style image")
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
            picture = fit_long_side(picture, long_side)
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


def split_work(work: Image, long_side: int) -> tuple[torch.Tensor, torch.Tensor | None, bool]:
    """An Image as an RGB tensor at ``long_side`` px, its alpha (same size) or None, and whether it was grey."""
    picture = work.to_pil()
    grey = picture.mode == "L"
    alpha = picture.getchannel("A") if picture.mode == "RGBA" else None
    if max(picture.size) > HUGE_SIDE:
        note(f"input is {picture.width}x{picture.height}; working at {long_side} px on the long side")
    rgb = fit_long_side(picture.convert("RGB"), long_side)
    alpha_tensor = None
    if alpha is not None:
        alpha_tensor = to_tensor(np.asarray(fit_long_side(alpha, long_side), dtype=np.uint8)[:, :, None])
    return to_tensor(np.asarray(rgb, dtype=np.uint8)), alpha_tensor, grey


def join_work(rgb: torch.Tensor, alpha: torch.Tensor | None, grey: bool) -> np.ndarray:
    """The inverse of :func:`split_work`: uint8 pixels with the alpha put back; grey stays grey
    only when the result has no colour of its own (luminance-only transfer)."""
    if grey:
        rgb = luminance(rgb).expand(-1, 3, -1, -1) if _is_grey(rgb) else rgb
    if alpha is not None:
        rgb = torch.cat([rgb, alpha], dim=1)
    pixels = to_pixels(rgb)
    return pixels[:, :, :1] if grey and alpha is None and _is_grey(rgb) else pixels


def _is_grey(rgb: torch.Tensor) -> bool:
    return bool((rgb[:, :3].amax(1) - rgb[:, :3].amin(1)).abs().max() < 1.5 / 255)


def resize(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Antialiased bilinear resize to ``(height, width)``."""
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    return F.interpolate(image, size=size, mode="bilinear", align_corners=False, antialias=True)


def scaled_size(height: int, width: int, long_side: int) -> tuple[int, int]:
    scale = long_side / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


# -- colour ------------------------------------------------------------------------------------
_RGB_TO_YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])


def rgb_to_yiq(rgb: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,bjhw->bihw", _RGB_TO_YIQ, rgb)


def yiq_to_rgb(yiq: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,bjhw->bihw", torch.linalg.inv(_RGB_TO_YIQ), yiq)


def luminance(rgb: torch.Tensor) -> torch.Tensor:
    return rgb_to_yiq(rgb)[:, :1]


def grey_rgb(rgb: torch.Tensor) -> torch.Tensor:
    """The luminance repeated in three channels: what luminance-only transfer optimises."""
    return luminance(rgb).expand(-1, 3, -1, -1).contiguous()


def match_luminance(style_grey: torch.Tensor, content_grey: torch.Tensor) -> torch.Tensor:
    """Shift and scale the style's luminance to the content's mean and spread (Gatys et al. 2016,
    "Preserving colour"), so luminance-only transfer keeps the photo's overall brightness."""
    mean, std = style_grey.mean(), style_grey.std().clamp_min(1e-4)
    return ((style_grey - mean) / std * content_grey.std() + content_grey.mean()).clamp(0, 1)


def with_content_colour(result: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """The result's luminance with the content's chrominance (I and Q of YIQ)."""
    yiq = rgb_to_yiq(content)
    yiq = torch.cat([luminance(result), yiq[:, 1:]], dim=1)
    return yiq_to_rgb(yiq).clamp(0, 1)


def _srgb_to_linear(rgb: torch.Tensor) -> torch.Tensor:
    return torch.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(rgb: torch.Tensor) -> torch.Tensor:
    rgb = rgb.clamp_min(0)
    return torch.where(rgb <= 0.0031308, rgb * 12.92, 1.055 * rgb ** (1 / 2.4) - 0.055)


_RGB_TO_XYZ = torch.tensor([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                            [0.0193339, 0.1191920, 0.9503041]])
_WHITE = torch.tensor([0.95047, 1.0, 1.08883]).view(1, 3, 1, 1)


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """sRGB (D65) -> CIE L*a*b*."""
    xyz = torch.einsum("ij,bjhw->bihw", _RGB_TO_XYZ, _srgb_to_linear(rgb)) / _WHITE
    f = torch.where(xyz > (6 / 29) ** 3, xyz.clamp_min(1e-12) ** (1 / 3), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return torch.cat([116 * f[:, 1:2] - 16, 500 * (f[:, :1] - f[:, 1:2]), 200 * (f[:, 1:2] - f[:, 2:])], dim=1)


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    fy = (lab[:, :1] + 16) / 116
    f = torch.cat([fy + lab[:, 1:2] / 500, fy, fy - lab[:, 2:] / 200], dim=1)
    xyz = torch.where(f > 6 / 29, f ** 3, 3 * (6 / 29) ** 2 * (f - 4 / 29)) * _WHITE
    return _linear_to_srgb(torch.einsum("ij,bjhw->bihw", torch.linalg.inv(_RGB_TO_XYZ), xyz)).clamp(0, 1)


def lab_moments(image: torch.Tensor) -> torch.Tensor:
    """``(B, 3, H, W)`` -> ``(B, 2, 3)``: each image's per-channel mean and spread in Lab."""
    lab = rgb_to_lab(image)
    return torch.stack([lab.mean((2, 3)), lab.std((2, 3))], dim=1)


def recolour(content: torch.Tensor, moments: torch.Tensor) -> torch.Tensor:
    """Each image of ``content`` with its Lab mean and spread moved to ``moments`` (``(1|B, 2, 3)``)."""
    source = rgb_to_lab(content)
    mean, spread = source.mean((2, 3), keepdim=True), source.std((2, 3), keepdim=True).clamp_min(1e-4)
    return lab_to_rgb((source - mean) / spread * moments[:, 1, :, None, None] + moments[:, 0, :, None, None])


def reinhard_transfer(content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    """Classic colour transfer (Reinhard et al. 2001): match per-channel mean and spread in Lab.
    The baseline that any neural method must beat on style distance."""
    return recolour(content, lab_moments(style))
