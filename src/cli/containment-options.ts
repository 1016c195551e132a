/** The CLI's containment flags (audit and sweep) as the engine's options. */
import * as path from 'node:path';
import type { Containment } from '../engine/audit/audit-target';

export interface CliContainment {
  workspaceRoot?: string;
  allowOutsideWorkspace?: boolean;
}

export function containmentOf(opts: CliContainment): Containment {
  return {
    ...(opts.workspaceRoot !== undefined ? { workspaceRoot: path.resolve(opts.workspaceRoot) } : {}),
    ...(opts.allowOutsideWorkspace === true ? { allowOutsideWorkspace: true } : {}),
  };
}
