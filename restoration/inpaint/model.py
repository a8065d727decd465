"""The inpainting generator and its discriminator.

Generator: gated convolutions (DeepFill v2) in a small U-shape whose 1/4-resolution trunk uses
dilations up to 16, so a 160 px window sees its whole neighbourhood. It predicts a residual on
top of a classical fill (the mean of Telea and a push-pull pyramid fill): starting from a good
fill is what lets a model this small, trained on a CPU, improve on the classical methods at all.
No normalisation layers: statistics over a window shift colours when the window changes size.

Discriminator: a spectral-normalised PatchGAN (SN-PatchGAN, DeepFill v2); during training it
keeps fills sharp; at inference its mean logit over a region is the "realism" score the
restoration planner reads.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn
from torch.nn import functional as F

from museum.common.registry import ModelRegistry

INPUT_CHANNELS = 7  # Telea fill RGB, push-pull fill RGB, mask
# The shared convention (museum.common.registry): architectures built by name from a config.
INPAINT_MODELS = ModelRegistry("inpainting model")
GENERATOR = "inpaint_gated"
DISCRIMINATOR = "inpaint_patchgan"


class GatedConv(nn.Module):
    """conv -> ELU(features) * sigmoid(gate): the gate learns where the input is valid.

    With `split_halves` (inference), features and gate are two convolutions over the two halves
    of the same weights: each output is then contiguous, so the ELU, sigmoid and product run
    vectorised (halves of one channels-last output are strided views that do not). Same
    weights, same state dict, the same numbers (each output channel is its own reduction)."""

    split_halves = False

    def __init__(self, cin: int, cout: int, k: int = 3, stride: int = 1, dilation: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, 2 * cout, k, stride, dilation * (k - 1) // 2, dilation)
        nn.init.kaiming_normal_(self.conv.weight, nonlinearity="linear")
        assert self.conv.bias is not None  # Conv2d(bias=True)
        nn.init.zeros_(self.conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.split_halves:
            conv, half = self.conv, self.conv.out_channels // 2
            weight, bias = conv.weight, conv.bias
            assert bias is not None
            features = F.conv2d(
                x, weight[:half], bias[:half], conv.stride, conv.padding, conv.dilation
            )
            gate = F.conv2d(x, weight[half:], bias[half:], conv.stride, conv.padding, conv.dilation)
        else:
            features, gate = self.conv(x).chunk(2, dim=1)
        return F.elu(features) * torch.sigmoid(gate)


def split_gates(module: nn.Module, enabled: bool = True) -> nn.Module:
    """Turn `GatedConv.split_halves` on (or off) in every gated convolution of `module`."""
    for layer in module.modules():
        if isinstance(layer, GatedConv):
            layer.split_halves = enabled
    return module


class FourierUnit(nn.Module):
    """LaMa's spectral transform: a 1x1 convolution on the 2-D Fourier coefficients, so every
    output pixel sees the whole window. Computed in float32 (FFTs of any size, no autocast)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2 * channels, 2 * channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(x.device.type, enabled=False):
            h, w = x.shape[-2:]
            spectrum = torch.fft.rfft2(x.float(), norm="ortho")
            z = F.relu(self.conv(torch.cat([spectrum.real, spectrum.imag], dim=1)))
            real, imag = z.chunk(2, dim=1)
            return torch.fft.irfft2(torch.complex(real, imag), s=(h, w), norm="ortho")


class GlobalBlock(nn.Module):
    """Residual block mixing local features with their Fourier transform (a global view)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.spectral = FourierUnit(channels)
        self.mix = GatedConv(2 * channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mix(torch.cat([x, self.spectral(x).to(x.dtype)], dim=1))


@INPAINT_MODELS.register(GENERATOR)
class InpaintGenerator(nn.Module):
    """Residual refiner: (B, 7, H, W) in [-1, 1] -> (B, 3, H, W) filled image in [-1, 1].

    With `deep` dilations, a fourth level at 1/8 resolution (`deep_width` channels) runs those
    dilated gated blocks and `fourier` global (LaMa-style) blocks: a receptive field of the
    whole window for about the same CPU time as the 1/4-resolution trunk. Any H, W (padded
    inside to a multiple of 4, or 8 with the deep level)."""

    def __init__(
        self,
        width: int = 16,
        dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 1),
        deep: tuple[int, ...] = (),
        deep_width: int = 0,
        fourier: int = 0,
    ) -> None:
        super().__init__()
        c1, c2, c3 = width, 2 * width, 4 * width
        c4 = deep_width or 6 * width
        self.e1 = GatedConv(INPUT_CHANNELS, c1, 5)
        self.e2 = GatedConv(c1, c2, 3, stride=2)
        self.e3 = GatedConv(c2, c3, 3, stride=2)
        self.trunk = nn.ModuleList(GatedConv(c3, c3, 3, dilation=d) for d in dilations)
        self.multiple = 8 if deep or fourier else 4
        if deep or fourier:
            self.e4: nn.Module = GatedConv(c3, c4, 3, stride=2)
            self.deep = nn.ModuleList(
                [GatedConv(c4, c4, 3, dilation=d) for d in deep]
                + [GlobalBlock(c4) for _ in range(fourier)]
            )
            self.d0: nn.Module = GatedConv(c4 + c3, c3, 1)
        self.d1 = GatedConv(c3 + c2, c2, 3)
        self.d2 = GatedConv(c2 + c1, c1, 3)
        self.out = nn.Conv2d(c1, 3, 3, padding=1)
        # Start as the classical fill: the residual head begins at zero.
        nn.init.zeros_(self.out.weight)
        assert self.out.bias is not None  # Conv2d(bias=True)
        nn.init.zeros_(self.out.bias)
        self.config: dict[str, object] = {"width": width, "dilations": list(dilations)}
        if deep or fourier:
            self.config.update(deep=list(deep), deep_width=c4, fourier=fourier)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        ph, pw = (-height) % self.multiple, (-width) % self.multiple
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="replicate")
        return self._forward(x)[..., :height, :width]

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        telea, push_pull, mask = x[:, 0:3], x[:, 3:6], x[:, 6:7]
        base = 0.5 * (telea + push_pull)
        f1 = self.e1(x)
        f2 = self.e2(f1)
        h = self.e3(f2)
        for layer in self.trunk:
            h = h + layer(h)
        if self.multiple == 8:
            g = self.e4(h)
            for block in self.deep:
                g = g + block(g) if isinstance(block, GatedConv) else block(g)
            g = F.interpolate(g, scale_factor=2.0, mode="bilinear", align_corners=False)
            h = h + self.d0(torch.cat([g, h], dim=1))
        h = F.interpolate(h, scale_factor=2.0, mode="bilinear", align_corners=False)
        h = self.d1(torch.cat([h, f2], dim=1))
        h = F.interpolate(h, scale_factor=2.0, mode="bilinear", align_corners=False)
        h = self.d2(torch.cat([h, f1], dim=1))
        filled = (base + self.out(h)).clamp(-1.0, 1.0)
        # Known pixels pass through untouched.
        return filled * mask + telea * (1 - mask)  # outside the mask Telea's input is the image


@INPAINT_MODELS.register(DISCRIMINATOR)
class PatchDiscriminator(nn.Module):
    """SN-PatchGAN: (B, 4, H, W) image + mask -> (B, 1, H/16, W/16) realism logits."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        sn = nn.utils.spectral_norm
        chans = [4, width, 2 * width, 4 * width, 4 * width]
        layers: list[nn.Module] = []
        for cin, cout in itertools.pairwise(chans):
            layers += [sn(nn.Conv2d(cin, cout, 5, 2, 2)), nn.LeakyReLU(0.2)]
        layers.append(sn(nn.Conv2d(chans[-1], 1, 3, 1, 1)))
        self.net = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([image, mask], dim=1))


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# The thin-damage refiner registers itself in INPAINT_MODELS (its own file, after timm).
from restoration.inpaint import thin_model as _thin_model  # noqa: E402, F401
