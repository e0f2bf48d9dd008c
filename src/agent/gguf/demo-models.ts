// The set of generated models the demo and `configspec gen-models` use: one target and drafts at several
// acceptance rates and encodings, all sharing the target's Markov chain and vocabulary.
import { buildTestModel, chainAcceptance, draftSpec, targetSpec, type TestModelSpec } from './bigram-model.js';
import type { TensorEncoding } from './encoding.js';
import { ensureTestModel } from './model-cache.js';

export interface GeneratedModel {
  role: 'target' | 'draft';
  path: string;
  encoding: TensorEncoding;
  /** Drafts only: the greedy acceptance the draft has against the target along the chain, computed exactly. */
  acceptance?: number;
  spec: TestModelSpec;
}

export interface DemoModelOptions {
  dir: string;
  seed: number;
  acceptances: number[];
  encodings: Exclude<TensorEncoding, 'F32'>[];
  targetEncoding: Exclude<TensorEncoding, 'F32'>;
}

export function generateDemoModels(options: DemoModelOptions): GeneratedModel[] {
  const target = targetSpec({ chainSeed: options.seed, encoding: options.targetEncoding });
  const builtTarget = buildTestModel(target);
  const models: GeneratedModel[] = [
    { role: 'target', path: ensureTestModel(target, options.dir), encoding: target.encoding, spec: target },
  ];
  for (const acceptance of options.acceptances) {
    for (const encoding of options.encodings) {
      const spec = draftSpec(target, acceptance, {
        encoding,
        seed: options.seed * 1000 + Math.round(acceptance * 100),
      });
      models.push({
        role: 'draft',
        path: ensureTestModel(spec, options.dir),
        encoding,
        acceptance: chainAcceptance(builtTarget, buildTestModel(spec)),
        spec,
      });
    }
  }
  return models;
}
