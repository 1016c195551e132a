#!/usr/bin/python3
"""Writes test/fixtures/scan/: malicious and benign pickles, PyTorch checkpoints (zip and
legacy), NPY/NPZ object arrays, joblib-style streams, a zip bomb, safetensors and Keras
files, plus genops.json: pickletools.genops' opcodes and offsets for the pickle fixtures,
which the tests compare with the scanner's disassembly.

Run with Debian's /usr/bin/python3 (numpy, torch). The malicious files are only ever
written: pickling records the names of the callables without calling them, and this script
never loads, unpickles or imports anything it wrote.
"""
import io
import json
import os
import pickle
import pickletools
import struct
import subprocess
import sys
import types
import zipfile

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'scan')
os.makedirs(OUT, exist_ok=True)
GENOPS = {}


def write(name, data):
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)


def fixed_time(name, compress_type=zipfile.ZIP_STORED):
    """A zip entry dated 1980-01-01, so regenerating gives the same bytes (legacy torch files still differ: their storage keys are addresses)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = compress_type
    return info


def record_genops(name, data, start=0):
    """Opcodes as pickletools sees them: [offset, name, arg] with arg only for ints, bools and str."""
    ops = []
    for op, arg, pos in pickletools.genops(data[start:]):
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) >= 2 ** 53:
            value = str(arg)  # beyond what a JSON number keeps exactly
        elif isinstance(arg, (bool, int, str)):
            value = arg  # GLOBAL and INST give "module name"
        else:
            value = None
        ops.append([pos + start, op.name, value])
    GENOPS[name] = ops


class Reduce:
    """An object that pickles as a call of `fn(*args)`; pickling only records the names."""

    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


# --- Malicious pickles ------------------------------------------------------------------

# Protocol 0, GLOBAL naming os.system directly (what a hand-written exploit looks like).
os_global = b"cos\nsystem\n(S'echo pwned'\ntR."
write('os-system-global.pkl', os_global)
record_genops('os-system-global.pkl', os_global)

# Protocol 4: module and name pushed as strings, memoised, popped, fetched back with BINGET,
# then STACK_GLOBAL; all inside a FRAME.
body = (b'\x8c\x02os\x94' + b'0' + b'\x8c\x06system\x94' + b'0' + b'h\x00h\x01\x93'
        + b'\x8c\x0becho pwned2\x85R.')
os_stack = b'\x80\x04\x95' + struct.pack('<Q', len(body)) + body
write('os-system-stack-global.pkl', os_stack)
record_genops('os-system-stack-global.pkl', os_stack)

# Protocol 2 GLOBAL builtins.eval.
evil_eval = pickle.dumps(Reduce(eval, ("__import__('os').system('echo pwned')",)), protocol=2)
write('builtins-eval.pkl', evil_eval)
record_genops('builtins-eval.pkl', evil_eval)

# subprocess.Popen, protocol 5 (framing, STACK_GLOBAL and MEMOIZE as Python writes them), in a dict.
evil_popen = pickle.dumps({'weights': [1.0, 2.0], 'hook': Reduce(subprocess.Popen, (['echo', 'pwned'],))}, protocol=5)
write('subprocess-popen.pkl', evil_popen)
record_genops('subprocess-popen.pkl', evil_popen)

# Every opcode of protocols 0-5 once, in a stack-valid order (for the disassembly cross-check).
OD = b'ccollections\nOrderedDict\n'
body = b''.join([
    b'N0', b'\x88\x89\x860', b'I42\n0', b'I01\n0', b'J\xff\xff\xff\xff0', b'K\x070', b'M\x00\x010',
    b'L123L\n0', b'\x8a\x02\x00\x010', b'\x8b\x02\x00\x00\x00\xff\x7f0',
    b"S'a\\'b'\n0", b'T\x03\x00\x00\x00abc0', b'U\x03abc0', b'B\x02\x00\x00\x00xy0', b'C\x02xy0',
    b'\x8e' + struct.pack('<Q', 2) + b'xy0', b'\x96' + struct.pack('<Q', 2) + b'xy0',
    b'Vab\\u00e9\n0', b'\x8c\x03abc0', b'X\x03\x00\x00\x00abc0', b'\x8d' + struct.pack('<Q', 3) + b'abc0',
    b'F1.5\n0', b'G' + struct.pack('>d', -2.25) + b'0',
    b']K\x01a(K\x02K\x03e0', b'(K\x01l0', b')0', b'(K\x01t0', b'K\x01\x850', b'K\x01K\x02\x860', b'K\x01K\x02K\x03\x870',
    b'}K\x01K\x02s(K\x03K\x04u0', b'(K\x01K\x02d0', b'\x8f(K\x01\x900', b'(K\x01\x910',
    b'K\x0120', b'0', b'(K\x011',
    b'K\x05p5\n0g5\n0', b'K\x06q\x060h\x060', b'K\x07r\x07\x00\x00\x000j\x07\x00\x00\x000', b'K\x08\x940',
    b'\x82\x010', b'\x83\x01\x000', b'\x84\x01\x00\x00\x000',
    OD + b')R0', b'\x8c\x0bcollections\x8c\x0bOrderedDict\x93)\x81}b0', OD + b')}\x920',
    b'(' + OD + b'o0', b'(icollections\nOrderedDict\n0', b'Pid1\n0', b'K\x01Q0', b'\x97\x980',
    b'N.',
])
every = b'\x80\x05\x95' + struct.pack('<Q', len(body)) + body
write('every-opcode.pkl', every)
record_genops('every-opcode.pkl', every)
assert len({op.name for op, _, _ in pickletools.genops(every)}) == len(pickletools.opcodes), 'every opcode appears'

# An unknown (not allowlisted, not known dangerous) import: a warning, not an error.
unknown = b'\x80\x02cmylib.models\nCustomNet\nq\x00)\x81q\x01.'
write('unknown-import.pkl', unknown)
record_genops('unknown-import.pkl', unknown)

# A torch zip checkpoint whose data.pkl calls os.system (posix.system on Linux).
buf = io.BytesIO()
torch.save({'state': torch.zeros(2), 'payload': Reduce(os.system, ('echo pwned',))}, buf)
write('torch-malicious.pt', buf.getvalue())
with zipfile.ZipFile(buf) as z:  # reads the member's bytes; nothing is unpickled
    record_genops('torch-malicious.pt!archive/data.pkl', z.read('archive/data.pkl'))

# An NPY object array whose payload pickle imports os.system; and an NPZ holding it.
buf = io.BytesIO()
np.save(buf, np.array([Reduce(os.system, ('echo pwned',)), 1], dtype=object), allow_pickle=True)
write('object-malicious.npy', buf.getvalue())
npy = buf.getvalue()
record_genops('object-malicious.npy', npy, 10 + struct.unpack('<H', npy[8:10])[0])
buf = io.BytesIO()
np.savez(buf, x=np.arange(4, dtype=np.float32), payload=np.array([Reduce(os.system, ('echo',))], dtype=object))
write('object-malicious.npz', buf.getvalue())

# --- joblib-style streams: NumpyArrayWrapper followed by the array's bytes inline -------------

# Stand-in modules so the wrapper pickles under joblib's real name (joblib itself is not installed).
joblib_package = types.ModuleType('joblib')
joblib_module = types.ModuleType('joblib.numpy_pickle')
joblib_package.numpy_pickle = joblib_module
sys.modules['joblib'] = joblib_package
sys.modules['joblib.numpy_pickle'] = joblib_module


class NumpyArrayWrapper:
    def __init__(self, subclass, shape, order, dtype, allow_mmap=False, numpy_array_alignment_bytes=16):
        self.subclass = subclass
        self.shape = shape
        self.order = order
        self.dtype = dtype
        self.allow_mmap = allow_mmap
        self.numpy_array_alignment_bytes = numpy_array_alignment_bytes


NumpyArrayWrapper.__module__ = 'joblib.numpy_pickle'
joblib_module.NumpyArrayWrapper = NumpyArrayWrapper


class JoblibStylePickler(pickle._Pickler):
    """joblib's NumpyPickler.save: the wrapper is pickled, then the raw data is written inline (with alignment padding)."""

    def __init__(self, f):
        super().__init__(f, protocol=4)
        self.file_handle = f
        self.array_ends = []

    def save(self, obj, save_persistent_id=True):
        if isinstance(obj, np.ndarray) and not obj.dtype.hasobject:
            wrapper = NumpyArrayWrapper(type(obj), obj.shape, 'C', obj.dtype)
            super().save(wrapper)
            self.framer.commit_frame(force=True)
            pos_after_padding_byte = self.file_handle.tell() + 1
            padding = 16 - (pos_after_padding_byte % 16)
            self.file_handle.write(bytes([padding]) + b'\xff' * padding)
            self.file_handle.write(obj.tobytes(order='C'))
            self.array_ends.append(self.file_handle.tell())
            return
        super().save(obj, save_persistent_id)


def joblib_style(name, obj):
    buf = io.BytesIO()
    pickler = JoblibStylePickler(buf)
    pickler.dump(obj)
    data = buf.getvalue()
    write(name, data)
    # genops cannot step over inline data: record the opcodes after the last array from where it ends.
    record_genops(name + '#after-last-array', data, pickler.array_ends[-1])


# The dangerous import comes after the inline array: found only if the array is stepped over.
joblib_style('joblib-malicious.joblib', {'coef': np.arange(6, dtype=np.float64).reshape(2, 3), 'post': Reduce(os.system, ('echo',))})
joblib_style('joblib-benign.joblib', {'coef': np.arange(6, dtype=np.float32), 'intercept': np.array([0.5]), 'n': 3})

# --- Benign pickles and checkpoints -------------------------------------------------------

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
buf = io.BytesIO()
torch.save(model.state_dict(), buf)
write('state-dict.pt', buf.getvalue())
buf = io.BytesIO()
torch.save(model.state_dict(), buf, _use_new_zipfile_serialization=False)
legacy = buf.getvalue()
write('state-dict-legacy.pth', legacy)
# Legacy torch files are a sequence of pickles then raw storage bytes: record where each pickle starts.
starts = []
pos = 0
for _ in range(5):
    starts.append(pos)
    ops = list(pickletools.genops(legacy[pos:]))
    pos += ops[-1][2] + 1
record_genops('state-dict-legacy.pth#main', legacy, starts[3])
GENOPS['state-dict-legacy.pth#starts'] = starts

plain = pickle.dumps({'lr': 0.01, 'epochs': 3, 'name': 'run-1', 'layers': [4, 3, 2], 'flag': True, 'none': None,
                      'big': 2 ** 70, 'neg': -5, 'tuple': (1, 2.5, 'x'), 'set': {1, 2}, 'bytes': b'\x00\x01'}, protocol=4)
write('plain-dict.pkl', plain)
record_genops('plain-dict.pkl', plain)
plain0 = pickle.dumps({'lr': 0.01, 'epochs': 3, 'name': 'run-1', 'layers': [4, 3, 2], 'big': 2 ** 70}, protocol=0)
write('plain-dict-p0.pkl', plain0)
record_genops('plain-dict-p0.pkl', plain0)
plain1 = pickle.dumps({'lr': 0.01, 'epochs': 3, 'name': 'run-1', 'layers': (4, 3, 2)}, protocol=1)
write('plain-dict-p1.pkl', plain1)
record_genops('plain-dict-p1.pkl', plain1)

buf = io.BytesIO()
np.save(buf, np.array([1, 2, 3], dtype=object), allow_pickle=True)
write('object-ints.npy', buf.getvalue())

# A pickle cut in the middle of an opcode's argument.
write('truncated.pkl', plain[:len(plain) // 2])
GENOPS['truncated.pkl#length'] = len(plain) // 2

# A .bin that is neither a pickle nor a zip (raw float weights).
write('raw-weights.bin', np.arange(16, dtype=np.float32).tobytes())

# --- A zip bomb: a small file whose data.pkl declares 3 GiB uncompressed -------------------

buf = io.BytesIO()
with zipfile.ZipFile(buf, 'w', compression=zipfile.ZIP_DEFLATED) as z:
    z.writestr(fixed_time('archive/data.pkl', zipfile.ZIP_DEFLATED), b'\x80\x02}q\x00.' + b'\x00' * 2000)
bomb = bytearray(buf.getvalue())
declared = 3 * 2 ** 30
# Patch the uncompressed size in the central directory entry (offset 24) and the local header (offset 22).
cd = bomb.rfind(b'PK\x01\x02')
struct.pack_into('<I', bomb, cd + 24, declared)
struct.pack_into('<I', bomb, 22, declared)
write('zip-bomb.pt', bytes(bomb))

# --- safetensors ----------------------------------------------------------------------------


def safetensors(header, data):
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * ((8 - len(text) % 8) % 8)
    return struct.pack('<Q', len(text)) + text + data


w = np.arange(6, dtype=np.float32).reshape(2, 3)
b = np.array([1, 2, 3, 4], dtype=np.int64)
h = np.array([1.5, 2.5], dtype=np.float16)
valid_header = {
    '__metadata__': {'format': 'pt', 'note': 'fixture'},
    'dense.weight': {'dtype': 'F32', 'shape': [2, 3], 'data_offsets': [0, 24]},
    'dense.bias': {'dtype': 'I64', 'shape': [4], 'data_offsets': [24, 56]},
    'scale': {'dtype': 'F16', 'shape': [2], 'data_offsets': [56, 60]},
    'scalar': {'dtype': 'BF16', 'shape': [], 'data_offsets': [60, 62]},
}
data = w.tobytes() + b.tobytes() + h.tobytes() + b'\x80\x3f'
write('valid.safetensors', safetensors(valid_header, data))
GENOPS['valid.safetensors#parameters'] = 6 + 4 + 2 + 1

bad = json.loads(json.dumps(valid_header))
bad['dense.bias']['data_offsets'] = [24, 80]
write('bad-offsets.safetensors', safetensors(bad, data))
bad = json.loads(json.dumps(valid_header))
bad['dense.weight']['dtype'] = 'F33'
write('unknown-dtype.safetensors', safetensors(bad, data))
bad = json.loads(json.dumps(valid_header))
bad['dense.bias']['data_offsets'] = [16, 48]
bad['scale']['data_offsets'] = [48, 52]
bad['scalar']['data_offsets'] = [52, 54]
write('overlapping.safetensors', safetensors(bad, data[:54]))
bad = json.loads(json.dumps(valid_header))
bad['dense.weight']['shape'] = [3, 3]
write('wrong-length.safetensors', safetensors(bad, data))
write('header-too-large.safetensors', struct.pack('<Q', 500 * 2 ** 20) + b'{"a":')

# --- Keras ----------------------------------------------------------------------------------


def dense(name, units):
    return {'class_name': 'Dense', 'config': {'name': name, 'units': units, 'activation': 'relu'}}


lambda_layer = {'class_name': 'Lambda', 'config': {'name': 'scale_by_two', 'function': ['4wEAAAAAAAAA', None, None], 'function_type': 'lambda'}}
inner = {'class_name': 'Sequential', 'config': {'name': 'inner_block', 'layers': [dense('inner_dense', 4), lambda_layer]}}
keras_config = {
    'class_name': 'Functional',
    'config': {'name': 'outer', 'layers': [
        {'class_name': 'InputLayer', 'config': {'name': 'input', 'batch_shape': [None, 4]}},
        inner,
        dense('head', 2),
    ]},
}
clean_config = {'class_name': 'Sequential', 'config': {'name': 'clean', 'layers': [dense('d1', 4), dense('d2', 2)]}}


def keras_zip(config):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        z.writestr(fixed_time('metadata.json'), json.dumps({'keras_version': '3.0.0'}))
        z.writestr(fixed_time('config.json'), json.dumps(config))
    return buf.getvalue()


write('lambda.keras', keras_zip(keras_config))
write('clean.keras', keras_zip(clean_config))
import h5py  # noqa: E402  (Keras 2 .h5: the config is a JSON attribute of the root)
for name, config in (('lambda.h5', keras_config), ('clean.h5', clean_config)):
    with h5py.File(os.path.join(OUT, name), 'w') as h5:
        h5.attrs['model_config'] = json.dumps(config)
        h5.attrs['keras_version'] = '2.15.0'
        h5.create_group('model_weights')
with h5py.File(os.path.join(OUT, 'weights-only.h5'), 'w') as h5:
    h5.attrs['layer_names'] = [b'dense']
with open(os.path.join(OUT, 'lambda-config.json'), 'w') as f:
    json.dump(keras_config, f)

with open(os.path.join(OUT, 'genops.json'), 'w') as f:
    json.dump(GENOPS, f, separators=(',', ':'))
print(f'wrote {len(os.listdir(OUT))} files to {os.path.normpath(OUT)}')
