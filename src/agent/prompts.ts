// The built-in prompt set for alignment profiling and tests: short English word sequences, deterministic from
// a seed, with a few characters outside the vocabulary's word pieces so byte-fallback tokens occur too.
import { readFileSync } from 'node:fs';
import { WORDS } from './gguf/vocabulary.js';
import { seededRandom } from './rng.js';

const ODD_CHARACTERS = ['!', '?', ',', 'Q', 'z', '7', 'é'];

export function builtinPrompts(count = 64, seed = 42): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const length = 2 + Math.floor(random() * 10);
    const words = Array.from({ length }, () => WORDS[Math.floor(random() * WORDS.length)] as string);
    if (random() < 0.3) words.push(ODD_CHARACTERS[Math.floor(random() * ODD_CHARACTERS.length)] as string);
    return words.join(' ');
  });
}

/** A prompt file: one prompt per line, or a JSON array of strings. Blank lines are skipped. */
export function readPromptFile(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const prompts = text.trimStart().startsWith('[')
    ? (JSON.parse(text) as unknown[]).map((p, i) => {
        if (typeof p !== 'string') throw new Error(`${path}: entry ${i} is not a string`);
        return p;
      })
    : text.split('\n').filter((line) => line.trim() !== '');
  if (prompts.length === 0) throw new Error(`${path} holds no prompts`);
  return prompts;
}
