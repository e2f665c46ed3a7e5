"""Test fixtures for temguard's detector tests: REAL ONNX graphs made by the real export path
(torch.onnx), with RANDOM or hand-set weights. They are fixtures, not detectors: never ship them.

    /usr/bin/python3 models/recipes/detector/make_fixtures.py test/fixtures/onnx

Writes:
  unet-fixture.onnx            tiny UNet (base 4), random weights, unet metadata
  unsupported-outputs.onnx     a graph whose single output no adapter understands
  maskrcnn-fixture.onnx        torchvision's MaskRCNN class, tiny backbone, random weights
  yolo-seg-fixture.onnx        a YOLO-seg-shaped head (output0 [1,4+2+32,64], output1 protos) with
                               Ultralytics-style metadata; random weights
  yolo-det-fixture.onnx        the same head without masks (output0 [1,4+2,64])
  detectron2-shaped-fixture.onnx  outputs in Detectron2 tracing order (boxes, classes, 28x28 masks,
                               scores, image_size) computed from the image; names left to torch
"""
import os
import sys

import torch
import onnx
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


def maskrcnn(path: str) -> None:
    """torchvision MaskRCNN with an 8-channel, one-level backbone: the real class and export path."""
    from torchvision.models.detection import MaskRCNN
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
    from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
    from torchvision.ops import MultiScaleRoIAlign

    backbone = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU())
    backbone.out_channels = 8
    model = MaskRCNN(
        backbone, num_classes=None, min_size=96, max_size=160,
        rpn_anchor_generator=AnchorGenerator(sizes=((8, 16, 32),), aspect_ratios=((0.5, 1.0, 2.0),)),
        box_roi_pool=MultiScaleRoIAlign(['0'], 7, 2), mask_roi_pool=MultiScaleRoIAlign(['0'], 14, 2),
        box_head=TwoMLPHead(8 * 7 * 7, 32), box_predictor=FastRCNNPredictor(32, 2),  # small heads: a committable file
        mask_head=MaskRCNNHeads(8, (8,), 1), mask_predictor=MaskRCNNPredictor(8, 8, 2),
        box_score_thresh=0.0, box_detections_per_img=20,
    ).eval()
    x = torch.rand(3, 96, 128)
    torch.onnx.export(model, ([x],), path, opset_version=11, input_names=['image'],
                      output_names=['boxes', 'labels', 'scores', 'masks'],
                      dynamic_axes={'image': {1: 'height', 2: 'width'}, 'boxes': {0: 'n'}, 'labels': {0: 'n'},
                                    'scores': {0: 'n'}, 'masks': {0: 'n', 2: 'height', 3: 'width'}})


class YoloHead(nn.Module):
    """[1,3,64,64] -> output0 [1,4+nc(+nm),64] like Ultralytics' Detect/Segment heads (boxes as
    cx,cy,w,h in input pixels, class scores already sigmoided, no objectness) + protos [1,nm,16,16]."""

    def __init__(self, nc: int = 2, nm: int = 32):
        super().__init__()
        self.nc, self.nm = nc, nm
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, stride=4, padding=1), nn.SiLU())  # 16x16
        self.down = nn.Sequential(nn.Conv2d(16, 16, 3, stride=2, padding=1), nn.SiLU())  # 8x8 = 64 anchors
        self.box = nn.Conv2d(16, 4, 1)
        self.cls = nn.Conv2d(16, nc, 1)
        self.coef = nn.Conv2d(16, nm, 1) if nm else None
        self.proto = nn.Conv2d(16, nm, 1) if nm else None
        gy, gx = torch.meshgrid(torch.arange(8.0), torch.arange(8.0), indexing='ij')
        self.register_buffer('grid', torch.stack([gx, gy]).reshape(1, 2, 64) * 8 + 4)

    def forward(self, images):
        f16 = self.stem(images)
        f = self.down(f16)
        b = self.box(f).reshape(1, 4, 64)
        xy = self.grid + torch.tanh(b[:, :2]) * 8
        wh = torch.sigmoid(b[:, 2:]) * 24 + 2
        parts = [xy, wh, torch.sigmoid(self.cls(f).reshape(1, self.nc, 64))]
        if self.nm:
            parts.append(self.coef(f).reshape(1, self.nm, 64))
            return torch.cat(parts, 1), self.proto(f16)
        return torch.cat(parts, 1)


def yolo(path: str, seg: bool) -> None:
    model = YoloHead(nm=32 if seg else 0).eval()
    names = ['output0', 'output1'] if seg else ['output0']
    torch.onnx.export(model, torch.zeros(1, 3, 64, 64), path, opset_version=13, input_names=['images'], output_names=names)
    proto = onnx.load(path)
    for k, v in {'author': 'Ultralytics', 'task': 'segment' if seg else 'detect', 'stride': '32', 'batch': '1',
                 'imgsz': '[64, 64]', 'names': "{0: 'cavity', 1: 'loop'}",
                 'description': 'temguard test fixture: YOLO-shaped head, random weights'}.items():
        e = proto.metadata_props.add()
        e.key, e.value = k, v
    onnx.save(proto, path)


class Detectron2Shaped(nn.Module):
    """Outputs in the order and shapes of a Detectron2 tracing export of Mask R-CNN, computed
    from the input: 3 boxes at fixed fractions of the image, classes, 28x28 masks from the
    image content under each box, scores from mean brightness, image_size."""

    def forward(self, image):
        h, w = image.shape[1], image.shape[2]
        frac = torch.tensor([[0.1, 0.1, 0.3, 0.4], [0.5, 0.2, 0.9, 0.6], [0.2, 0.6, 0.5, 0.9]])
        size = torch.stack([w, h, w, h]).to(torch.float32) if isinstance(w, torch.Tensor) else torch.tensor([w, h, w, h], dtype=torch.float32)
        boxes = frac * size
        gray = image.mean(0, keepdim=True)[None] / 255.0
        masks = torch.sigmoid((nn.functional.interpolate(gray, size=(28, 28), mode='bilinear', align_corners=False) - 0.5) * 8).expand(3, 1, 28, 28)
        scores = torch.stack([gray.mean(), 1 - gray.mean(), torch.tensor(0.5)]).clamp(0, 1)
        classes = torch.tensor([0, 0, 1], dtype=torch.int64)
        image_size = torch.tensor([h, w]) if not isinstance(h, torch.Tensor) else torch.stack([h, w])
        return boxes, classes, masks, scores, image_size


def detectron2_shaped(path: str) -> None:
    torch.onnx.export(Detectron2Shaped().eval(), torch.zeros(3, 64, 96), path, opset_version=13, input_names=['image'],
                      dynamic_axes={'image': {1: 'height', 2: 'width'}})


def main(out: str) -> None:
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    export(UNet(base=4), os.path.join(out, 'unet-fixture.onnx'),
           {'temguard.fixture': 'random weights; for tests only'})
    torch.onnx.export(Unsupported().eval(), torch.zeros(1, 3, 32, 32), os.path.join(out, 'unsupported-outputs.onnx'),
                      opset_version=13, input_names=['input'], output_names=['embedding'])
    maskrcnn(os.path.join(out, 'maskrcnn-fixture.onnx'))
    yolo(os.path.join(out, 'yolo-seg-fixture.onnx'), seg=True)
    yolo(os.path.join(out, 'yolo-det-fixture.onnx'), seg=False)
    detectron2_shaped(os.path.join(out, 'detectron2-shaped-fixture.onnx'))
    for name in sorted(os.listdir(out)):
        print(name, os.path.getsize(os.path.join(out, name)))


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'test/fixtures/onnx')
