"""Pixels in and out for the stylizer: style files, resizing, colour spaces, alpha.

Everything here works on float tensors shaped ``(1, 3, H, W)`` in 0..1. Opening files is the
image toolkit's (plugins/imagekit/pictures.py), shared with `singan`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from engine import Image

from plugins.imagekit.pictures import HUGE_SIDE, fit_long_side, note, to_pixels, to_tensor
from plugins.imagekit.pictures import load_picture as load_any_picture


def load_picture(path: Path | str, long_side: int) -> torch.Tensor:
    """A style image at (at most) ``long_side`` pixels; errors call it a style image."""
    return load_any_picture(path, long_side, kind="style image")


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
