#!/usr/bin/python3
"""Writes the image-folder fixtures under test/fixtures/datasets/images/ and expected.json.

PNGs are encoded here with zlib + struct (no imaging library), so the expected pixels come
from the arrays written, not from any decoder under test. Run with Debian's python3
(numpy): /usr/bin/python3 scripts/make-image-fixtures.py. JPEGs are written by
scripts/make-jpeg-fixtures.mjs (jpeg-js encoder; Debian's python3 has no JPEG writer).
"""
import json
import os
import shutil
import struct
import zlib

import numpy as np

ROOT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'datasets', 'images')
RNG = np.random.default_rng(7)


def png_bytes(pixels, color_type, palette=None):
    """PNG of 8-bit samples: pixels is [H, W] (types 0, 3) or [H, W, C] (2, 4, 6)."""
    pixels = np.asarray(pixels, dtype=np.uint8)
    height, width = pixels.shape[:2]

    def chunk(kind, data):
        body = kind + data
        return struct.pack('>I', len(data)) + body + struct.pack('>I', zlib.crc32(body) & 0xFFFFFFFF)

    rows = pixels.reshape(height, -1)
    raw = b''.join(b'\x00' + row.tobytes() for row in rows)  # filter type 0 on every row
    out = b'\x89PNG\r\n\x1a\n'
    out += chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, color_type, 0, 0, 0))
    if palette is not None:
        out += chunk(b'PLTE', np.asarray(palette, dtype=np.uint8).tobytes())
    out += chunk(b'IDAT', zlib.compress(raw, 9))
    out += chunk(b'IEND', b'')
    return out


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


def gray_folder():
    """Grayscale 3x4 (H x W) images in classes ant, cat, dog; one nested, plus files to skip."""
    base = os.path.join(ROOT, 'gray')
    images = [('ant/nested/e.png', 0), ('ant/z.png', 0), ('cat/b.png', 1), ('cat/c.PNG', 1), ('dog/d.png', 2)]
    # Sorted path order within a class: ant/nested/e.png < ant/z.png.
    features, labels = [], []
    for rel, label in images:
        pixels = RNG.integers(0, 256, size=(3, 4), dtype=np.uint8)
        write(os.path.join(base, rel), png_bytes(pixels, 0))
        features.append(pixels.reshape(3, 4, 1))
        labels.append(label)
    write(os.path.join(base, 'README.txt'), b'not an image, skipped\n')
    write(os.path.join(base, 'cat', 'notes.txt'), b'skipped too\n')
    return {'shape': [3, 4, 1], 'labelNames': ['ant', 'cat', 'dog'], 'labels': labels,
            'features': np.stack(features).astype(np.float64).ravel().tolist()}


def color_folder():
    """2x2 images of every PNG colour type; alpha dropped, grayscale widened to R = G = B."""
    base = os.path.join(ROOT, 'color')
    rgb = RNG.integers(0, 256, size=(2, 2, 3), dtype=np.uint8)
    rgba = RNG.integers(0, 256, size=(2, 2, 4), dtype=np.uint8)
    gray = RNG.integers(0, 256, size=(2, 2), dtype=np.uint8)
    gray_alpha = RNG.integers(0, 256, size=(2, 2, 2), dtype=np.uint8)
    palette = np.array([[10, 20, 30], [200, 100, 0], [1, 2, 3]], dtype=np.uint8)
    indices = np.array([[0, 1], [2, 1]], dtype=np.uint8)
    files = [
        ('a-rgb/1.png', png_bytes(rgb, 2), rgb),
        ('b-rgba/1.png', png_bytes(rgba, 6), rgba[:, :, :3]),
        ('c-gray/1.png', png_bytes(gray, 0), np.repeat(gray[:, :, None], 3, axis=2)),
        ('c-gray/2.png', png_bytes(gray_alpha, 4), np.repeat(gray_alpha[:, :, :1], 3, axis=2)),
        ('d-palette/1.png', png_bytes(indices, 3, palette), palette[indices]),
    ]
    for rel, data, _ in files:
        write(os.path.join(base, rel), data)
    return {'shape': [2, 2, 3], 'labelNames': ['a-rgb', 'b-rgba', 'c-gray', 'd-palette'], 'labels': [0, 1, 2, 2, 3],
            'features': np.stack([f[2] for f in files]).astype(np.float64).ravel().tolist()}


def odd_size_folder():
    """The second image (by class order) is 4x4 where the first is 3x4."""
    base = os.path.join(ROOT, 'odd-size')
    write(os.path.join(base, 'a', '1.png'), png_bytes(np.zeros((3, 4), np.uint8), 0))
    write(os.path.join(base, 'b', '2.png'), png_bytes(np.zeros((4, 4), np.uint8), 0))


def main():
    for name in ('gray', 'color', 'odd-size'):
        shutil.rmtree(os.path.join(ROOT, name), ignore_errors=True)
    expected = {'gray': gray_folder(), 'color': color_folder()}
    odd_size_folder()
    with open(os.path.join(ROOT, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
