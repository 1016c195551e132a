/**
 * The user's default policy (setting modelPrivacy.defaultPolicy) written into a proposed
 * manifest, replacing the engine's built-in one, so detected models are judged by it.
 */
import type { EngineSettings } from '../shared/protocol';

export function withDefaultPolicy(proposalText: string, policy: EngineSettings['defaultPolicy']): string {
  const manifest = JSON.parse(proposalText) as { audits?: Record<string, unknown>[] };
  for (const audit of manifest.audits ?? []) {
    audit['policy'] = {
      rules: [
        { metric: 'tprAtFpr', fpr: policy.fpr, max: policy.maxTprAtFpr, severity: 'high' },
        { metric: 'auc', max: policy.maxAuc, severity: 'medium' },
      ],
    };
  }
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
