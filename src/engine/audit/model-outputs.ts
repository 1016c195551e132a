/**
 * Loads an audit's model and datasets, checks them against each other, and computes the
 * model's class probabilities on every record: the only part of an audit that runs the model.
 */
import type { Dataset, DatasetSpec } from '../artifacts/dataset';
import { loadDataset, checkDatasetForModel } from '../artifacts/datasets';
import { loadModel, type Classifier } from '../artifacts/models';
import type { AuditSpec } from '../manifest';
import { throwIfCancelled } from './progress';

export interface GroupOutputs {
  dataset: Dataset;
  probabilities: Float32Array;
}

export interface ModelOutputs {
  model: Classifier;
  members: GroupOutputs;
  nonMembers: GroupOutputs;
  population?: GroupOutputs;
}

export async function computeModelOutputs(spec: AuditSpec, signal?: AbortSignal, onStage?: (stage: string) => void): Promise<ModelOutputs> {
  onStage?.('loading model');
  const model = await loadModel(spec.model);
  try {
    // checkDatasetForModel takes the model's full input shape, batch dimension first.
    const info = { inputShape: [null, ...model.inputShape], numClasses: model.numClasses };
    const load = async (role: string, ds: DatasetSpec): Promise<Dataset> => {
      onStage?.(`loading ${role}`);
      const data = await loadDataset(ds);
      const featureShape = checkDatasetForModel(data, info, role);
      return featureShape ? { ...data, featureShape } : data;
    };
    const members = await load('members', spec.members);
    const nonMembers = await load('nonMembers', spec.nonMembers);
    const population = spec.population ? await load('population', spec.population) : undefined;
    throwIfCancelled(signal);
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
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
