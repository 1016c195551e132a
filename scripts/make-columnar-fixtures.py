#!/usr/bin/python3
"""Writes the Parquet fixtures under test/fixtures/datasets/columnar/ and parquet-expected.json.

Debian's python3 has no Parquet library (python3-pyarrow is not installed), so this is a
minimal writer of the format (Thrift compact footer, v1 data pages, PLAIN values, RLE or
bit-packed levels, no compression, one row group), checked by reading the values back
with numpy from the offsets it wrote. Run: /usr/bin/python3 scripts/make-columnar-fixtures.py.
Arrow IPC fixtures come from scripts/make-columnar-fixtures.mjs (apache-arrow): run it
first; this script then checks that its columns' bytes are in the files (check_arrow).
"""
import json
import os
import struct

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'datasets', 'columnar')

# Thrift compact protocol type ids and Parquet enum values (parquet.thrift).
T_I32, T_I64, T_BINARY, T_LIST, T_STRUCT = 5, 6, 8, 9, 12
TYPES = {'BOOLEAN': 0, 'INT32': 1, 'INT64': 2, 'FLOAT': 4, 'DOUBLE': 5, 'BYTE_ARRAY': 6}
REQUIRED, REPEATED = 0, 2
UTF8, LIST, DATE = 0, 3, 6
PLAIN, RLE = 0, 3


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def zigzag(n):
    return varint((n << 1) ^ (n >> 63))


class Struct:
    """A Thrift struct written with the compact protocol; fields added in id order."""

    def __init__(self):
        self.out = bytearray()
        self.last = 0

    def _header(self, fid, ttype):
        delta = fid - self.last
        assert 0 < delta <= 15
        self.out.append((delta << 4) | ttype)
        self.last = fid

    def i32(self, fid, v):
        self._header(fid, T_I32)
        self.out += zigzag(v)
        return self

    def i64(self, fid, v):
        self._header(fid, T_I64)
        self.out += zigzag(v)
        return self

    def string(self, fid, s):
        self._header(fid, T_BINARY)
        data = s.encode('utf8')
        self.out += varint(len(data)) + data
        return self

    def struct(self, fid, s):
        self._header(fid, T_STRUCT)
        self.out += s.bytes()
        return self

    def list(self, fid, elem_type, items):
        self._header(fid, T_LIST)
        self.out.append((len(items) << 4) | elem_type if len(items) < 15 else 0xF0 | elem_type)
        if len(items) >= 15:
            self.out += varint(len(items))
        for item in items:
            if elem_type == T_STRUCT:
                self.out += item.bytes()
            elif elem_type == T_I32:
                self.out += zigzag(item)
            elif elem_type == T_BINARY:
                data = item.encode('utf8')
                self.out += varint(len(data)) + data
        return self

    def bytes(self):
        return bytes(self.out) + b'\x00'


def schema_element(name, ptype=None, repetition=REQUIRED, children=None, converted=None):
    s = Struct()
    if ptype is not None:
        s.i32(1, TYPES[ptype])
    s.i32(3, repetition).string(4, name)
    if children is not None:
        s.i32(5, children)
    if converted is not None:
        s.i32(6, converted)
    return s


def plain(ptype, values):
    if ptype == 'DOUBLE':
        return np.asarray(values, '<f8').tobytes()
    if ptype == 'FLOAT':
        return np.asarray(values, '<f4').tobytes()
    if ptype == 'INT32':
        return np.asarray(values, '<i4').tobytes()
    if ptype == 'INT64':
        return np.asarray(values, '<i8').tobytes()
    if ptype == 'BOOLEAN':
        return np.packbits(np.asarray(values, np.uint8), bitorder='little').tobytes()
    if ptype == 'BYTE_ARRAY':
        return b''.join(struct.pack('<I', len(v.encode())) + v.encode() for v in values)
    raise ValueError(ptype)


def bitpacked_levels(levels):
    """RLE/bit-packed hybrid, bit width 1, one bit-packed run; 4-byte length prefix (data page v1)."""
    groups = (len(levels) + 7) // 8
    padded = list(levels) + [0] * (groups * 8 - len(levels))
    run = varint((groups << 1) | 1) + np.packbits(np.asarray(padded, np.uint8), bitorder='little').tobytes()
    return struct.pack('<I', len(run)) + run


def write_parquet(path, columns, num_rows):
    """columns: dicts with schema (list of elements), path, type, values, and levels (rep, def) or None."""
    body = bytearray(b'PAR1')
    chunks = []
    for col in columns:
        page = b''
        if col.get('levels'):
            rep, dfn = col['levels']
            page += bitpacked_levels(rep) + bitpacked_levels(dfn)
        page += plain(col['type'], col['values'])
        n = len(col['values'])
        header = Struct().i32(1, 0).i32(2, len(page)).i32(3, len(page)).struct(
            5, Struct().i32(1, n).i32(2, PLAIN).i32(3, RLE).i32(4, RLE)).bytes()
        offset = len(body)
        col['value_offset'] = offset + len(header) + (len(page) - len(plain(col['type'], col['values'])))
        body += header + page
        size = len(header) + len(page)
        meta = Struct().i32(1, TYPES[col['type']]).list(2, T_I32, [PLAIN, RLE]).list(3, T_BINARY, col['path']) \
            .i32(4, 0).i64(5, n).i64(6, size).i64(7, size).i64(9, offset)
        chunks.append(Struct().i64(2, offset).struct(3, meta))
    schema = [schema_element('schema', children=len(columns))]
    for col in columns:
        schema += col['schema']
    total = sum(len(c.bytes()) for c in chunks)
    row_group = Struct().list(1, T_STRUCT, chunks).i64(2, total).i64(3, num_rows)
    footer = Struct().i32(1, 1).list(2, T_STRUCT, schema).i64(3, num_rows).list(4, T_STRUCT, [row_group]) \
        .string(6, 'make-columnar-fixtures.py').bytes()
    body += footer + struct.pack('<I', len(footer)) + b'PAR1'
    with open(path, 'wb') as f:
        f.write(body)
    return bytes(body)


def leaf(name, ptype, values, converted=None):
    return {'schema': [schema_element(name, ptype, converted=converted)], 'path': [name], 'type': ptype, 'values': values}


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(11)
    n = 5
    x1 = rng.normal(size=n).round(6)
    x2 = rng.normal(size=n).astype(np.float32)
    counts = rng.integers(-1000, 1000, size=n).astype(np.int32)
    big = rng.integers(-2**40, 2**40, size=n).astype(np.int64)
    flag = np.array([True, False, True, True, False])
    vec = rng.normal(size=(n, 2)).astype(np.float32)
    labels = ['dog', 'cat', 'emu', 'cat', 'dog']
    vec_col = {
        'schema': [schema_element('vec', repetition=REQUIRED, children=1, converted=LIST),
                   schema_element('list', repetition=REPEATED, children=1),
                   schema_element('element', 'FLOAT')],
        'path': ['vec', 'list', 'element'], 'type': 'FLOAT', 'values': vec.ravel(),
        'levels': ([0, 1] * n, [1] * (2 * n)),
    }
    columns = [leaf('x1', 'DOUBLE', x1), leaf('x2', 'FLOAT', x2), leaf('n', 'INT32', counts),
               leaf('big', 'INT64', big), leaf('flag', 'BOOLEAN', flag), vec_col,
               leaf('species', 'BYTE_ARRAY', labels, converted=UTF8)]
    data = write_parquet(os.path.join(OUT, 'table.parquet'), columns, n)

    # Cross-check: numpy reads every numeric column back from the offsets written.
    for col, dtype, want in [(columns[0], '<f8', x1), (columns[1], '<f4', x2), (columns[2], '<i4', counts),
                             (columns[3], '<i8', big), (vec_col, '<f4', vec.ravel())]:
        got = np.frombuffer(data, dtype=dtype, count=len(want), offset=col['value_offset'])
        assert np.array_equal(got, want), col['path']

    features = np.column_stack([x1, x2.astype(np.float64), counts, big.astype(np.float64), flag, vec.astype(np.float64)])
    classes = sorted(set(labels))
    expected = {'table': {'shape': [features.shape[1]], 'labels': [classes.index(c) for c in labels],
                          'features': features.astype(np.float32).astype(np.float64).ravel().tolist()}}

    write_parquet(os.path.join(OUT, 'text-feature.parquet'),
                  [leaf('x', 'DOUBLE', [1.0, 2.0]), leaf('notes', 'BYTE_ARRAY', ['a', 'b'], converted=UTF8),
                   leaf('label', 'INT32', [0, 1])], 2)
    write_parquet(os.path.join(OUT, 'date-column.parquet'),
                  [leaf('day', 'INT32', [19000, 19001], converted=DATE), leaf('label', 'INT32', [0, 1])], 2)
    with open(os.path.join(OUT, 'parquet-expected.json'), 'w') as f:
        json.dump(expected, f)
        f.write('\n')


def check_arrow():
    """Arrow IPC stores each column's values as one little-endian buffer: find it with numpy."""
    with open(os.path.join(OUT, 'arrow-expected.json')) as f:
        columns = json.load(f)['columns']
    wanted = {'x': '<f8', 'count': '<i4', 'pixels': '<f4', 'deltas': '<f4'}
    for name in ('table.arrow', 'table.arrows'):
        with open(os.path.join(OUT, name), 'rb') as f:
            data = f.read()
        for column, dtype in wanted.items():
            assert data.find(np.asarray(columns[column], dtype).tobytes()) >= 0, (name, column)
        assert data.find(np.asarray([int(v) for v in columns['big']], '<i8').tobytes()) >= 0, (name, 'big')


if __name__ == '__main__':
    main()
    if os.path.exists(os.path.join(OUT, 'arrow-expected.json')):
        check_arrow()
        print('Arrow fixtures cross-checked')
