export { inspectArtifact } from './inspect-artifact';
export { inspectToText } from './render-text';
export { inspectExitCode, INSPECT_EXIT } from './exit-code';
export type { InspectResult, ArtifactKind } from './types';
