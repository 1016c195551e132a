/**
 * Writes the chosen report formats into a folder. Each file is written to a temporary
 * name beside it and renamed into place, so a reader (the extension watching the folder,
 * a CI upload step) never sees a half-written report, and a failed run leaves the previous
 * report intact.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { escapeJsonText } from './escape';
import { toHtml } from './html';
import { toJson } from './json';
import type { AuditReport } from './schema';
import { toSarif } from './sarif';
import { toText } from './text';

export const REPORT_FORMATS = ['json', 'sarif', 'html', 'text'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const REPORT_FILE_NAMES: Record<ReportFormat, string> = {
  json: 'report.json',
  sarif: 'report.sarif',
  html: 'report.html',
  text: 'report.txt',
};

export function renderReport(report: AuditReport, format: ReportFormat): string {
  switch (format) {
    case 'json':
      return toJson(report);
    case 'sarif':
      return `${escapeJsonText(JSON.stringify(toSarif(report), null, 2))}\n`;
    case 'html':
      return toHtml(report);
    case 'text':
      return toText(report);
  }
}

/** Returns the written paths in the order of `formats` (duplicates written once). */
export async function writeReports(report: AuditReport, outDir: string, formats: readonly ReportFormat[]): Promise<string[]> {
  const unique = [...new Set(formats)];
  for (const f of unique) {
    if (!(REPORT_FORMATS as readonly string[]).includes(f)) throw new Error(`unknown report format "${f}"`);
  }
  // Render everything first: a renderer that throws must not leave some formats new and others old.
  const rendered = unique.map((format) => ({ file: path.join(outDir, REPORT_FILE_NAMES[format]), text: renderReport(report, format) }));
  await mkdir(outDir, { recursive: true });
  for (const { file, text } of rendered) await writeFileAtomic(file, text);
  return rendered.map((r) => r.file);
}

/** The hidden temporary a report file is written under before it is renamed into place. */
export function reportTempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const temp = reportTempName(file);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(text, 'utf8');
      // Flush before the rename so a crash cannot leave a renamed but empty file.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
