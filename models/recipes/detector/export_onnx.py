"""Export a UNet to ONNX with the metadata temguard's unet adapter reads (metadata_props),
so the adapter is chosen from the file and the post-processing parameters travel with it."""
import onnx
import torch

from unet import STRIDE, UNet

ADAPTER_METADATA = {
    'temguard.adapter': 'unet',
    'temguard.input': 'image [1,1,H,W] float32, H and W multiples of 16',
    'temguard.normalisation': 'percentile:1,99',  # (v - p1) / (p99 - p1), clipped to [0,1]
    'temguard.stride': str(STRIDE),
    'temguard.threshold': '0.5',   # pixels >= this are cavity; instances = 8-connected components
    'temguard.min_area': '6',      # smaller components are dropped (noise)
    'temguard.score': 'mean-probability',
    'temguard.classes': "{0: 'cavity'}",
}


def export(model: UNet, path: str, extra_metadata: dict | None = None, opset: int = 13) -> None:
    model.eval()
    dummy = torch.zeros(1, 1, 64, 64)
    torch.onnx.export(
        model, dummy, path, opset_version=opset, input_names=['image'], output_names=['prob'],
        dynamic_axes={'image': {2: 'height', 3: 'width'}, 'prob': {2: 'height', 3: 'width'}},
        do_constant_folding=True,
    )
    proto = onnx.load(path)
    meta = {**ADAPTER_METADATA, **(extra_metadata or {})}
    del proto.metadata_props[:]
    for k, v in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = k, str(v)
    onnx.checker.check_model(proto)
    onnx.save(proto, path)
