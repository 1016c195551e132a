/**
 * What a dataset file's name says about it, for proposals: which side of the audit it
 * belongs to (train*, members* -> members; test*, holdout*, t10k*, nonmembers* ->
 * nonMembers; population*, shadow* -> population), whether it holds labels rather than
 * features, and a key that pairs a features file with its labels file
 * (train-images-idx3-ubyte.gz + train-labels-idx1-ubyte.gz, x_train.npy + y_train.npy).
 */
import * as path from 'node:path';

export type DatasetRole = 'members' | 'nonMembers' | 'population';

export interface DatasetNameInfo {
  role: DatasetRole | undefined;
  isLabels: boolean;
  /** Equal for a features file and its labels file in the same folder. */
  pairKey: string;
}

const LABEL_TOKENS = new Set(['labels', 'label', 'y', 'targets', 'target']);
const FEATURE_TOKENS = new Set(['images', 'image', 'x', 'features', 'feature', 'data', 'inputs']);
/** Parts of MNIST-style names that differ between the images and labels files. */
const FORMAT_TOKEN = /^(idx\d|ubyte)$/;

export function describeDatasetName(file: string): DatasetNameInfo {
  const tokens = nameTokens(file);
  return {
    role: roleOf(tokens),
    isLabels: tokens.some((t) => LABEL_TOKENS.has(t)),
    pairKey: tokens.filter((t) => !LABEL_TOKENS.has(t) && !FEATURE_TOKENS.has(t) && !FORMAT_TOKEN.test(t)).join('-'),
  };
}

/** Lower-case words of the base name without extensions; "non" joins the word after it. */
function nameTokens(file: string): string[] {
  const name = path.basename(file).toLowerCase().replace(/\.gz$/, '');
  const base = name.slice(0, name.length - path.extname(name).length);
  const words = base.split(/[^a-z0-9]+/).filter(Boolean);
  const tokens: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i] === 'non' && i + 1 < words.length) tokens.push(`non${words[++i]}`);
    else tokens.push(words[i]!);
  }
  return tokens;
}

function roleOf(tokens: string[]): DatasetRole | undefined {
  const has = (...prefixes: string[]) => tokens.some((t) => prefixes.some((p) => t.startsWith(p)));
  // Order matters: shadow_train is population data, nonmembers is not members.
  if (has('population', 'shadow')) return 'population';
  if (has('test', 'holdout', 't10k', 'nonmember')) return 'nonMembers';
  if (has('train', 'member')) return 'members';
  return undefined;
}
