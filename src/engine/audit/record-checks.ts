/**
 * Checks on the ground truth itself, before trusting any attack number: records listed
 * as both member and non-member, and member/non-member groups that differ in size or mix.
 */
import { createHash } from 'node:crypto';
import type { Dataset } from '../artifacts/dataset';
import { recordSize } from '../artifacts/dataset';
import { predictedLabels } from '../attacks/signals';

/** Number of member records whose features and label also appear among the non-members. */
export function countOverlap(members: Dataset, nonMembers: Dataset): number {
  const seen = new Set<string>();
  for (let i = 0; i < nonMembers.count; i++) seen.add(recordHash(nonMembers, i));
  let overlap = 0;
  for (let i = 0; i < members.count; i++) if (seen.has(recordHash(members, i))) overlap++;
  return overlap;
}

function recordHash(ds: Dataset, i: number): string {
  const size = recordSize(ds.featureShape);
  const bytes = new Uint8Array(ds.features.buffer, ds.features.byteOffset + i * size * 4, size * 4);
  return createHash('sha1').update(bytes).update(String(ds.labels[i])).digest('base64');
}

export function classCountsOf(ds: Dataset, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const l of ds.labels) if (l >= 0 && l < numClasses) counts[l]++;
  return counts;
}

/** Total-variation distance between the two groups' class distributions (0 = same mix). */
export function classMixDistance(a: number[], b: number[]): number {
  const sa = a.reduce((x, y) => x + y, 0) || 1;
  const sb = b.reduce((x, y) => x + y, 0) || 1;
  return 0.5 * a.reduce((acc, v, i) => acc + Math.abs(v / sa - (b[i] ?? 0) / sb), 0);
}

export function accuracy(probabilities: Float32Array, labels: Int32Array, numClasses: number): number {
  const predicted = predictedLabels(probabilities, numClasses);
  const correct = predicted.reduce((acc, p, r) => acc + (p === labels[r] ? 1 : 0), 0);
  return labels.length ? correct / labels.length : NaN;
}
