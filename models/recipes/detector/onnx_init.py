"""Re-create PyTorch weights (a UNet state dict for train.py --init) from a bundled ONNX export.

The export folds each BatchNorm into the convolution before it (eval mode), so the original
running statistics are gone. Each BatchNorm is set to the identity in eval mode (gamma 1,
running mean 0, running var 1 - eps) with the folded bias as its beta: the network computes
exactly what the ONNX file does. Fine-tune it with train.py --freeze-bn: in train mode a
BatchNorm would renormalise by batch statistics that these weights never saw.

    /usr/bin/python3 models/recipes/detector/onnx_init.py models/cavity-unet-all.onnx /tmp/init.pt
"""
import os
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unet import UNet  # noqa: E402


def conv_bn_pairs(model: UNet):
    """(conv, bn) in forward order: encoder blocks, middle, decoder blocks; 2 per block."""
    blocks = list(model.enc) + [model.mid] + list(model.dec)
    for b in blocks:
        yield b[0], b[1]
        yield b[3], b[4]


def from_onnx(path: str) -> UNet:
    proto = onnx.load(path)
    init = {i.name: numpy_helper.to_array(i) for i in proto.graph.initializer}
    base = int(init['head.weight'].shape[1])
    model = UNet(base)
    # Conv nodes in graph order, minus the 1x1 head; the transposed convs keep their names.
    convs = [n for n in proto.graph.node if n.op_type == 'Conv' and n.input[1] != 'head.weight']
    pairs = list(conv_bn_pairs(model))
    if len(convs) != len(pairs):
        raise ValueError(f'{path}: {len(convs)} convolutions, the UNet has {len(pairs)}')
    with torch.no_grad():
        for node, (conv, bn) in zip(convs, pairs):
            w, b = init[node.input[1]], init[node.input[2]]
            if tuple(w.shape) != tuple(conv.weight.shape):
                raise ValueError(f'{node.input[1]}: shape {w.shape}, expected {tuple(conv.weight.shape)}')
            conv.weight.copy_(torch.from_numpy(np.array(w)))
            bn.weight.fill_(1.0)
            bn.bias.copy_(torch.from_numpy(np.array(b)))
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0 - bn.eps)
        for k in ['up.0', 'up.1', 'up.2', 'up.3', 'head']:
            for p in ['weight', 'bias']:
                sd_key = f'{k}.{p}'
                getattr(dict(model.named_modules())[k], p).copy_(torch.from_numpy(np.array(init[sd_key])))
    return model


def main():
    src, dst = sys.argv[1], sys.argv[2]
    model = from_onnx(src)
    torch.save(model.state_dict(), dst)
    # Check: exporting the re-created weights folds back to the same initialisers.
    import tempfile
    from export_onnx import export
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, 're.onnx')
        export(model, p)
        a = [numpy_helper.to_array(i) for i in onnx.load(src).graph.initializer]
        b = [numpy_helper.to_array(i) for i in onnx.load(p).graph.initializer]
        err = max(float(np.abs(x - y).max()) for x, y in zip(a, b)) if len(a) == len(b) else float('inf')
    print(f'wrote {dst}; re-export max |difference| over {len(a)} initialisers: {err:.3g}')
    if not err < 1e-4:
        raise SystemExit('re-created weights do not reproduce the ONNX file')


if __name__ == '__main__':
    main()
