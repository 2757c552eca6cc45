"""The `poster` composer: a poem typeset beside, below or over an image.

Small images (a 28-pixel GAN sample) are first enlarged smoothly, by repeated bicubic doubling,
which blurs far less blockily than one big jump. The font size is the largest at which the
wrapped poem fits its box, found by bisection, so short poems are big and long ones still fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine import BadInput, Image, Text
from engine.scripts import is_cjk

from .fonts import FontSource

LINE_SPACING = 1.35
MIN_FONT, MAX_FONT = 8, 160


@dataclass
class Layout:
    """Wrapped lines (the title's first), at a font size; the title is 1.3 times bigger."""

    lines: list[str]
    title_lines: int
    size: int
    title_size: int

    @property
    def heights(self) -> list[int]:
        return [round((self.title_size if i < self.title_lines else self.size) * LINE_SPACING)
                for i in range(len(self.lines))]


def enlarge(picture, target: int):
    """``picture`` with its longer side brought up to ``target`` pixels (never shrunk)."""
    from PIL import Image as PILImage

    longest = max(picture.size)
    if longest >= target:
        return picture
    while max(picture.size) * 2 <= target:
        picture = picture.resize((picture.width * 2, picture.height * 2), PILImage.Resampling.BICUBIC)
    scale = target / max(picture.size)
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    return picture.resize(size, PILImage.Resampling.LANCZOS)


def wrap(line: str, font, width: int) -> list[str]:
    """``line`` broken into pieces no wider than ``width``: at spaces, or anywhere in CJK text."""
    if not line.strip():
        return [""]
    cjk = any(is_cjk(c) for c in line)
    units = list(line) if cjk else line.split(" ")
    joiner = "" if cjk else " "
    pieces, current = [], ""
    for unit in units:
        attempt = current + joiner + unit if current else unit
        if current and font.getlength(attempt) > width:
            pieces.append(current)
            current = unit
        else:
            current = attempt
    pieces.append(current)
    return pieces


def fit(text: Text, fonts: FontSource, width: int, height: int, fixed: int | None) -> Layout:
    """The biggest font size (or ``fixed``) at which the wrapped poem and title fit ``width`` x ``height``."""

    def layout(size: int) -> Layout:
        lines = [piece for line in text.lines for piece in wrap(line, fonts.at(size), width)]
        title_size = round(size * 1.3)
        title = wrap(text.title, fonts.at(title_size), width) if text.title else []
        return Layout(title + [""] * bool(title) + lines, len(title), size, title_size)

    def fits(candidate: Layout) -> bool:
        wide = max(fonts.at(candidate.title_size if i < candidate.title_lines else candidate.size).getlength(line)
                   for i, line in enumerate(candidate.lines))
        return sum(candidate.heights) <= height and wide <= width

    if fixed:
        return layout(fixed)
    low, high = MIN_FONT, MAX_FONT
    while low < high:
        middle = (low + high + 1) // 2
        if fits(layout(middle)):
            low = middle
        else:
            high = middle - 1
    return layout(low)


def _mix(colour: tuple[int, ...], other: tuple[int, ...], amount: float) -> tuple[int, int, int]:
    return tuple(round(a * (1 - amount) + b * amount) for a, b in zip(colour[:3], other[:3]))  # type: ignore[return-value]


def draw_text(canvas, layout: Layout, fonts: FontSource, box: tuple[int, int, int, int],
              colour: tuple[int, int, int], shadow: tuple[int, int, int] | None) -> None:
    """Write the laid-out lines into ``box`` (left, top, width, height), centred vertically."""
    from PIL import ImageDraw

    draw = ImageDraw.Draw(canvas)
    left, top, width, height = box
    heights = layout.heights
    y = top + max(0, (height - sum(heights)) // 2)
    for index, (line, step) in enumerate(zip(layout.lines, heights)):
        font = fonts.at(layout.title_size if index < layout.title_lines else layout.size)
        if shadow is not None:
            offset = max(1, layout.size // 18)
            draw.text((left + offset, y + offset), line, font=font, fill=shadow)
        draw.text((left, y), line, font=font, fill=colour)
        y += step


def make_poster(image: Image, text: Text, params: dict[str, Any]) -> Image:
    """The `poster` composer (see the module docstring)."""
    import numpy as np
    from PIL import Image as PILImage

    if not text.title and not any(line.strip() for line in text.lines):
        raise BadInput("poster: the text is empty; nothing to typeset")
    picture = image.to_pil()
    if picture.mode == "RGBA":
        backdrop = PILImage.new("RGB", picture.size, (255, 255, 255))
        backdrop.paste(picture, mask=picture.getchannel("A"))
        picture = backdrop
    picture = enlarge(picture.convert("RGB"), params["size"])
    cjk = any(is_cjk(c) for line in [text.title or "", *text.lines] for c in line)
    fonts = FontSource(cjk, params.get("font"))
    mean = tuple(int(v) for v in np.asarray(picture).reshape(-1, 3).mean(axis=0))
    width, height = picture.size
    layout_name = params["layout"]
    margin = max(12, round(min(width, height) * 0.06))
    if layout_name == "over":
        canvas = picture.copy()
        band_top = height // 2
        shade = np.zeros((height, width), dtype=np.float32)
        ramp = np.clip(np.linspace(-1.0, 1.0, 2 * margin), 0.0, 1.0) * 0.72  # fade in above the text
        shade[band_top - 2 * margin:band_top] = ramp[:, None]
        shade[band_top:] = 0.72
        darkened = np.asarray(canvas, dtype=np.float32) * (1 - shade[:, :, None])
        canvas = PILImage.fromarray(darkened.round().astype(np.uint8), "RGB")
        box = (margin, band_top, width - 2 * margin, height - band_top - margin)
        colour, shadow = (250, 248, 240), (0, 0, 0)
    else:
        paper = _mix(mean, (250, 247, 240), 0.85)
        if layout_name == "beside":
            panel = max(round(width * 0.9), 320)
            canvas = PILImage.new("RGB", (width + panel, height), paper)
            box = (width + margin, margin, panel - 2 * margin, height - 2 * margin)
        else:  # below
            panel = max(round(height * 0.75), 240)
            canvas = PILImage.new("RGB", (width, height + panel), paper)
            box = (margin, height + margin // 2, width - 2 * margin, panel - margin - margin // 2)
        canvas.paste(picture, (0, 0))
        colour, shadow = _mix(mean, (20, 18, 16), 0.8), None
    layout = fit(text, fonts, box[2], box[3], params.get("font_size"))
    draw_text(canvas, layout, fonts, box, colour, shadow)
    meta = {"layout": layout_name, "font": fonts.name, "font_size": layout.size, "image_size": [width, height]}
    return Image.from_pil(canvas, meta=meta)
