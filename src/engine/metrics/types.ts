/** Exact binomial confidence interval. */
export interface Interval {
  lower: number;
  upper: number;
}

/** The ROC over every distinct threshold, ties grouped, starting at (0,0). */
export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /** Score threshold of each point ("predict member when score >= threshold"); the first is +Infinity. */
  thresholds: number[];
}

/** One reported point of the ROC: the best TPR whose FPR does not exceed targetFpr. */
export interface OperatingPoint {
  targetFpr: number;
  tpr: number;
  fpr: number;
  threshold: number;
  truePositives: number;
  falsePositives: number;
  /** Clopper-Pearson 95% intervals. */
  tprInterval: Interval;
  fprInterval: Interval;
  /** False when targetFpr < 1 / nonMembers: the data cannot measure an FPR this low. */
  measurable: boolean;
}

/** The keys of tprAtFpr, as strings so JSON keeps them exact. */
export const REPORTED_FPRS = ['0.01', '0.001', '0.0001'] as const;
export type ReportedFpr = (typeof REPORTED_FPRS)[number];

export interface AttackMetrics {
  members: number;
  nonMembers: number;
  auc: number;
  /** max |TPR - FPR| over the ROC (Yeom et al.'s membership advantage). */
  advantage: number;
  /** Precision at the advantage-maximising threshold. */
  ppv: number;
  tprAtFpr: Record<ReportedFpr, OperatingPoint>;
  /** ROC points [fpr, tpr], thinned for reports only when very long (see roc.ts). */
  roc: [number, number][];
  /** About 1 / nonMembers: below this FPR nothing can be measured. */
  minMeasurableFpr: number;
}
