/**
 * The order in which a shadow sees its training records: each epoch a fresh seeded
 * permutation, cut into consecutive minibatches of `batchSize` (the last one smaller).
 * Both trainers (stacked and per-model) follow this plan, which is what makes them
 * comparable step for step and the result independent of worker count and stacking.
 */
import { deriveSeed, makeRandom, permutation } from './random';

export class BatchPlan {
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  private epochOrder: Int32Array | undefined;
  private orderEpoch = -1;

  constructor(
    /** Record indices of this shadow's training set. */
    readonly members: Int32Array,
    readonly batchSize: number,
    readonly epochs: number,
    private readonly seed: number,
    private readonly shadow: number,
  ) {
    this.stepsPerEpoch = Math.ceil(members.length / batchSize);
    this.totalSteps = this.stepsPerEpoch * epochs;
  }

  /** Record indices of global step `step` (0-based), or undefined after the last step. */
  batch(step: number): Int32Array | undefined {
    if (step >= this.totalSteps) return undefined;
    const epoch = Math.floor(step / this.stepsPerEpoch);
    if (epoch !== this.orderEpoch) {
      const random = makeRandom(deriveSeed(this.seed, 'epoch', this.shadow, epoch));
      const order = permutation(this.members.length, random);
      for (let i = 0; i < order.length; i++) order[i] = this.members[order[i]];
      this.epochOrder = order;
      this.orderEpoch = epoch;
    }
    const start = (step - epoch * this.stepsPerEpoch) * this.batchSize;
    return (this.epochOrder as Int32Array).subarray(start, Math.min(start + this.batchSize, this.members.length));
  }

  /** Training samples processed over all epochs. */
  get totalSamples(): number {
    return this.members.length * this.epochs;
  }
}
