/**
 * Finding kinds. One id per kind, stable across versions: SARIF rule ids, diagnostic
 * codes and documentation anchors all use them. Shared by engine, server and extension.
 */
export type Severity = 'high' | 'medium' | 'low' | 'info';

export interface RuleInfo {
  id: string;
  name: string;
  /** One sentence, shown in SARIF and hovers. */
  short: string;
  /** Plain-words explanation and what to do. */
  help: string;
  defaultSeverity: Severity;
}

export const RULES = {
  'membership-risk': {
    id: 'MPL001', name: 'membership-risk', defaultSeverity: 'high',
    short: 'A membership-inference attack succeeds above the policy threshold.',
    help: 'An attacker who can query the model can tell, better than the policy allows, whether a record was in its training data. Look at TPR at low FPR: it counts the records that can be identified with confidence. Reduce overfitting (regularisation, early stopping), train with DP-SGD, or release labels only.',
  },
  'unmeasurable-fpr': {
    id: 'MPL002', name: 'unmeasurable-fpr', defaultSeverity: 'low',
    short: 'Too few non-members to measure the requested false-positive rate.',
    help: 'With n non-members the smallest non-zero FPR that can be observed is 1/n, so a claim about TPR at a lower FPR is not supported by the data. Add non-member records (at least 1/FPR, better 10/FPR).',
  },
  'membership-imbalance': {
    id: 'MPL003', name: 'membership-imbalance', defaultSeverity: 'low',
    short: 'Members and non-members differ greatly in number or class mix.',
    help: 'AUC and TPR@FPR are computed per group, but PPV and the attacker\'s prior depend on the mix, and a class mix that differs between the groups lets an attack succeed from the label alone. Sample non-members from the same distribution and in similar numbers.',
  },
  'member-overlap': {
    id: 'MPL004', name: 'member-overlap', defaultSeverity: 'medium',
    short: 'Some records appear both as members and as non-members.',
    help: 'A record listed on both sides makes the ground truth contradictory and biases every metric towards chance. Remove the duplicates from the non-member file.',
  },
  'generalization-gap': {
    id: 'MPL005', name: 'generalization-gap', defaultSeverity: 'medium',
    short: 'The model is much more accurate on its training records than on unseen ones.',
    help: 'A large train/test accuracy gap is the main driver of membership leakage (Yeom et al.). Regularise, stop earlier, or add data.',
  },
  'vulnerable-class': {
    id: 'MPL006', name: 'vulnerable-class', defaultSeverity: 'low',
    short: 'Records of some classes are much easier to identify than the rest.',
    help: 'Attacks succeed most on small or atypical subpopulations. The per-class table in the report shows which; consider more data for those classes or class-aware regularisation.',
  },
  'epsilon-claim': {
    id: 'MPL007', name: 'epsilon-claim', defaultSeverity: 'high',
    short: 'The claimed differential-privacy epsilon is below the empirical lower bound.',
    help: 'An attack shows, with 95% confidence, an epsilon larger than the one claimed, so the claim cannot hold for this training run. The bound is a one-run audit (Steinke et al. 2023): the attack\'s threshold is chosen on a random half of the members and non-members and the bound is computed on the other half (choosing it on the same records would over-claim), simultaneously over the audit\'s attacks; it assumes the members were chosen at random from the records, and it bounds this one run, not the training algorithm in general. Check the DP accounting and the training code.',
  },
  'ensemble-leakage': {
    id: 'MPL008', name: 'ensemble-leakage', defaultSeverity: 'medium',
    short: 'Averaging the ensemble leaks more than its members do.',
    help: 'Deep ensembles gain accuracy and membership leakage together. Train members on disjoint data (the ensemble defense) or apply a defense to the averaged output.',
  },
  'unsafe-artifact': {
    id: 'MPL009', name: 'unsafe-artifact', defaultSeverity: 'high',
    short: 'The artifact can execute code when loaded (pickle-based).',
    help: 'Pickle files can import and call arbitrary functions while loading. The tool never loads them; convert the model to a safe format (safetensors, TF.js, ONNX, Keras without Lambda layers).',
  },
  'defense-recommendation': {
    id: 'MPL011', name: 'defense-recommendation', defaultSeverity: 'info',
    short: 'A defense evaluated on this model meets the policy at the smallest accuracy cost.',
    help: 'Among the defenses the manifest asks to evaluate, this one keeps every attack within the policy while losing the least accuracy, so it lies on the privacy-utility Pareto front (test accuracy against TPR at 0.1% FPR) of the settings within the policy. A setting that fails the policy on another metric (say AUC) may still beat it on the chart\'s two axes. The quick fix adds its configuration to the audit as "defense", so the next audit checks the defended model.',
  },
  'serialized-code': {
    id: 'MPL012', name: 'serialized-code', defaultSeverity: 'medium',
    short: 'The model contains serialised code (a Keras Lambda layer) that would run when loaded.',
    help: 'Keras Lambda layers store Python bytecode or source in the model file; loading them in Python runs that code. The tool never runs it and cannot rebuild the layer. Replace the Lambda with a built-in or registered custom layer.',
  },
  'unsupported-layer': {
    id: 'MPL013', name: 'unsupported-layer', defaultSeverity: 'medium',
    short: 'The model uses a layer or operator the engine cannot rebuild, so it cannot be audited as given.',
    help: 'The message names the layer. Export the model with built-in layers, or convert it to ONNX or a TF.js graph model, which are audited as black boxes from their outputs.',
  },
  'invalid-input': {
    id: 'MPL010', name: 'invalid-input', defaultSeverity: 'high',
    short: 'The manifest, a model or a dataset cannot be used as given.',
    help: 'The message names the file and position and what was expected. Fix the input and re-run the audit.',
  },
  'threshold-only-audit': {
    id: 'MPL014', name: 'threshold-only-audit', defaultSeverity: 'medium',
    short: 'The verdict rests on threshold attacks alone, which are near chance at low false-positive rates.',
    help: 'Threshold attacks need no reference data, but at low FPR they identify far fewer members than shadow-model attacks (LiRA, RMIA), so a low risk from them alone is not a measured low risk. Add population data (records from the same distribution that are neither members nor non-members) so the audit can train reference models and run RMIA and LiRA.',
  },
  'shadow-quality': {
    id: 'MPL015', name: 'shadow-quality', defaultSeverity: 'medium',
    short: 'The shadow (reference) models fit their data very differently from the target model.',
    help: 'Shadow-model attacks assume the reference models behave like the target: similar train and test accuracy. When the shadows are much less (or more) overfit than the target, the attack is likely understated. Use the target\'s own architecture and training settings (epochs, learning rate, batch size) for the shadows, and give them as much training data as the target had.',
  },
  'fallback-architecture': {
    id: 'MPL016', name: 'fallback-architecture', defaultSeverity: 'medium',
    short: 'Shadow models use a default architecture instead of the target\'s own, so shadow-model attacks are likely understated.',
    help: 'The engine could not rebuild the target\'s architecture (the message names the operator or layer), so its reference models use a default network. Reference models of a different architecture fit the data differently and calibrate the attack worse. Name a model file with the same architecture in "shadow": {"architecture": ...}, or export the model with supported operators.',
  },
  'accuracy-at-chance': {
    id: 'MPL017', name: 'accuracy-at-chance', defaultSeverity: 'high',
    short: 'The model is no more accurate on its own training records than guessing the majority class.',
    help: 'A trained model is nearly always far more accurate than the majority-class rate on the records it was trained on. Accuracy at or below it means the records are not what the model was trained on as given: wrong preprocessing (scaling, standardisation), a wrong label column, or a wrong image layout. The audit stops (exit code 2, no attack numbers) when the accuracy is consistent with chance and clearly below what a barely trained model, one right on a fifth of the records the majority guess gets wrong, would score on that many members (binomial test, p < 0.001); with too few members to tell, it is a medium finding and the audit continues.',
  },
  'swapped-membership': {
    id: 'MPL018', name: 'swapped-membership', defaultSeverity: 'high',
    short: 'Members and non-members look swapped: the model fits the non-members better than the members.',
    help: 'A model is more accurate, and has lower loss, on its training records. When the non-members are fitted clearly better (negative generalisation gap, attack AUC significantly below 0.5), the two files are most likely the wrong way round. Swap "members" and "nonMembers" in the manifest. The audit stops when the evidence is clear: non-member accuracy at least 2 points above member accuracy at z >= 3.29 (two-proportion test), or a loss-threshold AUC at least 0.02 below 0.5 at z <= -3.29 (Mann-Whitney normal approximation); weaker but significant evidence (z >= 2.33) is a medium finding.',
  },
  'feature-scale': {
    id: 'MPL019', name: 'feature-scale', defaultSeverity: 'medium',
    short: 'The features\' range does not match what the model\'s preprocessing implies.',
    help: 'Image models are usually trained on pixels scaled to [0, 1] or standardised; raw values up to 255 fed without "preprocess": {"scale": 1/255} (or mean/std) give the model inputs it never saw, and the attack numbers say nothing about the real model. Set "preprocess" to what the training code did. This is a finding, never a stop: a model may scale its own inputs (a Rescaling layer), which "preprocess": {"scale": 1} says. When the scaling is really missing and the model fails on the records, accuracy-at-chance or degenerate-model stops the audit.',
  },
  'degenerate-model': {
    id: 'MPL020', name: 'degenerate-model', defaultSeverity: 'high',
    short: 'The model predicts one class for almost every record.',
    help: 'A model that answers one class for nearly everything either was not trained, or is being fed inputs it was not trained on (preprocessing, layout). Attack numbers on it are meaningless, so the audit stops (exit code 2) when one class is predicted for at least 95% of the members and non-members (20 or more) while no class holds more than that share minus 15 points of their labels. Check the model file and the preprocessing.',
  },
  'image-layout': {
    id: 'MPL021', name: 'image-layout', defaultSeverity: 'info',
    short: 'The image layout (channels last or first) was chosen by the engine.',
    help: 'The records and the model\'s input fit both channels-last (NHWC) and channels-first (NCHW) layouts; the engine chose the one under which the model is accurate on its members and says which. Set "layout": "nhwc" or "nchw" in the audit to make the choice explicit. An explicit layout is checked too: when the model is at least 10 points less accurate on its members under it than under the other layout (z >= 3.29), the audit stops with a high finding on "layout".',
  },
  'unverified-artifact': {
    id: 'MPL022', name: 'unverified-artifact', defaultSeverity: 'high',
    short: 'The artifact could not be fully verified by the static scanner, so it is not known to be safe.',
    help: 'The scanner reached a limit (size, nesting, an opcode or container it does not model) before it could check every import the file would perform when loaded. Fail closed: treat the file as unsafe until it is converted to a safe format (safetensors, ONNX, TF.js) or checked by other means.',
  },
} as const satisfies Record<string, RuleInfo>;

export type RuleName = keyof typeof RULES;

export const SEVERITY_ORDER: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3 };

/**
 * Documentation of a rule, relative to the package root (shipped in the package); the
 * extension turns it into a file URI for code.target, SARIF into a relative helpUri.
 */
export function ruleDocPath(rule: RuleName): string {
  return `docs/rules.md#${rule}`;
}
