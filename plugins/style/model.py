"""The networks: a random-weight feature encoder, an optional VGG-19, and the feed-forward stylizer.

Why random weights work: Gatys' style loss compares Gram matrices, i.e. second-order statistics
of local filter responses. Ustyuzhaninov et al. (2016) and He, Wang & Hopcroft (2016) showed
that those statistics are rich enough when the filters are random, as long as there are many
filters, a non-linearity, and several spatial scales. :class:`RandomEncoder` therefore runs a
shallow random network on every level of a Gaussian image pyramid (cheap: each level has a
quarter of the pixels) instead of one deep pretrained network.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .images import recolour
from .palette import COLOUR_DIRECTIONS, COLOUR_QUANTILES, transport_colours

#: The encoder's weights come from this seed, never from the work's seed: the "network" must be
#: the same for every run, or a style loss would mean something different each time.
ENCODER_SEED = 20160914


class Encoder(nn.Module):
    """A frozen feature extractor: ``forward(x)`` gives named feature maps for images in 0..1."""

    style_layers: tuple[str, ...] = ()
    content_layers: tuple[str, ...] = ()

    def freeze(self) -> Encoder:
        for parameter in self.parameters():
            parameter.requires_grad_(False)
        return self.eval()


class RandomEncoder(Encoder):
    """Two random conv layers (3x3, reflect padding, ReLU) applied at ``levels`` pyramid levels.

    Layer 1 keeps full resolution and sees fine brush texture; layer 2 is strided and mixes
    layer-1 responses into larger motifs. The same filters serve every level, so level ``k``
    sees structures ``2**k`` times bigger. Filters are zero-mean (they respond to patterns, not
    to brightness) and biases are spread so ReLUs cut at varied thresholds.

    Content is matched at full resolution (``content_level`` 0). A coarser content layer is blind
    to patterns at its level's Nyquist frequency (the binomial blur removes them), and the style
    loss then fills that blind spot with axis-aligned stripes up to ``2**content_level`` pixels apart.
    """

    def __init__(self, width: int = 48, levels: int = 5, seed: int = ENCODER_SEED, content_level: int = 0):
        super().__init__()
        self.levels = levels
        self.first = nn.Conv2d(3, width, 3, padding=1, padding_mode="reflect")
        self.second = nn.Conv2d(width, 2 * width, 3, padding=1, padding_mode="reflect")
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for conv in (self.first, self.second):
                weight = torch.randn(conv.weight.shape, generator=generator)
                weight -= weight.mean(dim=(1, 2, 3), keepdim=True)
                fan_in = weight[0].numel()
                conv.weight.copy_(weight * (2.0 / fan_in) ** 0.5)
                conv.bias.copy_((torch.rand(conv.bias.shape, generator=generator) - 0.5) * 0.5)
        self.style_layers = ("rgb", *(f"l{k}.{i}" for k in range(levels) for i in (1, 2)))
        self.content_layers = (f"l{min(content_level, levels - 1)}.1",)
        self.freeze()

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        level = image * 2.0 - 1.0
        features = {"rgb": level}
        for k in range(self.levels):
            if min(level.shape[-2:]) < 4:
                break
            first = F.relu(self.first(level))
            features[f"l{k}.1"] = first
            features[f"l{k}.2"] = F.relu(self.second(blur_down(first)))
            level = blur_down(level)
        return features


_BINOMIAL = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16


def blur_down(x: torch.Tensor) -> torch.Tensor:
    """Halve the resolution after a 5-tap binomial blur. Plain 2x2 averaging aliases, and its
    gradients print a 2**k-pixel grid onto optimised images; the blur removes that grid."""
    if min(x.shape[-2:]) < 3:
        return F.avg_pool2d(x, 2)
    channels = x.shape[1]
    kernel = (_BINOMIAL[:, None] * _BINOMIAL[None, :]).to(x)[None, None].expand(channels, 1, 5, 5)
    return F.conv2d(F.pad(x, (2, 2, 2, 2), mode="reflect"), kernel, stride=2, groups=channels)


# -- VGG-19 in torchvision's layout ------------------------------------------------------------
#: torchvision's ``vgg19().features``: conv indices by block; ReLU follows each conv, max-pool each block.
VGG19_BLOCKS = ((0, 2), (5, 7), (10, 12, 14, 16), (19, 21, 23, 25), (28, 30, 32, 34))
VGG19_STYLE = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
VGG19_CONTENT = ("relu4_2",)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class VGG19Encoder(Encoder):
    """VGG-19's convolutional part, built from a state dict's own shapes so any width loads.

    Only the layers up to ``relu5_1`` are built; the classifier is ignored.
    """

    style_layers = VGG19_STYLE
    content_layers = VGG19_CONTENT

    def __init__(self, state: dict[str, torch.Tensor], source: str = "weights"):
        super().__init__()
        self.convs = nn.ModuleList()
        self.names: list[str] = []
        channels = 3
        for block, indices in enumerate(VGG19_BLOCKS, 1):
            for position, index in enumerate(indices, 1):
                weight, bias = _vgg_tensor(state, index, "weight", source), _vgg_tensor(state, index, "bias", source)
                if weight.ndim != 4 or weight.shape[1:] != (channels, 3, 3) or bias.shape != (weight.shape[0],):
                    raise ValueError(f"{source}: features.{index} has weight {tuple(weight.shape)} and bias "
                                     f"{tuple(bias.shape)}; VGG-19 needs weight (C, {channels}, 3, 3) and bias (C,)")
                conv = nn.Conv2d(channels, weight.shape[0], 3, padding=1)
                conv.weight.data.copy_(weight.float())
                conv.bias.data.copy_(bias.float())
                self.convs.append(conv)
                self.names.append(f"relu{block}_{position}")
                channels = weight.shape[0]
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        self.freeze()

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        x = (image - self.mean) / self.std
        wanted = set(self.style_layers) | set(self.content_layers)
        features: dict[str, torch.Tensor] = {}
        for name, conv in zip(self.names, self.convs):
            if name.endswith("_1") and name != "relu1_1":
                x = F.max_pool2d(x, 2)
            x = F.relu(conv(x))
            if name in wanted:
                features[name] = x
            if len(features) == len(wanted):
                break
        return features


def _vgg_tensor(state: dict[str, torch.Tensor], index: int, kind: str, source: str) -> torch.Tensor:
    key = f"features.{index}.{kind}"
    if key not in state:
        raise ValueError(f"{source}: no {key!r}; expected a VGG-19 state dict in torchvision's layout")
    return state[key]


# -- the feed-forward stylizer (Johnson et al. 2016, with instance norm, Ulyanov et al. 2016) --
class ConvLayer(nn.Sequential):
    """Reflect-padded conv + instance norm (+ ReLU): no border seams, per-image contrast."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, relu: bool = True):
        layers: list[nn.Module] = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, padding_mode="reflect"),
                                   nn.InstanceNorm2d(cout, affine=True)]
        if relu:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(ConvLayer(channels, channels, 3), ConvLayer(channels, channels, 3, relu=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class UpsampleConv(nn.Sequential):
    """Nearest-neighbour upsampling then a conv: avoids the checkerboard of transposed convs."""

    def __init__(self, cin: int, cout: int):
        super().__init__(nn.Upsample(scale_factor=2, mode="nearest"), ConvLayer(cin, cout, 3))


class TransformerNet(nn.Module):
    """Image -> stylized image in one pass: downsample x4, residual blocks, upsample x4.

    ``width`` is the first layer's channel count (Johnson et al. use 32); the output is squashed
    into 0..1 by a sigmoid so the net never has to learn clamping.

    With ``skip`` the net paints *over* the photo: the photo is first moved to the painting's
    colour statistics (``palette``: Lab mean and spread, Reinhard et al. 2001; with ``transport``
    its whole colour distribution instead, ``colours``: :func:`palette.transport_colours`), the
    net's output is added to that image's logits, and its last layer starts at zero, so an untrained net is
    plain colour transfer and training only has to add the brushwork. Without it the net must
    first learn to rebuild the photo through a 4x bottleneck, which on a small CPU budget never
    gets past a blur (docs/style.md, "Fast mode").
    """

    def __init__(self, width: int = 16, blocks: int = 3, skip: bool = False, transport: bool = False):
        super().__init__()
        self.skip, self.transport = skip, skip and transport
        self.net = nn.Sequential(
            ConvLayer(3, width, 9), ConvLayer(width, 2 * width, 3, 2), ConvLayer(2 * width, 4 * width, 3, 2),
            *(ResidualBlock(4 * width) for _ in range(blocks)),
            UpsampleConv(4 * width, 2 * width), UpsampleConv(2 * width, width),
            nn.Conv2d(width, 3, 9, padding=4, padding_mode="reflect"),
        )
        if self.transport:
            self.register_buffer("colours", torch.zeros(1, COLOUR_DIRECTIONS, COLOUR_QUANTILES))
        elif skip:
            self.register_buffer("palette", torch.tensor([[50.0, 0.0, 0.0], [20.0, 10.0, 10.0]])[None])
        if skip:
            last = self.net[-1]
            assert isinstance(last, nn.Conv2d)
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        height, width = image.shape[-2:]
        painted = self.net(_pad_to_multiple(image * 2.0 - 1.0, 4))[..., :height, :width]
        if self.skip:
            base = transport_colours(image, self.colours) if self.transport else recolour(image, self.palette)
            painted = painted + torch.logit(base.clamp(SKIP_EPSILON, 1 - SKIP_EPSILON))
        return torch.sigmoid(painted)


#: Photo values are kept this far from 0 and 1 before the logit of the skip path (logit(0) is -inf).
SKIP_EPSILON = 1e-3


def _pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Reflect-pad the bottom/right so down- and up-sampling return the same size."""
    bottom, right = (-x.shape[-2]) % multiple, (-x.shape[-1]) % multiple
    if not bottom and not right:
        return x
    mode = "reflect" if min(x.shape[-2:]) > max(bottom, right) else "replicate"
    return F.pad(x, (0, right, 0, bottom), mode=mode)
