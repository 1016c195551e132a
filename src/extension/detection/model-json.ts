/**
 * Whether a model.json is a TensorFlow.js model. The same test as the engine's
 * (modelTopology and weightsManifest at the top level), made on text the extension read
 * through workspace.fs, so remote and virtual workspaces work too.
 */
export type TfjsModelKind = 'layers' | 'graph';

export function tfjsModelKind(text: string): TfjsModelKind | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const record = json as Record<string, unknown>;
  if (!('modelTopology' in record) || !('weightsManifest' in record)) return undefined;
  return record.format === 'graph-model' ? 'graph' : 'layers';
}
