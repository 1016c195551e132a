#!/usr/bin/python3
"""Writes the binary dataset fixtures (NPY, NPZ, IDX) under test/fixtures/datasets.

Run with Debian's numpy: /usr/bin/python3 scripts/make-dataset-fixtures.py
The output is committed; numpy is the reference the loaders are checked against, so
expected values go to expected.json as numpy itself reads them back.
"""
import gzip
import io
import json
import os
import struct
import zipfile

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'datasets')
BIN = os.path.join(OUT, 'binary')


def write(name, data):
    with open(os.path.join(BIN, name), 'wb') as f:
        f.write(data)


def npy_bytes(arr, version=None, allow_pickle=False):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, version=version, allow_pickle=allow_pickle)
    return buf.getvalue()


def idx_bytes(arr, code):
    header = struct.pack('>BBBB', 0, 0, code, arr.ndim) + b''.join(struct.pack('>I', d) for d in arr.shape)
    return header + arr.tobytes()


def main():
    os.makedirs(BIN, exist_ok=True)
    expected = {'npy': {}, 'idx': {}}

    # One small file per NPY dtype and byte order; values reach each type's range ends.
    samples = {
        'b1': [True, False, True, True],
        'u1': [0, 1, 2, 255], 'i1': [-128, 0, 1, 127],
        'u2': [0, 1, 2, 65535], 'i2': [-32768, 0, 1, 32767],
        'u4': [0, 1, 2, 4294967295], 'i4': [-2147483648, 0, 1, 2147483647],
        'u8': [0, 1, 2, 2 ** 53], 'i8': [-(2 ** 53), 0, 1, 2 ** 40],
        'f2': [-1.5, 0.0, 0.333, 65504.0], 'f4': [-1.5, 0.0, 0.1, 3.0e38], 'f8': [-1.5, 0.0, 0.1, 1.0e300],
    }
    for code, values in samples.items():
        orders = ['|'] if code[1] == '1' else ['<', '>']
        for order in orders:
            arr = np.array(values, dtype=order + code).reshape(2, 2)
            name = f'{code}-{ {"|": "na", "<": "le", ">": "be"}[order] }.npy'
            write(name, npy_bytes(arr))
            expected['npy'][name] = {'shape': list(arr.shape), 'values': [float(v) for v in arr.ravel()]}

    # Header versions 2 and 3 (numpy only writes them when asked or when the header needs it).
    for version in [(2, 0), (3, 0)]:
        arr = np.arange(6, dtype='<i2').reshape(3, 2)
        name = f'v{version[0]}.npy'
        write(name, npy_bytes(arr, version=version))
        expected['npy'][name] = {'shape': [3, 2], 'values': [float(v) for v in arr.ravel()]}

    # Fortran order: numpy stores column-major; the C-order reading is 0..11.
    fortran = np.asfortranarray(np.arange(12, dtype='<f4').reshape(2, 3, 2))
    assert fortran.flags.f_contiguous and not fortran.flags.c_contiguous
    write('fortran.npy', npy_bytes(fortran))

    # Features and labels for loadDataset's happy paths (3 records of 2x2).
    features = np.array([[[0, 0.5], [1, 2]], [[3, 4], [5, 6]], [[-1, 7.25], [8, 9]]], dtype='<f4')
    labels = np.array([2, 0, 1], dtype='<i8')
    write('features.npy', npy_bytes(features))
    write('features-be.npy', npy_bytes(features.astype('>f8')))
    write('labels.npy', npy_bytes(labels))
    write('labels-2.npy', npy_bytes(np.array([1, 0], dtype='<i8')))
    write('labels-onehot.npy', npy_bytes(np.eye(3, dtype='<f4')[labels]))
    write('labels-float.npy', npy_bytes(np.array([2.0, 0.5, 1.0], dtype='<f4')))
    write('labels-negative.npy', npy_bytes(np.array([2, -1, 1], dtype='<i4')))
    write('features-nan.npy', npy_bytes(np.array([[0, 1], [2, np.nan], [4, 5]], dtype='<f8')))

    # NPZ, stored and deflated, under different member-name conventions.
    buf = io.BytesIO(); np.savez(buf, x=features, y=labels); write('stored-xy.npz', buf.getvalue())
    buf = io.BytesIO(); np.savez_compressed(buf, features=features, labels=labels); write('deflated-features-labels.npz', buf.getvalue())
    buf = io.BytesIO(); np.savez_compressed(buf, x_train=features, y_train=labels, x_test=features[:1], y_test=labels[:1])
    write('keras-style.npz', buf.getvalue())
    buf = io.BytesIO(); np.savez(buf, images=features, classes=labels); write('unknown-keys.npz', buf.getvalue())
    with zipfile.ZipFile(os.path.join(BIN, 'object-member.npz'), 'w') as z:
        z.writestr('x.npy', npy_bytes(np.array([{'a': 1}, None, 3], dtype=object), allow_pickle=True))
        z.writestr('y.npy', npy_bytes(labels))

    # Inputs that must be refused.
    write('object.npy', npy_bytes(np.array([{'a': 1}, None, 3], dtype=object), allow_pickle=True))
    write('structured.npy', npy_bytes(np.zeros(3, dtype=[('a', '<f4'), ('b', '<i4')])))
    write('complex.npy', npy_bytes(np.zeros((3, 2), dtype='<c8')))
    whole = npy_bytes(features)
    write('truncated.npy', whole[:len(whole) - 5])

    # IDX (MNIST layout): u8 images and labels, plain and gzipped, plus one file per dtype code.
    images = np.array([[[0, 255], [16, 32]], [[1, 2], [3, 4]], [[250, 0], [0, 7]]], dtype='u1')
    idx_labels = np.array([9, 0, 4], dtype='u1')
    write('images-idx3-ubyte', idx_bytes(images, 0x08))
    write('labels-idx1-ubyte', idx_bytes(idx_labels, 0x08))
    write('images-idx3-ubyte.gz', gzip.compress(idx_bytes(images, 0x08), mtime=0))
    write('labels-idx1-ubyte.gz', gzip.compress(idx_bytes(idx_labels, 0x08), mtime=0))
    idx_samples = {
        (0x09, 'i1'): [-128, 0, 1, 127], (0x0B, '>i2'): [-32768, 0, 1, 32767],
        (0x0C, '>i4'): [-2147483648, 0, 1, 2147483647],
        (0x0D, '>f4'): [-1.5, 0.0, 0.1, 3.0e38], (0x0E, '>f8'): [-1.5, 0.0, 0.1, 1.0e300],
    }
    for (code, dtype), values in idx_samples.items():
        arr = np.array(values, dtype=dtype).reshape(2, 2)
        name = f'{dtype.lstrip(">")}.idx'
        write(name, idx_bytes(arr, code))
        expected['idx'][name] = {'shape': [2, 2], 'values': [float(v) for v in arr.ravel()]}

    # One fixture per line keeps the expectations reviewable.
    sections = []
    for kind, files in expected.items():
        entries = ',\n'.join(f'  {json.dumps(name)}: {json.dumps(entry)}' for name, entry in files.items())
        sections.append(f' {json.dumps(kind)}: {{\n{entries}\n }}')
    with open(os.path.join(BIN, 'expected.json'), 'w') as f:
        f.write('{\n' + ',\n'.join(sections) + '\n}\n')


if __name__ == '__main__':
    main()
