// A SentencePiece-style ("llama") vocabulary: <unk>, <s>, </s>, the 256 byte-fallback tokens <0xNN>, the word
// boundary piece "▁" and every prefix of a set of "▁word" pieces. llama.cpp's SPM tokenizer merges adjacent
// symbols only when their concatenation is a token, so each word needs its prefixes to be reachable.
// Token strings must be unique: llama.cpp aborts on a duplicate.

export const UNK_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
const BYTE_BASE = 3;
export const SPACE = '\u2581';

export const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, BYTE: 6 } as const;

export const WORDS = (
  'the of and to in is it that was for on are as with his they at be this from have or by one had not but ' +
  'what all were when we there can an your which their said if do will each about how up out them then she ' +
  'many some so these would other into has more her two like him see time could no make than first been its ' +
  'who now people my made over did down only way find use may water long little very after words called just ' +
  'where most know get through back much before go good new write our used me man too any day same right look ' +
  'think also around another came come work three word must because does part even place well such here take ' +
  'why things help put years different away again off went old number great tell men say small every found ' +
  'still between name should home big give air line set own under read last never us left end along while ' +
  'might next sound below saw something thought both few those always looked show large often together asked'
).split(' ');

export interface Vocabulary {
  tokens: string[];
  scores: number[];
  types: number[];
  /** Ids of the "▁…" pieces: the states of the generated models' Markov chain. */
  wordPieceIds: number[];
}

/** Builds a vocabulary of exactly `size` tokens (at least 260). */
export function buildVocabulary(size: number): Vocabulary {
  if (size < BYTE_BASE + 256 + 2) throw new Error(`vocabulary size must be at least ${BYTE_BASE + 258}, got ${size}`);
  const tokens = ['<unk>', '<s>', '</s>'];
  const types: number[] = [TOKEN_TYPE.UNKNOWN, TOKEN_TYPE.CONTROL, TOKEN_TYPE.CONTROL];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TOKEN_TYPE.BYTE);
  }
  const pieces = new Set<string>([SPACE]);
  for (const word of WORDS) {
    const prefixes: string[] = [];
    for (let i = 1; i <= word.length; i++) {
      const piece = SPACE + word.slice(0, i);
      if (!pieces.has(piece)) prefixes.push(piece);
    }
    if (tokens.length + pieces.size + prefixes.length > size) continue;
    for (const piece of prefixes) pieces.add(piece);
  }
  // Fill any remaining slots with two-letter pieces so the size is exact.
  for (let a = 97; a <= 122 && tokens.length + pieces.size < size; a++) {
    for (let b = 97; b <= 122 && tokens.length + pieces.size < size; b++) {
      pieces.add(String.fromCharCode(a, b));
    }
  }
  const firstPieceId = tokens.length;
  const wordPieceIds: number[] = [];
  for (const piece of pieces) {
    if (piece.startsWith(SPACE) && piece.length > 1) wordPieceIds.push(tokens.length);
    tokens.push(piece);
    types.push(TOKEN_TYPE.NORMAL);
  }
  if (tokens.length !== size) throw new Error(`vocabulary came out at ${tokens.length} tokens, wanted ${size}`);
  // SPM merges the highest-scoring pair first; longer pieces score higher so whole words win.
  const scores = tokens.map((token, id) => (id < firstPieceId ? 0 : -1000 + [...token].length));
  return { tokens, scores, types, wordPieceIds };
}
