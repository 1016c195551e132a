/**
 * Loads an audit's model and datasets, checks them against each other, and computes the
 * model's class probabilities on every record: the only part of an audit that runs the model.
 */
import type { Dataset, DatasetSpec } from '../artifacts/dataset';
import { loadDataset, checkDatasetForModel } from '../artifacts/datasets';
import { loadModel } from '../artifacts/models';
import type { GroupOutputs, ModelOutputs as BaseModelOutputs } from '../artifacts/model-outputs';
import type { AuditSpec } from '../manifest';
import { throwIfCancelled } from './progress';
import { arrangeLayouts, type LayoutChoice } from './image-layout';
import { checkDatasetWork } from './work-bounds';

export type { GroupOutputs } from '../artifacts/model-outputs';

export interface ModelOutputs extends BaseModelOutputs {
  /** How image records were stored and rearranged for the model (absent: no layout question). */
  layout?: LayoutChoice;
}

export async function computeModelOutputs(spec: AuditSpec, signal?: AbortSignal, onStage?: (stage: string) => void): Promise<ModelOutputs> {
  onStage?.('loading model');
  const model = await loadModel(spec.model);
  try {
    // checkDatasetForModel takes the model's full input shape, batch dimension first.
    const info = { inputShape: [null, ...model.inputShape], numClasses: model.numClasses };
    const load = async (role: string, ds: DatasetSpec): Promise<{ data: Dataset; stored: number[] }> => {
      onStage?.(`loading ${role}`);
      const data = await loadDataset(ds);
      checkDatasetWork(spec, role, data);
      const featureShape = checkDatasetForModel(data, info, role);
      return { data: featureShape ? { ...data, featureShape } : data, stored: data.featureShape };
    };
    const loaded = [await load('members', spec.members), await load('nonMembers', spec.nonMembers)];
    if (spec.population) loaded.push(await load('population', spec.population));
    throwIfCancelled(signal);
    // Image records are transposed into the model's layout, not just reshaped.
    const { datasets: [members, nonMembers, population], choice: layout } = await arrangeLayouts(model, spec.members.layout, loaded, loaded[0].data, signal);
    const predict = async (role: string, ds: Dataset): Promise<GroupOutputs> => {
      onStage?.(`querying the model on ${role}`);
      const probabilities = await model.predictProbabilities(ds.features, ds.featureShape, ds.count, { signal });
      return { dataset: ds, probabilities };
    };
    return {
      model,
      members: await predict('members', members),
      nonMembers: await predict('non-members', nonMembers),
      population: population ? await predict('population', population) : undefined,
      ...(layout ? { layout } : {}),
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
