"""The bundled cavity segmenter: a small U-Net whose sigmoid output is a per-pixel cavity
probability. temguard's unet adapter turns that map into instances by connected components.

Why this shape: fully convolutional (any H, W that is a multiple of 16), 4 levels so the
receptive field (~140 px) covers cavities up to ~60 px across, BatchNorm folded into the
convolutions by ONNX export in eval mode, ~0.45 M parameters at base 16 (1.8 MB) so 1024x1024 infers in
well under a second on a laptop CPU.
"""
import torch
import torch.nn as nn

STRIDE = 16  # input height/width must be a multiple of this (4 poolings)


def block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """Input [N,1,H,W] in [0,1] (per-image percentile scaled, see common.normalise);
    output [N,1,H,W] cavity probability."""

    def __init__(self, base: int = 16):
        super().__init__()
        c = [base, base * 2, base * 4, base * 4, base * 4]  # capped at 4x: width buys little for blobs
        self.enc = nn.ModuleList([block(1, c[0]), block(c[0], c[1]), block(c[1], c[2]), block(c[2], c[3])])
        self.mid = block(c[3], c[4])
        self.up = nn.ModuleList([nn.ConvTranspose2d(c[i + 1], c[i], 2, stride=2) for i in range(3, -1, -1)])
        self.dec = nn.ModuleList([block(c[i] * 2, c[i]) for i in range(3, -1, -1)])
        self.head = nn.Conv2d(c[0], 1, 1)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x - 0.5  # centre the [0,1] input; cheap and keeps the ONNX input contract simple
        skips = []
        for enc in self.enc:
            x = enc(x)
            skips.append(x)
            x = self.pool(x)
        x = self.mid(x)
        for up, dec, skip in zip(self.up, self.dec, reversed(skips)):
            x = dec(torch.cat([up(x), skip], dim=1))
        return torch.sigmoid(self.head(x))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Same as forward without the sigmoid, for a numerically stable training loss."""
        p = self.forward(x).clamp(1e-6, 1 - 1e-6)
        return torch.log(p / (1 - p))
