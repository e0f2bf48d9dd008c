// Tensor encodings llama.cpp reads: F32, F16 and Q8_0 (blocks of 32 weights: one f16 scale, 32 int8 values).
export const GGML_TYPE = { F32: 0, F16: 1, Q8_0: 8 } as const;
export type TensorEncoding = 'F32' | 'F16' | 'Q8_0';

export const Q8_0_BLOCK = 32;
const Q8_0_BLOCK_BYTES = 2 + Q8_0_BLOCK;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits of a number, rounded to nearest even. */
export function toHalfBits(value: number): number {
  f32[0] = value;
  const x = u32[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa rounds into the exponent, which is the correct result.
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

export function fromHalfBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

export function encodedByteLength(encoding: TensorEncoding, elements: number): number {
  switch (encoding) {
    case 'F32':
      return elements * 4;
    case 'F16':
      return elements * 2;
    case 'Q8_0':
      return (elements / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES;
  }
}

export function encodeTensor(encoding: TensorEncoding, values: Float32Array): Buffer {
  if (encoding === 'F32') return Buffer.from(Float32Array.from(values).buffer);
  if (encoding === 'F16') {
    const halves = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) halves[i] = toHalfBits(values[i] as number);
    return Buffer.from(halves.buffer);
  }
  return quantizeQ8_0(values);
}

/** Q8_0 as ggml defines it: scale d = max|x| / 127 stored as f16, q = round(x / d). */
function quantizeQ8_0(values: Float32Array): Buffer {
  if (values.length % Q8_0_BLOCK !== 0) {
    throw new Error(`Q8_0 needs a multiple of ${Q8_0_BLOCK} values per tensor, got ${values.length}`);
  }
  const out = new ArrayBuffer(encodedByteLength('Q8_0', values.length));
  const view = new DataView(out);
  const quants = new Int8Array(out);
  for (let block = 0; block * Q8_0_BLOCK < values.length; block++) {
    const base = block * Q8_0_BLOCK;
    let amax = 0;
    for (let i = 0; i < Q8_0_BLOCK; i++) amax = Math.max(amax, Math.abs(values[base + i] as number));
    const scale = amax / 127;
    const inverse = scale ? 1 / scale : 0;
    const at = block * Q8_0_BLOCK_BYTES;
    view.setUint16(at, toHalfBits(scale), true);
    for (let i = 0; i < Q8_0_BLOCK; i++) quants[at + 2 + i] = Math.round((values[base + i] as number) * inverse);
  }
  return Buffer.from(out);
}

/** Values as llama.cpp will see them after decoding (used to compute exact acceptance from the file's tables). */
export function decodeTensor(encoding: TensorEncoding, bytes: Buffer, elements: number): Float32Array {
  const values = new Float32Array(elements);
  if (encoding === 'F32') {
    for (let i = 0; i < elements; i++) values[i] = bytes.readFloatLE(i * 4);
  } else if (encoding === 'F16') {
    for (let i = 0; i < elements; i++) values[i] = fromHalfBits(bytes.readUInt16LE(i * 2));
  } else {
    for (let block = 0; block * Q8_0_BLOCK < elements; block++) {
      const at = block * Q8_0_BLOCK_BYTES;
      const scale = fromHalfBits(bytes.readUInt16LE(at));
      for (let i = 0; i < Q8_0_BLOCK; i++) values[block * Q8_0_BLOCK + i] = scale * bytes.readInt8(at + 2 + i);
    }
  }
  return values;
}
