/** The audit manifest: parsing with ranges, validation, discovery and proposals. */
export type { AuditSpec, JsonPath, Manifest, ManifestProblem, PolicyMetric, PolicyRule, PrivacyClaim, ShadowSpec } from './types';
export { parseManifest, type ParseManifestOptions, type ParseManifestResult } from './parse';
export { ManifestRanges, offsetToTextRange } from './ranges';
export { DEFAULT_POLICY, DEFAULT_RULE_SEVERITY, DEFAULT_SHADOW, DEFAULT_REFERENCE_SHADOW_COUNT, MANIFEST_FILE_NAME } from './defaults';
export { MANIFEST_SCHEMA } from './schema-validation';
export { findManifests, searchManifests, MANIFEST_SEARCH_DEPTH } from './discovery';
export { proposeManifest, type ManifestProposal } from './propose';
