/**
 * How well the transparent complexity score separates the labelled prompts in
 * bench/complexity/labelled-prompts.jsonl (written for the purpose: short lookups, chit-chat and
 * mechanical edits labelled simple; design, proofs, debugging, multi-step and constrained tasks
 * labelled complex, including short complex ones and long simple ones).
 *
 *   node bench/complexity-separation.ts          the table for the shipped weights
 *   node bench/complexity-separation.ts --fit    also fits weights by logistic regression on the even
 *                                                lines and reports them on the odd (held-out) lines
 */
import { readFileSync } from 'node:fs';
import {
  complexityFeatures,
  complexityInputs,
  complexityWeights,
  scoreComplexity,
  scoreOf,
  type ComplexityFeatures,
} from '../src/stages/route/complexity.ts';

interface Labelled {
  readonly complex: boolean;
  readonly features: ComplexityFeatures;
}

type Weights = Record<keyof typeof complexityWeights, number>;

const lines = readFileSync(new URL('complexity/labelled-prompts.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '');
const set: Labelled[] = lines.map((line) => {
  const { label, prompt } = JSON.parse(line) as { label: 'simple' | 'complex'; prompt: string };
  const request = {
    model: 'x',
    stream: false,
    messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: prompt }] }],
  };
  return {
    complex: label === 'complex',
    features: complexityFeatures(request, Math.ceil(prompt.length / 4)),
  };
});

/** Area under the ROC curve: the chance a random complex prompt outscores a random simple one. */
function auc(items: readonly Labelled[], weights: Weights): number {
  const complex = items.filter((item) => item.complex).map((item) => scoreOf(item.features, weights));
  const simple = items.filter((item) => !item.complex).map((item) => scoreOf(item.features, weights));
  let wins = 0;
  for (const c of complex) for (const s of simple) wins += c > s ? 1 : c === s ? 0.5 : 0;
  return wins / (complex.length * simple.length);
}

function table(items: readonly Labelled[], weights: Weights): string[] {
  const rows = [
    '| threshold | simple routed strong | complex routed strong | accuracy |',
    '| --- | --- | --- | --- |',
  ];
  for (const threshold of [0.3, 0.4, 0.5, 0.6, 0.7]) {
    let simpleOver = 0;
    let complexOver = 0;
    let correct = 0;
    for (const item of items) {
      const strong = scoreOf(item.features, weights) >= threshold;
      if (strong && item.complex) complexOver += 1;
      if (strong && !item.complex) simpleOver += 1;
      if (strong === item.complex) correct += 1;
    }
    const simpleCount = items.filter((item) => !item.complex).length;
    const complexCount = items.length - simpleCount;
    const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(1)}%`;
    rows.push(
      `| ${threshold} | ${simpleOver}/${simpleCount} (${pct(simpleOver, simpleCount)}) | ${complexOver}/${complexCount} (${pct(complexOver, complexCount)}) | ${pct(correct, items.length)} |`,
    );
  }
  return rows;
}

/** Logistic regression by gradient descent (L2 0.01) on the saturated inputs. */
function fit(items: readonly Labelled[]): Weights {
  const names = Object.keys(complexityWeights) as (keyof Weights)[];
  const w = Object.fromEntries(names.map((name) => [name, 0])) as Weights;
  const xs = items.map((item) => ({ bias: 1, ...complexityInputs(item.features) }));
  for (let epoch = 0; epoch < 20000; epoch += 1) {
    const grad = Object.fromEntries(names.map((name) => [name, 0])) as Weights;
    items.forEach((item, index) => {
      const x = xs[index] as Weights;
      let z = 0;
      for (const name of names) z += w[name] * x[name];
      const error = 1 / (1 + Math.exp(-z)) - (item.complex ? 1 : 0);
      for (const name of names) grad[name] += error * x[name];
    });
    for (const name of names)
      w[name] -= 2 * (grad[name] / items.length + (name === 'bias' ? 0 : 0.002 * w[name]));
  }
  return Object.fromEntries(names.map((name) => [name, Math.round(w[name] * 10) / 10])) as Weights;
}

const simpleCount = set.filter((item) => !item.complex).length;
console.log(`${set.length} prompts: ${simpleCount} simple, ${set.length - simpleCount} complex`);
console.log(`shipped weights: ROC AUC ${auc(set, complexityWeights).toFixed(3)}`);
console.log(table(set, complexityWeights).join('\n'));
if (process.argv.includes('--fit')) {
  const train = set.filter((_, index) => index % 2 === 0);
  const heldOut = set.filter((_, index) => index % 2 === 1);
  const fitted = fit(train);
  console.log(`\nfitted on ${train.length} (even lines): ${JSON.stringify(fitted)}`);
  console.log(
    `held-out ${heldOut.length} (odd lines): ROC AUC ${auc(heldOut, fitted).toFixed(3)} (shipped: ${auc(heldOut, complexityWeights).toFixed(3)})`,
  );
  console.log(table(heldOut, fitted).join('\n'));
}

// The scorer's cost per request: every labelled prompt scored, repeated; the mean per request.
{
  const requests = lines.map((line) => {
    const { prompt } = JSON.parse(line) as { prompt: string };
    return {
      model: 'x',
      stream: false,
      messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: prompt }] }],
    };
  });
  const long = {
    model: 'x',
    stream: false,
    messages: [
      {
        role: 'user' as const,
        content: [{ type: 'text' as const, text: 'Explain why the cache must be exact. '.repeat(900) }],
      },
    ],
  };
  const time = (batch: readonly (typeof long)[], rounds: number): number => {
    for (const request of batch) scoreComplexity(request, 100); // warm up
    const started = process.hrtime.bigint();
    for (let round = 0; round < rounds; round += 1)
      for (const request of batch) scoreComplexity(request, 100);
    return Number(process.hrtime.bigint() - started) / 1000 / (rounds * batch.length);
  };
  console.log(
    `\nscorer cost: ${time(requests, 200).toFixed(2)} µs per request over the labelled prompts (${requests.length} prompts × 200), ${time([long], 200).toFixed(1)} µs for a 32 KB prompt (the scan bound)`,
  );
}
