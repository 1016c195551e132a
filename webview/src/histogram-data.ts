/**
 * Score histograms as shares of each group: members and non-members usually differ in
 * number, and raw counts would make the larger group look more spread out.
 */
import type { ScoreHistogram } from '../../src/engine/report/schema';
import { formatScore } from './format';

export interface HistogramBars {
  /** One label per bin: its centre. */
  labels: string[];
  /** Bin ranges for tooltips, "[a, b)". */
  ranges: string[];
  memberShare: number[];
  nonMemberShare: number[];
  memberCounts: number[];
  nonMemberCounts: number[];
}

export function histogramBars(h: ScoreHistogram): HistogramBars {
  // A malformed histogram (lengths disagreeing) is cut to the bins every array covers.
  const bins = Math.max(0, Math.min(h.edges.length - 1, h.members.length, h.nonMembers.length));
  const memberCounts = h.members.slice(0, bins);
  const nonMemberCounts = h.nonMembers.slice(0, bins);
  const share = (counts: number[]): number[] => {
    const total = counts.reduce((a, b) => a + b, 0);
    return counts.map((c) => (total > 0 ? c / total : 0));
  };
  const labels: string[] = [];
  const ranges: string[] = [];
  for (let i = 0; i < bins; i++) {
    const lo = h.edges[i];
    const hi = h.edges[i + 1];
    labels.push(formatScore((lo + hi) / 2));
    ranges.push(`[${formatScore(lo)}, ${formatScore(hi)}${i === bins - 1 ? ']' : ')'}`);
  }
  return { labels, ranges, memberShare: share(memberCounts), nonMemberShare: share(nonMemberCounts), memberCounts, nonMemberCounts };
}
