"""Image data sets as uint8 tensors: IDX ``.gz`` pairs (MNIST layout) or folders of image files.

Everything becomes an ``(N, C, H, W)`` uint8 tensor plus optional integer labels and class
names, small enough to hold in memory (Fashion-MNIST is 47 MB), which keeps batching trivial
and shuffles deterministic.
"""

from __future__ import annotations

import gzip
import math
import struct
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from engine import BadInput

FASHION_CLASSES = ("t-shirt/top", "trouser", "pullover", "dress", "coat",
                   "sandal", "shirt", "sneaker", "bag", "ankle boot")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC = 2051, 2049


@dataclass
class ImageSet:
    """Images ``(N, C, H, W)`` uint8, labels ``(N,)`` int64 or None, and the label names."""

    images: torch.Tensor
    labels: torch.Tensor | None
    classes: tuple[str, ...]
    source: Path

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def take(self, count: int) -> ImageSet:
        """The first ``count`` items (for dry runs and quick evaluations)."""
        labels = None if self.labels is None else self.labels[:count]
        return ImageSet(self.images[:count], labels, self.classes, self.source)


# -- IDX ---------------------------------------------------------------------------------------
#: The largest IDX payload read (uint8 values; Fashion-MNIST's training images are 47 MB). The
#: header's shape is checked against it before the payload is read, and a (gzipped) payload is
#: read only as far as the header promises, so a small .gz that inflates to gigabytes costs nothing.
MAX_IDX_BYTES = 1 << 30


def read_idx(path: Path, magic: int) -> np.ndarray:
    """An IDX array (uint8 payload), checking the magic number, the size the header promises
    and the payload length, reading (and inflating) no more than the header promises."""
    kind = "images" if magic == IDX_IMAGES_MAGIC else "labels"
    try:
        with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as handle:
            head = handle.read(4)
            if len(head) < 4:
                raise BadInput(f"{path}: not an IDX file (only {len(head)} bytes)")
            found, = struct.unpack(">I", head)
            if found != magic:
                raise BadInput(f"{path}: not an IDX {kind} file (magic {found}, expected {magic})")
            dims = head[3]
            sizes = handle.read(4 * dims)
            if len(sizes) < 4 * dims:
                raise BadInput(f"{path}: IDX header is cut short")
            shape = struct.unpack(f">{dims}I", sizes)
            expected = math.prod(shape)
            if expected > MAX_IDX_BYTES:
                raise BadInput(f"{path}: the IDX header promises {'x'.join(map(str, shape))} = {expected:,} bytes of "
                               f"{kind}, over the {MAX_IDX_BYTES >> 20} MiB limit Muse reads")
            payload = handle.read(expected + 1)
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise BadInput(f"{path}: cannot read ({error})") from None
    if len(payload) > expected:
        raise BadInput(f"{path}: IDX payload holds more than the {expected:,} bytes its header promises ({'x'.join(map(str, shape))})")
    if len(payload) != expected:
        raise BadInput(f"{path}: IDX payload is {len(payload)} bytes but the header promises {expected} ({'x'.join(map(str, shape))})")
    return np.frombuffer(payload, dtype=np.uint8).reshape(shape)


def write_idx(path: Path, array: np.ndarray) -> Path:
    """Write a uint8 array as an IDX file (gzipped when ``path`` ends in .gz): images are
    N x H x W (magic 2051), labels N (magic 2049). The inverse of :func:`read_idx`."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    magic = IDX_IMAGES_MAGIC if array.ndim == 3 else IDX_LABELS_MAGIC
    raw = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    path = Path(path)
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return path


def labels_beside(images_path: Path) -> Path | None:
    """The labels file of an IDX images file: same name with ``labels-idx1`` for ``images-idx3``."""
    name = images_path.name.replace("images-idx3", "labels-idx1").replace("images.idx3", "labels.idx1")
    candidate = images_path.with_name(name)
    return candidate if candidate != images_path and candidate.is_file() else None


def default_classes(source: Path, count: int) -> tuple[str, ...]:
    """Fashion-MNIST's names when the path says so, else the label numbers as names."""
    if count <= len(FASHION_CLASSES) and "fashion" in str(source).lower():
        return FASHION_CLASSES
    return tuple(str(i) for i in range(count))


def load_idx(images_path: Path) -> ImageSet:
    pixels = read_idx(images_path, IDX_IMAGES_MAGIC)
    if pixels.ndim != 3:
        raise BadInput(f"{images_path}: IDX images must be N x H x W, got {pixels.ndim} dimensions")
    images = torch.from_numpy(pixels.copy()).unsqueeze(1)
    labels, classes = None, ()
    label_path = labels_beside(images_path)
    if label_path is not None:
        values = read_idx(label_path, IDX_LABELS_MAGIC)
        if values.shape != (len(pixels),):
            raise BadInput(f"{label_path}: {values.shape[0] if values.ndim else 0} labels for {len(pixels)} images")
        labels = torch.from_numpy(values.astype(np.int64))
        classes = default_classes(images_path, int(values.max()) + 1)
    return ImageSet(images, labels, classes, images_path)


def find_idx(folder: Path, split: str) -> Path | None:
    """The IDX images file of ``split`` ("train" or "test") in an MNIST-layout folder."""
    prefixes = ("train",) if split == "train" else ("t10k", "test")
    for item in sorted(folder.iterdir()):
        if "images-idx3" in item.name or "images.idx3" in item.name:
            if item.name.startswith(prefixes):
                return item
    return None


# -- folders of pictures -----------------------------------------------------------------------
def fit_picture(picture, size: int, channels: int) -> np.ndarray:
    """Centre-crop to a square, resize to ``size`` and convert to ``channels``; HxWxC uint8."""
    from PIL import Image as PILImage

    picture = picture.convert("L" if channels == 1 else "RGB")
    side = min(picture.size)
    left, top = (picture.width - side) // 2, (picture.height - side) // 2
    picture = picture.crop((left, top, left + side, top + side))
    if side != size:
        picture = picture.resize((size, size), PILImage.Resampling.LANCZOS if side > size else PILImage.Resampling.BICUBIC)
    array = np.array(picture, dtype=np.uint8)  # a writable copy
    return array[:, :, None] if array.ndim == 2 else array


#: The most pixels a picture in a training folder may have (a 24-megapixel photo is fine; a PNG
#: that claims 60,000 x 60,000 is a decompression bomb and is skipped with a note).
MAX_TRAINING_PIXELS = 100_000_000


def load_folder(folder: Path, size: int, channels: int) -> ImageSet:
    """Every picture under ``folder``; sub-folder names become class labels when there are several.

    Files that are not pictures are skipped with one note, so a stray README does not stop a run.
    """
    import warnings

    from PIL import Image as PILImage, UnidentifiedImageError

    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise BadInput(f"{folder}: the folder is empty")
    arrays, groups, skipped = [], [], []
    for path in files:
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            skipped.append(path)
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
                picture = PILImage.open(path)
            with picture:
                width, height = picture.size
                if width * height > MAX_TRAINING_PIXELS:  # a decompression bomb: skip it, keep the rest
                    print(f"muse: skipped {path.name}: a {width}x{height} image is over the "
                          f"{MAX_TRAINING_PIXELS // 1_000_000} megapixels a training image may have "
                          "(a decompression bomb?)", file=sys.stderr)
                    continue
                arrays.append(fit_picture(picture, size, channels))
        except PILImage.DecompressionBombError:
            print(f"muse: skipped {path.name}: a decompression bomb (more pixels than Pillow will open)", file=sys.stderr)
            continue
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            skipped.append(path)
            continue
        groups.append(path.parent.relative_to(folder).as_posix())
    if skipped:
        print(f"muse: skipped {len(skipped)} file(s) that are not readable images in {folder}, "
              f"e.g. {skipped[0].name}", file=sys.stderr)
    if not arrays:
        raise BadInput(f"{folder}: no readable images ({len(skipped)} other file(s))")
    images = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()
    names = sorted(set(groups))
    if len(names) < 2:
        return ImageSet(images, None, (), folder)
    index = {name: i for i, name in enumerate(names)}
    labels = torch.tensor([index[g] for g in groups], dtype=torch.int64)
    return ImageSet(images, labels, tuple(names), folder)


# -- entry points ------------------------------------------------------------------------------
def load_images(path: Path, split: str = "train", size: int | None = None, channels: int | None = None) -> ImageSet:
    """Load ``split`` of the data at ``path``; resize/convert to ``size``/``channels`` when given.

    ``path`` is an MNIST-layout folder (``train-images-idx3-ubyte.gz`` and ``t10k-...`` with
    their labels), a single IDX images file (its labels file beside it), or a folder of pictures.
    A folder of pictures has no splits: ``split`` is ignored there.
    """
    path = Path(path)
    if not path.exists():
        raise BadInput(f"{path}: no such file or folder")
    if path.is_file():
        data = load_idx(path)
    else:
        idx = find_idx(path, split)
        if idx is None and any("idx3" in p.name for p in path.iterdir()):
            raise BadInput(f"{path}: no {split} IDX images file (expected {'train' if split == 'train' else 't10k'}-images-idx3-ubyte.gz)")
        data = load_idx(idx) if idx is not None else load_folder(path, size or 28, channels or 1)
    return conform(data, size, channels)


def has_split(path: Path, split: str) -> bool:
    return Path(path).is_dir() and find_idx(Path(path), split) is not None


def conform(data: ImageSet, size: int | None, channels: int | None) -> ImageSet:
    """Resize/convert ``data`` to the given shape (a no-op when it already fits)."""
    images = data.images
    if channels and images.shape[1] != channels:
        images = to_channels(images, channels)
    if size and images.shape[-1] != size:
        images = resize(images, size)
    return ImageSet(images, data.labels, data.classes, data.source)


def to_channels(images: torch.Tensor, channels: int) -> torch.Tensor:
    """Grey <-> RGB(A) for uint8 batches (luma weights for RGB -> grey, alpha dropped)."""
    if images.shape[1] == 4:
        images = images[:, :3]
    if channels == 1 and images.shape[1] == 3:
        weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
        return (images.float() * weights).sum(1, keepdim=True).round().clamp(0, 255).to(torch.uint8)
    if channels == 3 and images.shape[1] == 1:
        return images.expand(-1, 3, -1, -1).contiguous()
    return images


def resize(images: torch.Tensor, size: int) -> torch.Tensor:
    """Square uint8 batches to ``size`` x ``size`` (area filter down, bilinear up)."""
    mode = "area" if images.shape[-1] > size else "bilinear"
    scaled = torch.nn.functional.interpolate(images.float(), size=(size, size), mode=mode)
    return scaled.round().clamp(0, 255).to(torch.uint8)


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """uint8 -> float in [-1, 1] (what the GAN's tanh output and the classifier use)."""
    return images.float().div(127.5).sub(1.0)


def from_unit(values: torch.Tensor) -> torch.Tensor:
    """float in [-1, 1] -> uint8."""
    return values.add(1.0).mul(127.5).round().clamp(0, 255).to(torch.uint8)
