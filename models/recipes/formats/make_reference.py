#!/usr/bin/python3
"""Reference data for temguard's image readers, made with independent Python readers/writers.

Run with Debian's Python (apt: python3-hyperspy python3-mrcfile python3-tifffile):
    /usr/bin/python3 models/recipes/formats/make_reference.py [DM_DIR]

1. DM3/DM4: reads every file in DM_DIR (default ../shared/data/dm) with HyperSpy 1.7's
   digital_micrograph reader (the code that became rosettasciio's) and writes
   test/fixtures/formats/dm-reference.json: shape, dtype, stats, calibration and a SHA-256 of
   the pixel values as float64 little-endian, row-major, so the TS test checks every value.
2. TIFF/MRC: writes tiny files with tifffile and mrcfile (layouts cameras and EM software
   produce: byte orders, compressions, tiles, predictor, all MRC modes we read, extended
   header) into test/fixtures/formats/, with their values in reference.json.
Nothing here runs at runtime; it only makes what the tests compare against.
"""
import hashlib
import json
import os
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OUT = os.path.join(ROOT, "test", "fixtures", "formats")


def digest(a):
    return hashlib.sha256(np.ascontiguousarray(a, dtype="<f8").tobytes()).hexdigest()


def dm_reference(dm_dir):
    from hyperspy.io_plugins import digital_micrograph as dmp
    import hyperspy

    files = {}
    for name in sorted(os.listdir(dm_dir)):
        if not name.lower().endswith((".dm3", ".dm4")):
            continue
        images = dmp.file_reader(os.path.join(dm_dir, name))
        img = images[0]  # hyperspy skips the thumbnail; these files hold one image each
        a = img["data"]
        axes = {ax["name"]: ax for ax in img["axes"]}
        files[name] = {
            "shape": list(a.shape),
            "dtype": str(a.dtype),
            "min": float(a.min()), "max": float(a.max()), "mean": float(a.astype(np.float64).mean()),
            "sha256_f64le": digest(a),
            "first_row": [float(v) for v in a[0, :16]],
            "scale": {"x": axes["x"]["scale"], "y": axes["y"]["scale"]},
            "units": {"x": axes["x"]["units"], "y": axes["y"]["units"]},
            "images_in_file": len(images),
        }
    meta = {"reader": "hyperspy %s io_plugins.digital_micrograph" % hyperspy.__version__, "source_dir": os.path.relpath(dm_dir, ROOT)}
    with open(os.path.join(OUT, "dm-reference.json"), "w") as f:
        json.dump({"meta": meta, "files": files}, f, indent=1)
    print("dm-reference.json:", len(files), "files")


def values(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind == "f":
        a = rng.normal(100, 50, shape)
        a[0, 0], a[0, 1] = -1.5, 1e4
    else:
        info = np.iinfo(dt)
        a = rng.integers(info.min, info.max, shape, endpoint=True)
        a[0, 0], a[0, 1] = info.min, info.max
    return a.astype(dt)


def tiff_and_mrc():
    import tifffile
    import mrcfile

    shape = (6, 9)  # odd width: catches row-stride mistakes
    cases = {}
    tiffs = [
        ("u8.tif", "uint8", {}),
        ("u16.tif", "uint16", {"resolution": (1e7 / 0.25, 1e7 / 0.25), "resolutionunit": "CENTIMETER"}),
        ("u16-be.tif", ">u2", {}),
        ("i16.tif", "int16", {}),
        ("u32.tif", "uint32", {}),
        ("f32.tif", "float32", {}),
        ("f32-be.tif", ">f4", {}),
        ("f64.tif", "float64", {}),
        ("u16-deflate.tif", "uint16", {"compression": "zlib"}),
        ("u16-deflate-pred.tif", "uint16", {"compression": "zlib", "predictor": True}),
        ("u8-lzw.tif", "uint8", {"pil": "tiff_lzw"}),
        ("u16-lzw.tif", "uint16", {"pil": "tiff_lzw"}),
        ("u8-packbits.tif", "uint8", {"pil": "packbits"}),
        ("u16-tiled.tif", "uint16", {"tile": (16, 16)}),
        ("u8-72dpi.tif", "uint8", {"resolution": (72, 72), "resolutionunit": "INCH"}),
    ]
    for i, (name, dtype, kw) in enumerate(tiffs):
        a = values(shape if "tiled" not in name else (20, 37), dtype, i)
        path = os.path.join(OUT, name)
        try:
            if "pil" in kw:  # tifffile needs imagecodecs for these; PIL/libtiff writes them
                from PIL import Image
                Image.fromarray(a).save(path, compression=kw["pil"])
                assert np.array_equal(tifffile.imread(path), a) if "lzw" not in name else True
            else:
                tifffile.imwrite(path, a, **kw)
        except Exception as e:  # a layout this Python cannot write: skip that case
            print("skip", name, e)
            if os.path.exists(path):
                os.remove(path)
            continue
        cases[name] = {"values": a.astype(np.float64).ravel().tolist(), "width": a.shape[1], "height": a.shape[0],
                       "dtype": np.dtype(dtype).name, "pixel_nm": 0.25 if name == "u16.tif" else None}

    # PNGs as TEM software and screenshots save them: palette, grey+alpha, 16-bit RGB with
    # R=G=B, and a coloured RGB whose grey is the BT.601 luminance (PIL's weights, unrounded).
    from PIL import Image
    import struct
    import zlib
    g = values(shape, "uint8", 50)
    Image.fromarray(g).convert("P").save(os.path.join(OUT, "palette.png"))
    Image.fromarray(g).convert("LA").save(os.path.join(OUT, "grey-alpha.png"))
    for name in ("palette.png", "grey-alpha.png"):
        cases[name] = {"values": g.astype(np.float64).ravel().tolist(), "width": shape[1], "height": shape[0], "dtype": "uint8", "pixel_nm": None}
    g16 = values(shape, "uint16", 51)
    rgb16 = np.dstack([g16, g16, g16]).astype(">u2")
    raw = b"".join(b"\x00" + rgb16[y].tobytes() for y in range(shape[0]))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", shape[1], shape[0], 16, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    with open(os.path.join(OUT, "rgb16.png"), "wb") as f:
        f.write(png)
    cases["rgb16.png"] = {"values": g16.astype(np.float64).ravel().tolist(), "width": shape[1], "height": shape[0], "dtype": "uint16", "pixel_nm": None}
    rgb = np.dstack([values(shape, "uint8", 52), values(shape, "uint8", 53), values(shape, "uint8", 54)])
    Image.fromarray(rgb).save(os.path.join(OUT, "colour.png"))
    r, gg, b = (rgb[..., i].astype(np.float64) for i in range(3))
    lum = np.where((r == gg) & (gg == b), r, 0.299 * r + 0.587 * gg + 0.114 * b)
    cases["colour.png"] = {"values": lum.ravel().tolist(), "width": shape[1], "height": shape[0], "dtype": "uint8", "pixel_nm": None}

    mrcs = [("mode0.mrc", "int8", "<"), ("mode1.mrc", "int16", "<"), ("mode2.mrc", "float32", "<"),
            ("mode6.mrc", "uint16", "<"), ("mode12.mrc", "float16", "<"), ("mode1-be.mrc", "int16", ">"),
            ("mode2-be.mrc", "float32", ">"), ("stack-ext.mrc", "float32", "<")]
    for i, (name, dtype, order) in enumerate(mrcs):
        a = values(shape, dtype, 100 + i)
        if dtype == "float16":
            a = np.round(a).astype(np.float16)
        path = os.path.join(OUT, name)
        with mrcfile.new(path, overwrite=True) as m:
            if name.startswith("stack"):
                m.set_data(np.stack([a, a[::-1]]))
                m.set_extended_header(np.zeros(1, dtype=[("f", "u1", 96)]))
            else:
                m.set_data(a)
            m.voxel_size = 3.5  # Angstrom -> 0.35 nm
        if order == ">":  # mrcfile writes native order; rewrite header and data byte-swapped
            with mrcfile.open(path, mode="r+") as m:
                m.header.byteswap(inplace=True)
                m.header.dtype = m.header.dtype.newbyteorder()
                d = m.data.byteswap().view(m.data.dtype.newbyteorder())
                m.header.machst = np.array([0x11, 0x11, 0, 0], dtype="u1")
            raw = open(path, "rb").read()
            body = np.ascontiguousarray(a.astype(np.dtype(dtype).newbyteorder(">"))).tobytes()
            head = bytearray(raw[:1024])
            open(path, "wb").write(bytes(head) + body)
        with mrcfile.open(path, permissive=False) as m:  # mrcfile validates what we wrote
            back = m.data if m.data.ndim == 2 else m.data[0]
            assert np.array_equal(back.astype(np.float64), a.astype(np.float64)), name
            assert abs(float(m.voxel_size.x) - 3.5) < 1e-6, name
        cases[name] = {"values": a.astype(np.float64).ravel().tolist(), "width": a.shape[1], "height": a.shape[0],
                       "dtype": np.dtype(dtype).name, "pixel_nm": 0.35}
    meta = {"writers": "tifffile %s, mrcfile %s, numpy %s" % (tifffile.__version__, mrcfile.__version__, np.__version__)}
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump({"meta": meta, "files": cases}, f)
    print("reference.json:", len(cases), "files")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    dm_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "data", "dm")
    if os.path.isdir(dm_dir):
        dm_reference(dm_dir)
    else:
        print("no DM directory at", dm_dir, "- dm-reference.json left as it is")
    tiff_and_mrc()
