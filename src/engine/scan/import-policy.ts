/**
 * What a pickle's imports mean, deny by default. Unpickling imports a module and calls what
 * it names, so an import is safe only when the name CPython would resolve is on an explicit
 * allowlist of callables that rebuild tensors, arrays and containers. The name is first
 * resolved as CPython's find_class does: `_compat_pickle` mapping for protocols 0-2, and,
 * for protocol 4+, a dotted name walked attribute by attribute (`numpy.random` +
 * `x.pickle.loads` reaches `pickle.loads`). Dotted names are never allowed.
 *
 * Kinds: 'ordinary' (allowlisted), 'informational' (a class of scikit-learn or torch.nn
 * reached by its exact module path: model objects, listed but allowed), 'dangerous' (a
 * known command/code/file callable: an error with specific wording), 'unknown' (anything
 * else: also an error, since it runs code nobody vetted).
 */
import { compatName } from './compat-pickle';

export type ImportKind = 'dangerous' | 'ordinary' | 'informational' | 'unknown';

export interface ResolvedImport {
  /** Module and name after _compat_pickle mapping (what CPython imports and looks up). */
  module: string;
  name: string;
  kind: ImportKind;
}

/** Modules whose every member is dangerous (the module itself or any submodule). */
const DANGEROUS_MODULES = [
  'os', 'posix', 'nt', 'posixpath', 'ntpath', 'subprocess', 'shutil', 'socket', 'socketserver', 'sys',
  'importlib', 'imp', 'runpy', 'pty', 'webbrowser', 'marshal', 'code', 'codeop', 'commands',
  'ctypes', 'multiprocessing', 'signal', 'pickle', '_pickle', 'cPickle', 'dill', 'cloudpickle',
  'shelve', 'pdb', 'bdb', 'timeit', 'platform', 'requests', 'urllib', 'urllib2', 'http', 'httplib',
  'ftplib', 'telnetlib', 'smtplib', 'poplib', 'imaplib', 'ssl', 'asyncio', 'tempfile',
  'glob', 'pathlib', 'fcntl', 'resource', '_thread', 'thread', 'threading', 'zipimport', 'pkgutil', 'site',
  'distutils', 'setuptools', 'pip', 'venv', 'ensurepip', 'pydoc', 'cProfile', 'profile', 'trace', 'idlelib',
  'lib2to3', 'logging.config', 'pickletools', 'tarfile', 'zipfile', 'shlex', 'spawn', '_posixsubprocess',
  'builtins.__import__', 'torch.hub', 'torch.jit', 'torch.utils.cpp_extension', 'torch.utils.data.datapipes',
  'torch.package', 'torch._dynamo', 'torch.fx', 'torch.serialization', 'numpy.testing', 'numpy.f2py',
  'numpy.distutils', 'numpy.lib.npyio', 'joblib.parallel', 'joblib.numpy_pickle_utils', 'joblib._memmapping_reducer',
  'uuid._get_command_stdout', 'uuid._popen', '_io', 'io', 'codecs.open', 'fileinput', 'linecache', 'zipapp', 'doctest',
];

/** Attribute names that run code, open files or load pickles wherever they are reached (re-exports included). */
const DANGEROUS_ATTRIBUTES = new Set([
  'system', 'popen', 'Popen', 'exec', 'eval', 'execfile', 'compile', '__import__', 'import_module', 'spawn', 'spawnv',
  'spawnl', 'spawnlp', 'spawnvp', 'execv', 'execve', 'execvp', 'execl', 'call', 'check_call', 'check_output',
  'getoutput', 'getstatusoutput', 'run', 'runctx', 'runcode', 'run_path', 'run_module', 'load', 'loads', 'load_inline',
  'open', 'open_code', 'fdopen', 'pipepager', 'tempfilepager', 'dictConfig', 'fileConfig', 'listen', 'getattr',
  'setattr', 'delattr', 'attrgetter', 'methodcaller', 'breakpoint', 'input', 'read_pickle', 'dlopen', 'CDLL',
  'LoadLibrary', 'remove', 'unlink', 'rmtree', 'rmdir', 'rename', 'kill', 'bltn_open', '_run_pip', 'apply',
]);

/** Single callables that run code, open files or reach attributes by name. */
const DANGEROUS_CALLABLES = new Set([
  ...['eval', 'exec', 'execfile', 'compile', 'open', 'file', 'getattr', 'setattr', 'delattr', '__import__',
    'apply', 'input', 'raw_input', 'breakpoint', 'globals', 'locals', 'vars', 'reload', 'memoryview', 'help', 'exit', 'quit', 'type', 'print']
    .flatMap((n) => [`builtins.${n}`, `__builtin__.${n}`, `__builtins__.${n}`]),
  'types.CodeType', 'types.FunctionType', 'types.LambdaType', 'types.MethodType', 'types.ModuleType',
  'operator.attrgetter', 'operator.methodcaller', 'operator.itemgetter', 'functools.reduce', 'functools.partial',
  'torch.load', 'torch.storage._load_from_bytes', 'numpy.load', 'numpy.lib.load', 'pandas.read_pickle', 'joblib.load',
]);

/** Allowlist: imports that rebuild tensors, arrays and containers, by exact resolved name. */
const ORDINARY_EXACT = new Set([
  'collections.OrderedDict', 'collections.defaultdict', 'collections.deque', 'collections.Counter',
  ...['multiarray._reconstruct', 'multiarray.scalar', 'numeric._frombuffer'].flatMap((n) => [`numpy.core.${n}`, `numpy._core.${n}`]),
  'numpy.dtype', 'numpy.ndarray', 'numpy.ma.core._mareconstruct', 'numpy.ma.core.MaskedArray', 'numpy.core.records.recarray',
  ...['float16', 'float32', 'float64', 'longdouble', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
    'bool_', 'complex64', 'complex128', 'str_', 'bytes_', 'void', 'datetime64', 'timedelta64'].map((n) => `numpy.${n}`),
  'numpy.random._pickle.__randomstate_ctor', 'numpy.random._pickle.__generator_ctor', 'numpy.random._pickle.__bit_generator_ctor',
  'numpy.random.__RandomState_ctor', 'numpy.random.mtrand.RandomState', 'numpy.random._generator.Generator',
  'numpy.random._mt19937.MT19937', 'numpy.random._pcg64.PCG64', 'numpy.random._pcg64.PCG64DXSM', 'numpy.random._philox.Philox',
  'numpy.random._sfc64.SFC64', 'numpy.random.bit_generator.SeedSequence',
  'joblib.numpy_pickle.NumpyArrayWrapper', 'sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper',
  ...['_csr.csr_matrix', '_csc.csc_matrix', '_coo.coo_matrix', 'csr.csr_matrix', 'csc.csc_matrix', 'coo.coo_matrix']
    .map((n) => `scipy.sparse.${n}`),
  ...['_csr.csr_array', '_csc.csc_array', '_coo.coo_array'].map((n) => `scipy.sparse.${n}`),
  'scipy.interpolate._bsplines.BSpline',
  '_codecs.encode', 'codecs.encode',
  'copyreg._reconstructor', 'copyreg.__newobj__', 'copyreg.__newobj_ex__',
  'torch.Size', 'torch.device', 'torch.dtype', 'torch.Tensor', 'torch.nn.parameter.Parameter', 'torch._tensor._rebuild_from_type_v2',
  'torch.storage._TypedStorage', 'torch.storage.TypedStorage', 'torch.storage.UntypedStorage', 'torch.storage.Storage',
  'torch.serialization._get_layout', 'torch.per_tensor_affine', 'torch.per_channel_affine', 'torch.per_tensor_symmetric',
  'datetime.datetime', 'datetime.date', 'datetime.time', 'datetime.timedelta', 'datetime.timezone',
  'decimal.Decimal', 'fractions.Fraction', 'uuid.UUID', 'argparse.Namespace',
  ...['set', 'frozenset', 'list', 'tuple', 'dict', 'int', 'float', 'complex', 'bool', 'str', 'bytes', 'bytearray',
    'slice', 'range', 'object'].map((n) => `builtins.${n}`),
]);

/** torch.FloatStorage, torch.cuda.HalfStorage, torch._utils._rebuild_tensor_v2, torch.float32 ... (whole names, no dots in the last part). */
const ORDINARY_PATTERNS = [
  /^torch(\.cuda)?\.[A-Za-z0-9]*Storage$/,
  /^torch\._utils\._rebuild_[A-Za-z0-9_]+$/,
  /^torch\.(float|double|half|bfloat16|int|long|short|uint8|int8|int16|int32|int64|bool|complex|cfloat|cdouble|qint|quint|float8)[A-Za-z0-9_]*$/,
  /^torch\.(contiguous_format|preserve_format|channels_last|channels_last_3d|strided|sparse_coo|sparse_csr)$/,
  /^numpy\.dtypes\.[A-Za-z0-9]+DType$/,
];

/**
 * Model classes: a CapWords class name (or _CapWords) reached by its exact module path inside these
 * packages (estimators, their trees and losses; torch.nn layers of a full checkpoint).
 * Private test/data-download helpers are excluded, and so are names those packages
 * merely re-export from elsewhere (found by listing every module of scikit-learn 1.2 and
 * torch 1.13's torch.nn.modules for CapWords names defined outside the package).
 */
const LIBRARY_PACKAGES = ['sklearn', 'torch.nn.modules'];
const LIBRARY_EXCLUDED = ['sklearn.utils._testing', 'sklearn.utils.estimator_checks', 'sklearn.externals', 'sklearn.conftest',
  'sklearn.datasets', 'sklearn.utils._joblib', 'sklearn.utils.fixes', 'sklearn.utils._show_versions', 'sklearn._build_utils'];
const REEXPORTED_NAMES = new Set(['BytesIO', 'StringIO', 'GzipFile', 'Memory', 'Parallel', 'Path', 'TemporaryDirectory',
  'Request', 'Template', 'ABCMeta', 'ABC', 'MethodType', 'Parameter', 'CalledProcessError', 'TimeoutExpired', 'TestCase',
  'SkipTest', 'HTTPError', 'URLError', 'LinearOperator', 'BSpline', 'NamedTuple', 'OrderedDict', 'Counter', 'Any', 'Callable',
  'Generator', 'Iterable', 'Iterator', 'Mapping', 'Sequence', 'Union', 'Optional', 'List', 'Dict', 'Tuple',
  // torch.nn.modules re-exports: modules (F is torch.nn.functional, _VF, _Reduction) and autograd/hook helpers.
  'F', 'VF', 'Reduction', 'Function', 'RemovableHandle', 'Protocol', 'TypeVar', 'Set']);
/**
 * Cython reduce helpers: scikit-learn's trees (KDTree, BallTree, DistanceMetric) pickle
 * through newObj, and Cython extension types through __pyx_unpickle_<Class>, which checks
 * a layout checksum and sets fields.
 */
const LIBRARY_FUNCTION = /^(newObj|__pyx_unpickle_[A-Za-z][A-Za-z0-9_]*)$/;

/**
 * `proto` is the protocol in force when the import runs (0 before any PROTO opcode): it
 * decides _compat_pickle mapping (< 3) and dotted-name lookup (>= 4).
 */
export function resolveImport(module: string, name: string, proto = 4): ResolvedImport {
  const [m, n] = compatName(module, name, proto);
  return { module: m, name: n, kind: classifyResolved(m, n) };
}

/** Kind of an import, for a protocol 4 pickle (no _compat_pickle mapping). */
export function classifyImport(module: string, name: string, proto = 4): ImportKind {
  return resolveImport(module, name, proto).kind;
}

function classifyResolved(module: string, name: string): ImportKind {
  const full = `${module}.${name}`;
  const parts = full.split('.');
  // Every prefix is something CPython imports or reaches by getattr on the way.
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('.');
    if (DANGEROUS_CALLABLES.has(prefix) || DANGEROUS_MODULES.includes(prefix)) return 'dangerous';
  }
  if (name.split('.').some((part) => DANGEROUS_ATTRIBUTES.has(part))) return 'dangerous';
  if (!isIdentifierPath(module) || !isIdentifier(name)) return 'unknown';
  if (ORDINARY_EXACT.has(full) || ORDINARY_PATTERNS.some((p) => p.test(full))) return 'ordinary';
  if (isLibraryClass(module, name)) return 'informational';
  return 'unknown';
}

function isLibraryClass(module: string, name: string): boolean {
  if (!LIBRARY_PACKAGES.some((p) => within(module, p)) || LIBRARY_EXCLUDED.some((p) => within(module, p))) return false;
  if (module.split('.').some((part) => part === 'tests' || part === 'conftest')) return false;
  if (LIBRARY_FUNCTION.test(name)) return module.startsWith('sklearn.');
  // Public classes and module-private helpers of the same shape (_BinMapper, _CalibratedClassifier).
  return /^_?[A-Z][A-Za-z0-9]*$/.test(name) && !REEXPORTED_NAMES.has(name.replace(/^_/, ''));
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isIdentifier(s: string): boolean {
  return IDENTIFIER.test(s);
}

function isIdentifierPath(s: string): boolean {
  return s.split('.').every(isIdentifier);
}

function within(name: string, module: string): boolean {
  return name === module || name.startsWith(`${module}.`);
}
