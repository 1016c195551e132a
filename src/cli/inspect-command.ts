/**
 * `privacy-lint inspect PATH`: what an artifact is (format, input shape, classes,
 * parameters, records) and whether it is safe to load. Pickle-based files are scanned
 * opcode by opcode and never loaded. Exit codes: see engine/inspect/exit-code.ts.
 */
import { Option, type Command } from 'commander';
import { inspectArtifact, inspectExitCode, inspectToText } from '../engine/inspect';
import { escapeJsonText, guardWorkflowCommands, sanitizeStrings } from '../engine/report/escape';

export function registerInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description('format, input shape, classes, parameter count and safety findings of a model, dataset, pickle or safetensors file (pickles are scanned, never loaded)')
    .argument('<path>', 'model, dataset, checkpoint or pickle file, or a model/image folder')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'text']).default('text'))
    .addHelpText('after', '\nExit codes: 0 safe as far as the scan can tell, 1 an error-level safety finding (e.g. a pickle importing os.system), 2 unreadable input.')
    .action(async (target: string, opts: { format: 'json' | 'text' }) => {
      const result = await inspectArtifact(target);
      // File names and findings come from the inspected files: escaped (report/escape.ts).
      process.stdout.write(opts.format === 'json' ? `${escapeJsonText(JSON.stringify(result, null, 2))}\n` : guardWorkflowCommands(inspectToText(sanitizeStrings(result))));
      process.exitCode = inspectExitCode(result);
    });
}
