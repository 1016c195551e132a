/** The text form of an inspection: one labelled line per fact, then the findings. */
import type { Severity } from '../../shared/rules';
import type { InspectResult } from './types';
import { ruleLabel } from '../report/format';

const SEVERITY_WORD: Record<Severity, string> = { high: 'error', medium: 'warning', low: 'note', info: 'info' };
/** Tensors listed by name before the rest are only counted. */
const MAX_TENSORS_LISTED = 20;

export function inspectToText(r: InspectResult): string {
  const lines: string[] = [r.file];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(12)} ${value}`);
  row('kind', r.kind);
  row('format', r.pickleBased ? `${r.format} (pickle-based: scanned statically, never loaded)` : String(r.format));
  if (r.inputShape) row('input shape', `[${r.inputShape.map((d) => (d === null ? 'any' : d)).join(', ')}]`);
  if (r.numClasses !== undefined) row('classes', String(r.numClasses));
  if (r.parameterCount !== undefined) row('parameters', r.parameterCount.toLocaleString('en-US'));
  if (r.records !== undefined) row('records', String(r.records));
  if (r.featureShape) row('features', `[${r.featureShape.join(', ')}] per record`);
  if (r.classCounts) row('per class', `${r.classCounts.length} classes: ${r.classCounts.join(', ')}`);
  if (r.tensors) {
    const listed = r.tensors.slice(0, MAX_TENSORS_LISTED).map((t) => `${t.name} ${t.dtype} [${t.shape.join(', ')}]`);
    row('tensors', `${r.tensors.length}${listed.length ? `: ${listed.join('; ')}` : ''}${r.tensors.length > MAX_TENSORS_LISTED ? '; ...' : ''}`);
  }
  if (r.lambdaLayers?.length) row('lambda', r.lambdaLayers.join(', '));
  if (r.findings.length === 0) {
    lines.push('  no findings');
  } else {
    lines.push('  findings');
    for (const f of r.findings) lines.push(`    ${SEVERITY_WORD[f.severity].padEnd(8)} ${ruleLabel(f)}: ${f.message}`);
  }
  return lines.join('\n') + '\n';
}
