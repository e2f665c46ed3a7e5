"""Test fixtures for temguard's detector tests: REAL ONNX graphs made by the real export path
(torch.onnx), with RANDOM or hand-set weights. They are fixtures, not detectors: never ship them.

    /usr/bin/python3 models/recipes/detector/make_fixtures.py test/fixtures/onnx

Writes:
  unet-fixture.onnx            tiny UNet (base 4), random weights, unet metadata
  unsupported-outputs.onnx     a graph whose single output no adapter understands
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_onnx import export  # noqa: E402
from unet import UNet  # noqa: E402


class Unsupported(nn.Module):
    """[1,3,H,W] -> a [1,7] vector: shaped like nothing temguard knows."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 7)

    def forward(self, x):
        return self.fc(x.mean(dim=(2, 3)))


def main(out: str) -> None:
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    export(UNet(base=4), os.path.join(out, 'unet-fixture.onnx'),
           {'temguard.fixture': 'random weights; for tests only'})
    torch.onnx.export(Unsupported().eval(), torch.zeros(1, 3, 32, 32), os.path.join(out, 'unsupported-outputs.onnx'),
                      opset_version=13, input_names=['input'], output_names=['embedding'])
    for name in sorted(os.listdir(out)):
        print(name, os.path.getsize(os.path.join(out, name)))


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'test/fixtures/onnx')
