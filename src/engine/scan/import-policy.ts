/**
 * What a pickle's imports mean. Unpickling calls what a pickle imports, so an import of
 * a process, file, network or code-execution callable is how malicious pickles work
 * (Trail of Bits' fickling and picklescan flag the same families); the imports PyTorch,
 * NumPy and collections use to rebuild tensors and containers are ordinary. Anything else
 * is unknown: not proof of harm, but code the user should know will run.
 */
export type ImportKind = 'dangerous' | 'ordinary' | 'informational' | 'unknown';

/** Modules whose every member is dangerous (the module itself or any submodule). */
const DANGEROUS_MODULES = [
  'os', 'posix', 'nt', 'posixpath', 'ntpath', 'subprocess', 'shutil', 'socket', 'socketserver', 'sys',
  'importlib', 'imp', 'runpy', 'pty', 'webbrowser', 'marshal', 'code', 'codeop', 'commands',
  'ctypes', 'multiprocessing', 'signal', 'pickle', '_pickle', 'cPickle', 'dill', 'cloudpickle',
  'shelve', 'pdb', 'bdb', 'timeit', 'platform', 'requests', 'urllib', 'urllib2', 'http', 'httplib',
  'ftplib', 'telnetlib', 'smtplib', 'poplib', 'imaplib', 'ssl', 'asyncio.subprocess', 'tempfile',
  'glob', 'pathlib', 'fcntl', 'resource', '_thread', 'thread', 'zipimport', 'pkgutil', 'site', 'distutils', 'setuptools', 'pip', 'venv',
  'builtins.__import__', 'torch.hub', 'torch.jit._script', 'numpy.testing._private.utils',
  'numpy.f2py', 'numpy.distutils',
];

/** Single callables that run code, open files or reach attributes by name. */
const DANGEROUS_CALLABLES = new Set([
  ...['eval', 'exec', 'execfile', 'compile', 'open', 'file', 'getattr', 'setattr', 'delattr', '__import__',
    'apply', 'input', 'raw_input', 'breakpoint', 'globals', 'locals', 'vars', 'reload', 'memoryview', 'help', 'exit', 'quit']
    .flatMap((n) => [`builtins.${n}`, `__builtin__.${n}`, `__builtins__.${n}`]),
  'types.CodeType', 'types.FunctionType', 'types.LambdaType', 'types.MethodType', 'types.ModuleType',
  'operator.attrgetter', 'operator.methodcaller', 'functools.reduce',
  'asyncio.create_subprocess_exec', 'asyncio.create_subprocess_shell', 'asyncio.base_events.BaseEventLoop.subprocess_exec',
  'torch.load', 'torch.storage._load_from_bytes', 'torch.serialization.load', 'numpy.load', 'numpy.lib.npyio.load',
  'pandas.read_pickle', 'io.open', 'io.FileIO', '_io.open', '_io.FileIO', 'io.open_code', 'joblib.load',
]);

/** Imports that rebuild tensors, arrays and containers: never flagged. */
const ORDINARY_EXACT = new Set([
  'collections.OrderedDict', 'collections.defaultdict', 'collections.deque', 'collections.Counter',
  'numpy.core.multiarray._reconstruct', 'numpy.core.multiarray.scalar', 'numpy._core.multiarray._reconstruct',
  'numpy._core.multiarray.scalar', 'numpy.core.numeric._frombuffer', 'numpy._core.numeric._frombuffer',
  'numpy.dtype', 'numpy.ndarray', 'numpy.ma.core._mareconstruct',
  '_codecs.encode', 'codecs.encode',
  'copyreg._reconstructor', 'copy_reg._reconstructor', 'copyreg.__newobj__', 'copy_reg.__newobj__',
  'torch.Size', 'torch.device', 'torch.dtype', 'torch.nn.parameter.Parameter', 'torch._tensor._rebuild_from_type_v2',
  'torch.storage._TypedStorage', 'torch.storage.TypedStorage', 'torch.storage.UntypedStorage', 'torch.storage.Storage',
  'torch.serialization._get_layout', 'torch.per_tensor_affine', 'torch.per_channel_affine',
  'datetime.datetime', 'datetime.date', 'datetime.time', 'datetime.timedelta', 'datetime.timezone',
  'decimal.Decimal', 'fractions.Fraction', 'uuid.UUID', 'argparse.Namespace',
  ...['set', 'frozenset', 'list', 'tuple', 'dict', 'int', 'float', 'complex', 'bool', 'str', 'bytes', 'bytearray',
    'slice', 'range', 'object', 'long', 'unicode', 'reversed', 'Ellipsis', 'NotImplemented']
    .flatMap((n) => [`builtins.${n}`, `__builtin__.${n}`]),
]);

/** torch.FloatStorage, torch.cuda.HalfStorage, torch._utils._rebuild_tensor_v2, torch.float32 ... */
const ORDINARY_PATTERNS = [
  /^torch(\.cuda)?\.[A-Za-z0-9]*Storage$/,
  /^torch\._utils\._rebuild_[A-Za-z0-9_]+$/,
  /^torch\.(float|double|half|bfloat16|int|long|short|uint8|int8|int16|int32|int64|bool|complex|qint|quint|float8)[A-Za-z0-9_]*$/,
  /^torch\.(contiguous_format|preserve_format|channels_last|channels_last_3d|strided|sparse_coo|sparse_csr)$/,
];

/** Library classes (models, pipelines, arrays) that are expected in such pickles: listed, not warned about. */
const INFORMATIONAL_MODULES = ['sklearn', 'joblib', 'scipy.sparse', 'xgboost', 'lightgbm', 'numpy.random', 'pandas.core'];

export function classifyImport(module: string, name: string): ImportKind {
  const full = `${module}.${name}`;
  if (DANGEROUS_CALLABLES.has(full)) return 'dangerous';
  if (DANGEROUS_MODULES.some((m) => within(module, m) || within(full, m))) return 'dangerous';
  // A dotted name reaching into a dangerous module through an attribute path (STACK_GLOBAL allows "os.system" as name).
  if (name.includes('.') && name.split('.').some((part) => part === 'system' || part === 'popen' || part === '__import__' || part === 'eval' || part === 'exec')) return 'dangerous';
  if (ORDINARY_EXACT.has(full) || ORDINARY_PATTERNS.some((p) => p.test(full))) return 'ordinary';
  if (INFORMATIONAL_MODULES.some((m) => within(module, m))) return 'informational';
  return 'unknown';
}

function within(name: string, module: string): boolean {
  return name === module || name.startsWith(`${module}.`);
}
