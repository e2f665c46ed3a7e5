#!/usr/bin/python3
"""Set a U-Net export's post-processing (temguard.threshold, temguard.min_area and optionally
temguard.split_depth, temguard.denoise, temguard.despike and temguard.dequantise metadata) and its manifest's postprocess block, without retraining: the same
as train.py --threshold/--min-area.

    set_postprocess.py MODEL.onnx [OUT.onnx] --threshold 0.5 --min-area 60 [--split-depth 0.25] [--denoise 0.1,0.05] [--despike 16,0.35] [--dequantise 32,1.5]
"""
import argparse
import hashlib
import json
import os

import onnx


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('model')
    ap.add_argument('out', nargs='?')
    ap.add_argument('--threshold', type=float, required=True)
    ap.add_argument('--min-area', type=int, required=True)
    ap.add_argument('--split-depth', type=float, help='cut touching objects apart (agent/adapters/split.ts); 0 = never')
    ap.add_argument('--denoise', metavar='ABOVE,TARGET',
                    help='smooth frames whose noise is above ABOVE down to TARGET (agent/adapters/denoise.ts)')
    ap.add_argument('--dequantise', metavar='LEVELS,SIGMA',
                    help='smooth posterised frames (at most LEVELS gray levels between the normalisation percentiles) by a Gaussian of SIGMA px (agent/adapters/dequantise.ts)')
    ap.add_argument('--despike', metavar='K,F',
                    help='first replace spikes standing more than K noise sigmas and F of the input range above 7 of their 8 neighbours (agent/adapters/despike.ts)')
    a = ap.parse_args()
    out = a.out or a.model
    proto = onnx.load(a.model)
    post = {'threshold': a.threshold, 'min_area': a.min_area}
    if a.split_depth is not None:
        post['split_depth'] = a.split_depth
    if a.denoise is not None:
        post['denoise'] = a.denoise
    if a.despike is not None:
        post['despike'] = a.despike
    if a.dequantise is not None:
        post['dequantise'] = a.dequantise
    values = {f'temguard.{k}': str(v) for k, v in post.items()}
    for e in proto.metadata_props:
        if e.key in values:
            e.value = values.pop(e.key)
    for k, v in values.items():
        e = proto.metadata_props.add()
        e.key, e.value = k, v
    onnx.save(proto, out)
    src_manifest = a.model[:-len('.onnx')] + '.manifest.json'
    if os.path.exists(src_manifest):
        with open(src_manifest) as f:
            m = json.load(f)
        m['postprocess'].update(post)
        m['metadata_props'].update({f'temguard.{k}': str(v) for k, v in post.items()})
        with open(out, 'rb') as f:
            data = f.read()
        m.update({'file': os.path.basename(out), 'sha256': hashlib.sha256(data).hexdigest(), 'bytes': len(data)})
        with open(out[:-len('.onnx')] + '.manifest.json', 'w') as f:
            json.dump(m, f, indent=2)
            f.write('\n')


if __name__ == '__main__':
    main()
