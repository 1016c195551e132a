#!/usr/bin/python3
"""Writes test/fixtures/datasets/images/jpeg-gray/ and jpeg-gray-expected.json.

Grayscale JPEGs have one component, which jpeg-js's encoder cannot write, so these come
from Pillow (Debian's python3-pil, libjpeg underneath). The expected pixels are Pillow's
own decode of the written files: an independent decoder to compare jpeg-js against.
Folder `gray-only/` holds only one-component JPEGs (the dataset keeps 1 channel); folder
`mixed/` adds a colour JPEG beside a grayscale one (the dataset widens to R = G = B).
Run: /usr/bin/python3 scripts/make-gray-jpeg-fixtures.py
"""
import json
import os
import shutil

import numpy as np
from PIL import Image

ROOT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'datasets', 'images')
DIR = os.path.join(ROOT, 'jpeg-gray')
W, H = 16, 8


def two_blocks(left, right, channels):
    """Flat 8x8 blocks, which JPEG's block transform reproduces within a few levels (no chroma subsampling: 4:4:4)."""
    shape = (H, W) if channels == 1 else (H, W, 3)
    pixels = np.zeros(shape, dtype=np.uint8)
    pixels[:, :8] = left
    pixels[:, 8:] = right
    return pixels


def write(rel, pixels):
    path = os.path.join(DIR, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(pixels, mode='L' if pixels.ndim == 2 else 'RGB').save(path, quality=95, subsampling=0)
    with Image.open(path) as img:
        assert img.mode == ('L' if pixels.ndim == 2 else 'RGB'), (rel, img.mode)
        return np.asarray(img)


shutil.rmtree(DIR, ignore_errors=True)
gray_a = write('gray-only/dark/1.jpg', two_blocks(20, 60, 1))
gray_b = write('gray-only/light/1.jpg', two_blocks(200, 240, 1))
mixed_gray = write('mixed/dark/1.jpg', two_blocks(30, 90, 1))
mixed_colour = write('mixed/warm/1.jpg', two_blocks([220, 60, 20], [250, 200, 40], 3))

expected = {
    'grayOnly': {'shape': [H, W, 1], 'labelNames': ['dark', 'light'], 'labels': [0, 1],
                 'features': np.concatenate([gray_a.ravel(), gray_b.ravel()]).tolist()},
    'mixed': {'shape': [H, W, 3], 'labelNames': ['dark', 'warm'], 'labels': [0, 1],
              'features': np.concatenate([np.repeat(mixed_gray[..., None], 3, axis=2).ravel(), mixed_colour.ravel()]).tolist()},
}
with open(os.path.join(ROOT, 'jpeg-gray-expected.json'), 'w') as f:
    json.dump(expected, f)
    f.write('\n')
