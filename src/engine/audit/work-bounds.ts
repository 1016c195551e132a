/**
 * Bounds on the work one audit may ask for, checked as soon as each dataset is loaded:
 * records per dataset, and the shadow training the manifest's settings multiply out to
 * (records x shadow.count x shadow.epochs). Each is an InputError on the dataset's key
 * that says what to lower.
 */
import type { Dataset } from '../artifacts/dataset';
import { needsShadowModels } from '../attacks/catalog';
import { InputError } from '../errors';
import type { AuditSpec } from '../manifest';

/** Records in one dataset: far above the audits this tool is built for (Fashion-MNIST: 60,000). */
export const MAX_DATASET_RECORDS = 10_000_000;

/**
 * Shadow training, in record-epochs: LiRA's own CIFAR-10 setup (256 shadows x 100 epochs x
 * 50,000 records = 1.28e9) fits; the Fashion-MNIST example uses 1.4e7.
 */
export const MAX_SHADOW_RECORD_EPOCHS = 5_000_000_000;

export function checkDatasetWork(spec: AuditSpec, role: string, data: Dataset): void {
  if (data.count > MAX_DATASET_RECORDS) {
    throw new InputError(`${role} has ${data.count.toLocaleString('en-US')} records; an audit reads at most ${MAX_DATASET_RECORDS.toLocaleString('en-US')} per dataset (sample them)`, { file: data.source });
  }
  // Shadow models train on the population (reference) data.
  if (role !== 'population' || !spec.attacks.some(needsShadowModels)) return;
  const work = data.count * spec.shadow.count * spec.shadow.epochs;
  if (work > MAX_SHADOW_RECORD_EPOCHS) {
    throw new InputError(
      `shadow training would take ${data.count.toLocaleString('en-US')} population records x ${spec.shadow.count} shadow models x ${spec.shadow.epochs} epochs = ${work.toExponential(2)} record-epochs; at most ${MAX_SHADOW_RECORD_EPOCHS.toExponential(1)} per audit: lower shadow.count or shadow.epochs, or sample the population`,
      { file: data.source },
    );
  }
}
