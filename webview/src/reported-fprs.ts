/**
 * The FPRs the report tabulates, as the keys of metrics.tprAtFpr. Declared here from the
 * type alone because the webview imports only types from the engine; the Record makes
 * the compiler fail if the engine adds a key this list lacks.
 */
import type { ReportedFpr } from '../../src/engine/metrics/types';

const KEYS: Record<ReportedFpr, true> = { '0.01': true, '0.001': true, '0.0001': true };

/** Largest FPR first, the order of the table columns. */
export const REPORTED_FPR_KEYS: readonly ReportedFpr[] = (Object.keys(KEYS) as ReportedFpr[]).sort((a, b) => Number(b) - Number(a));
