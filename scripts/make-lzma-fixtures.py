#!/usr/bin/python3
"""Writes test/fixtures/scan-lzma/: .lzma ("alone") streams from Python's own lzma module,
with the SHA-256 and size of what they decompress to, for the scanner's LZMA decoder."""
import hashlib, json, lzma, os, random, struct

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'scan-lzma')
os.makedirs(OUT, exist_ok=True)
os.chdir(OUT)
rnd = random.Random(7)
cases = {
    'text-preset6': (b''.join(b'line %d of some text, varied %d\n' % (i, i * i % 97) for i in range(3000)), 6),
    'random-preset0': (bytes(rnd.getrandbits(8) for _ in range(20000)), 0),
    'mixed-preset9': (b''.join((bytes(rnd.getrandbits(8) for _ in range(40)) if i % 3 else b'abcabcabc' * 20) for i in range(600)), 9),
    'empty': (b'', 6),
}
meta = {}


def put(name, comp, data):
    open(name + '.lzma', 'wb').write(comp)
    meta[name + '.lzma'] = {'sha256': hashlib.sha256(data).hexdigest(), 'size': len(data)}


for name, (data, preset) in cases.items():
    put(name, lzma.compress(data, format=lzma.FORMAT_ALONE, preset=preset), data)
# Streams back to back, as LZMAFile reads them.
a, b = b'first stream ' * 100, b'second'
put('two-streams', lzma.compress(a, format=lzma.FORMAT_ALONE) + lzma.compress(b, format=lzma.FORMAT_ALONE), a + b)
# A header that declares the size (other encoders write it); the end marker is still there.
data = cases['text-preset6'][0]
c = bytearray(lzma.compress(data, format=lzma.FORMAT_ALONE, preset=6))
c[5:13] = struct.pack('<Q', len(data))
assert lzma.decompress(bytes(c), format=lzma.FORMAT_ALONE) == data
put('known-size', bytes(c), data)
# A bomb: 100 MB of zeros in a few kB.
open('bomb-100mb.lzma', 'wb').write(lzma.compress(b'\0' * 100_000_000, format=lzma.FORMAT_ALONE, preset=9))
# A dictionary Python reads but the scanner does not decode (fail closed).
open('dict-128mib.lzma', 'wb').write(lzma.compress(b'x' * 1000, format=lzma.FORMAT_ALONE, filters=[{'id': lzma.FILTER_LZMA1, 'dict_size': 128 * 1024 * 1024}]))
json.dump(meta, open('expected.json', 'w'), indent=1)
