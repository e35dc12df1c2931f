import { describe, expect, it } from 'vitest';
import { cluster } from '../inject/testing.ts';
import type { Admitted } from './admit.ts';
import { allowed } from './review.ts';
import { type DecisionInputs, templateAnswers } from './template-answers.ts';

const inputs = (over: Partial<DecisionInputs> = {}): DecisionInputs => ({
  namespace: 'shop',
  workloadAnnotations: { 'logward.io/inject': 'true' },
  namespaceAnnotations: {},
  cluster,
  ...over,
});

function counting() {
  let calls = 0;
  const compute = (): Admitted => {
    calls += 1;
    return { verdict: allowed(), outcome: 'injected', notes: [`decision ${calls}`] };
  };
  return { compute, calls: () => calls };
}

describe("template answers: a pod template's replicas decided once", () => {
  it('answers the same frozen pod with equal inputs from memory, each caller with its own copy', () => {
    const answers = templateAnswers();
    const pod = Object.freeze({ metadata: Object.freeze({ generateName: 'web-' }) });
    const { compute, calls } = counting();
    const first = answers.answer(pod, inputs(), compute);
    // Equal, not the same objects: the owner lookup and the namespace cache return new ones.
    const second = answers.answer(
      pod,
      inputs({ workloadAnnotations: { 'logward.io/inject': 'true' } }),
      compute,
    );
    expect(calls()).toBe(1);
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
    second.ownerLookupError = new Error('only this review');
    expect(answers.answer(pod, inputs(), compute).ownerLookupError).toBeUndefined();
  });

  it.each<[string, Partial<DecisionInputs>]>([
    [
      'the workload annotations',
      { workloadAnnotations: { 'logward.io/inject': 'true', 'logward.io/max-files': '3' } },
    ],
    ['the Namespace annotations', { namespaceAnnotations: { 'logward.io/size-limit': '2Gi' } }],
    ['a Namespace that could not be read', { namespaceAnnotations: undefined }],
    ['the namespace', { namespace: 'other' }],
    [
      'the sidecar mode the cluster supports',
      { cluster: { ...cluster, mode: cluster.mode === 'native' ? 'classic' : 'native' } },
    ],
    ['the cluster defaults', { cluster: { ...cluster, defaults: { 'logward.io/max-files': '2' } } }],
  ])('decides again when %s change', (_, changed) => {
    const answers = templateAnswers();
    const pod = Object.freeze({});
    const { compute, calls } = counting();
    answers.answer(pod, inputs(), compute);
    answers.answer(pod, inputs(changed), compute);
    expect(calls()).toBe(2);
    // Both answers stay known: replicas created while a Namespace annotation changes go both ways.
    answers.answer(pod, inputs(), compute);
    answers.answer(pod, inputs(changed), compute);
    expect(calls()).toBe(2);
  });

  it('never remembers for a pod that is not frozen, which its caller could still change', () => {
    const answers = templateAnswers();
    const pod = { metadata: { generateName: 'web-' } };
    const { compute, calls } = counting();
    answers.answer(pod, inputs(), compute);
    answers.answer(pod, inputs(), compute);
    expect(calls()).toBe(2);
  });
});
