/**
 * Extensions under which a pickle is expected: the scanner recognises protocol 0/1
 * pickles (no header byte) under them, and model loading refuses them outright. A leaf
 * module beside the loaders, which the scanner imports (never the reverse).
 */
export const PICKLE_EXTENSIONS: ReadonlySet<string> = new Set(['.pkl', '.pickle', '.joblib', '.pt', '.pth', '.ckpt', '.bin', '.sav', '.p']);
