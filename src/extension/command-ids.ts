/**
 * Command, view and context-key ids, in one place: package.json contributes the same
 * strings, and a unit test checks that the two lists agree.
 */
export const COMMANDS = {
  audit: 'modelPrivacy.audit',
  sweep: 'modelPrivacy.sweep',
  openReport: 'modelPrivacy.openReport',
  cancel: 'modelPrivacy.cancel',
  restartEngine: 'modelPrivacy.restartEngine',
  createManifest: 'modelPrivacy.createManifest',
  showLog: 'modelPrivacy.showLog',
  refreshTree: 'modelPrivacy.refreshTree',
} as const;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

export const VIEW_CONTAINER_ID = 'modelPrivacy';
export const TREE_VIEW_ID = 'modelPrivacy.findings';

export const CONTEXT_KEYS = {
  /** Some model file (any format) was detected. */
  hasModels: 'modelPrivacy.hasModels',
  hasManifests: 'modelPrivacy.hasManifests',
  /** The first detection pass finished (welcome views wait for it). */
  detectionDone: 'modelPrivacy.detectionDone',
  isAuditing: 'modelPrivacy.isAuditing',
  engineRunning: 'modelPrivacy.engineRunning',
  /** Paths of every detected model file, for `resourcePath in modelPrivacy.modelFiles`. */
  modelFiles: 'modelPrivacy.modelFiles',
  /** Paths of the model files the engine can audit today (TF.js model.json). */
  auditableFiles: 'modelPrivacy.auditableFiles',
  /** Folders holding an auditable model. */
  modelFolders: 'modelPrivacy.modelFolders',
} as const;

/** VS Code's own command that opens the Workspace Trust editor. */
export const MANAGE_TRUST_COMMAND = 'workbench.trust.manage';
