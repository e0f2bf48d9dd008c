// `make demo`, last step: one prompt through a drafter with the official openai client, then the answer, the
// goodput this request got, and what the drafter counted while serving it (from its /metrics, before and after).
// Usage: node hack/demo-request.ts <drafter base URL> <prompt> [max tokens] [predicted goodput, tokens/s]
import OpenAI from 'openai';

const [baseUrl, prompt, maxTokensText, predictedText] = process.argv.slice(2);
if (!baseUrl || !prompt) {
  process.stderr.write('usage: node hack/demo-request.ts <drafter base URL> <prompt> [max tokens]\n');
  process.exit(2);
}
const maxTokens = Number(maxTokensText ?? '64');

/** The drafter's counters (sums over label sets), e.g. configspec_drafter_accepted_tokens_total. */
async function counters(): Promise<Map<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(configspec_drafter_[a-z_]+?)(?:\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (match) values.set(match[1]!, (values.get(match[1]!) ?? 0) + Number(match[2]));
  }
  return values;
}

// A drafter that was just rolled out (a new selection) may still be loading its model.
for (let waited = 0; ; waited += 1) {
  const ready = await fetch(`${baseUrl}/readyz`).then(
    (response) => response.ok,
    () => false,
  );
  if (ready) break;
  if (waited >= 120) throw new Error(`the drafter at ${baseUrl} is not ready after 120 s`);
  await new Promise((resolve) => setTimeout(resolve, 1000));
}

const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'not-needed', maxRetries: 0 });
const models = await client.models.list();
const model = models.data[0]?.id ?? 'draft';
const before = await counters();
const started = performance.now();
const completion = await client.completions.create({ model, prompt, max_tokens: maxTokens, temperature: 0 });
const seconds = (performance.now() - started) / 1000;
const after = await counters();
const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);

const tokens = completion.usage?.completion_tokens ?? 0;
const drafted = delta('configspec_drafter_drafted_tokens_total');
const accepted = delta('configspec_drafter_accepted_tokens_total');
const rounds = delta('configspec_drafter_rounds_total');
const lines = [
  `model (drafter):    ${model}`,
  `prompt:             ${JSON.stringify(prompt)}`,
  `answer:             ${JSON.stringify(completion.choices[0]?.text ?? '')}`,
  `tokens generated:   ${tokens} in ${seconds.toFixed(3)} s (wall clock at the client)`,
  `goodput:            ${(tokens / seconds).toFixed(1)} tokens/s` +
    (predictedText ? ` (the cost model predicted ${Number(predictedText).toFixed(1)} for this class)` : ''),
  `speculation:        K=${after.get('configspec_drafter_speculation_length') ?? '?'}, ${rounds} rounds, ` +
    `${accepted} of ${drafted} drafted tokens accepted` +
    (drafted > 0 ? ` (${((100 * accepted) / drafted).toFixed(0)} %)` : ''),
];
process.stdout.write(`${lines.join('\n')}\n`);
