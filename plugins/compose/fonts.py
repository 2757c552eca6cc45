"""Finding a font that can draw the poem: any Latin font will do, CJK needs a CJK one.

Pillow draws missing glyphs as empty boxes without complaint, so for Chinese we look for a font
known to cover CJK (by file name, then by asking fontconfig) and say plainly what to install
when there is none, rather than printing a poster of boxes.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

from engine import BadInput, MuseError

CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
)
LATIN_FONT_NAMES = ("DejaVuSerif.ttf", "DejaVuSans.ttf", "LiberationSerif-Regular.ttf", "FreeSerif.ttf")
INSTALL_HINT = ("install one, e.g. `apt-get install fonts-noto-cjk` (Debian/Ubuntu) or "
                "`dnf install google-noto-sans-cjk-fonts`, or pass font=PATH to a CJK font file")


@functools.cache
def find_cjk_font() -> str | None:
    """A font file that covers Chinese, or None."""
    for candidate in CJK_FONT_FILES:
        if Path(candidate).is_file():
            return candidate
    if shutil.which("fc-list"):
        try:
            listing = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            listing = ""
        files = sorted(line.split(":")[0].strip() for line in listing.splitlines() if line.strip())
        if files:
            return files[0]
    return None


class FontSource:
    """Makes the chosen font at any size (fitting the text tries many sizes)."""

    def __init__(self, cjk: bool, path: Path | None = None):
        from PIL import ImageFont

        self.path: str | None = None
        if path is not None:
            if not Path(path).is_file():
                raise BadInput(f"font={path}: no such file")
            try:
                ImageFont.truetype(str(path), 12)
            except OSError:
                raise BadInput(f"font={path}: not a font file Pillow can read") from None
            self.path = str(path)
        elif cjk:
            self.path = find_cjk_font()
            if self.path is None:
                raise MuseError(f"poster: the poem is Chinese but no CJK font is installed; {INSTALL_HINT}")
        else:
            for name in LATIN_FONT_NAMES:
                try:
                    ImageFont.truetype(name, 12)
                except OSError:
                    continue
                self.path = name
                break

    @property
    def name(self) -> str:
        return Path(self.path).name if self.path else "Pillow default"

    @functools.lru_cache(maxsize=64)  # noqa: B019 -- bounded (64) and FontSource objects are few and small; keeping them alive is the point
    def at(self, size: int):
        from PIL import ImageFont

        if self.path:
            return ImageFont.truetype(self.path, size)
        return ImageFont.load_default(size=size)  # Pillow >= 10.1 ships a scalable default
