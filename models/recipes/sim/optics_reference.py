#!/usr/bin/env python3
"""Reference implementation of agent/sim/optics.ts in numpy, for test/sim/optics-numpy.test.ts.

Reads a JSON job on stdin: {n, pixel_nm, kV, defocus_nm, cs_nm, astig_nm, astig_angle,
alpha_rad, focal_spread_nm, aperture_rad, voids: [[cx, cy, r_nm], ...], v0}
and prints the image |IFFT(FFT(psi) * H)|^2 as a JSON list (row-major), using the formulas of
optics.ts written independently with numpy's FFT (same sign convention: forward exp(-2 pi i k x)).
"""
import json
import sys

import numpy as np

H = 6.62607015e-34
M0 = 9.1093837015e-31
E = 1.602176634e-19
C = 299792458.0


def wavelength_nm(volts):
    p = np.sqrt(2 * M0 * E * volts * (1 + E * volts / (2 * M0 * C * C)))
    return H / p * 1e9


def sigma(volts):
    lam = wavelength_nm(volts) * 1e-9
    m = M0 * (1 + E * volts / (M0 * C * C))
    return 2 * np.pi * m * E * lam / (H * H) * 1e-9


def main():
    job = json.load(sys.stdin)
    n, px = job["n"], job["pixel_nm"]
    volts = job["kV"] * 1000.0
    lam = wavelength_nm(volts)
    y, x = np.mgrid[0:n, 0:n].astype(float)
    phase = np.zeros((n, n))
    for cx, cy, r in job["voids"]:
        rr = np.hypot((x - cx) * px, (y - cy) * px)
        chord = np.where(rr < r, 2 * np.sqrt(np.clip(r * r - rr * rr, 0, None)), 0.0)
        phase += -sigma(volts) * job["v0"] * chord
    psi = np.exp(1j * phase)
    f = np.fft.fftfreq(n, d=px)
    ky, kx = np.meshgrid(f, f, indexing="ij")  # ky along rows (y), kx along columns (x)
    k2 = kx * kx + ky * ky
    with np.errstate(invalid="ignore", divide="ignore"):
        cos2phi = np.where(k2 > 0, (kx * kx - ky * ky) / k2, 0.0)
        sin2phi = np.where(k2 > 0, 2 * kx * ky / k2, 0.0)
    a2 = 2 * job["astig_angle"]
    z = job["defocus_nm"] + job["astig_nm"] * (cos2phi * np.cos(a2) + sin2phi * np.sin(a2))
    cs = job["cs_nm"]
    chi = np.pi * lam * z * k2 + 0.5 * np.pi * cs * lam ** 3 * k2 * k2
    k = np.sqrt(k2)
    es = np.exp(-((np.pi * job["alpha_rad"] / lam) ** 2) * (lam * z * k + cs * lam ** 3 * k ** 3) ** 2)
    et = np.exp(-0.5 * (np.pi * lam * job["focal_spread_nm"]) ** 2 * k2 * k2)
    ap = np.ones_like(k) if job["aperture_rad"] <= 0 else (k <= job["aperture_rad"] / lam).astype(float)
    h = np.exp(-1j * chi) * es * et * ap
    img = np.abs(np.fft.ifft2(np.fft.fft2(psi) * h)) ** 2
    json.dump(img.ravel().tolist(), sys.stdout)


if __name__ == "__main__":
    main()
