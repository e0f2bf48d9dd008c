// Serialises a GGUF v3 file: header, typed metadata, tensor descriptors, then tensor data at aligned offsets.
// Spec: ggml docs/gguf.md. Dimensions are listed fastest-varying first (ggml's ne0, ne1, …).
import { GGML_TYPE, type TensorEncoding } from './encoding.js';

export const GGUF_ALIGNMENT = 32;

const VALUE_TYPE = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9 } as const;

export type MetadataValue =
  | { type: 'u32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: readonly string[] }
  | { type: 'f32[]'; value: readonly number[] }
  | { type: 'i32[]'; value: readonly number[] };

export interface GgufTensor {
  name: string;
  /** ne0 first. */
  dims: readonly number[];
  encoding: TensorEncoding;
  data: Buffer;
}

class ByteSink {
  private readonly chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }
  u32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    this.push(b);
  }
  i32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(value);
    this.push(b);
  }
  u64(value: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(value));
    this.push(b);
  }
  f32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    this.push(b);
  }
  string(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.u64(bytes.length);
    this.push(bytes);
  }
  padTo(alignment: number): void {
    const pad = (alignment - (this.length % alignment)) % alignment;
    if (pad) this.push(Buffer.alloc(pad));
  }
  concat(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

function writeValue(sink: ByteSink, entry: MetadataValue): void {
  switch (entry.type) {
    case 'u32':
      sink.u32(VALUE_TYPE.UINT32);
      sink.u32(entry.value);
      return;
    case 'f32':
      sink.u32(VALUE_TYPE.FLOAT32);
      sink.f32(entry.value);
      return;
    case 'bool':
      sink.u32(VALUE_TYPE.BOOL);
      sink.push(Buffer.from([entry.value ? 1 : 0]));
      return;
    case 'string':
      sink.u32(VALUE_TYPE.STRING);
      sink.string(entry.value);
      return;
    case 'string[]':
      sink.u32(VALUE_TYPE.ARRAY);
      sink.u32(VALUE_TYPE.STRING);
      sink.u64(entry.value.length);
      for (const s of entry.value) sink.string(s);
      return;
    case 'f32[]':
      sink.u32(VALUE_TYPE.ARRAY);
      sink.u32(VALUE_TYPE.FLOAT32);
      sink.u64(entry.value.length);
      for (const v of entry.value) sink.f32(v);
      return;
    case 'i32[]':
      sink.u32(VALUE_TYPE.ARRAY);
      sink.u32(VALUE_TYPE.INT32);
      sink.u64(entry.value.length);
      for (const v of entry.value) sink.i32(v);
      return;
  }
}

export function serializeGguf(metadata: ReadonlyMap<string, MetadataValue>, tensors: readonly GgufTensor[]): Buffer {
  const names = new Set<string>();
  for (const tensor of tensors) {
    if (names.has(tensor.name)) throw new Error(`duplicate tensor name ${tensor.name}`);
    names.add(tensor.name);
  }
  const sink = new ByteSink();
  sink.push(Buffer.from('GGUF', 'latin1'));
  sink.u32(3);
  sink.u64(tensors.length);
  sink.u64(metadata.size + (metadata.has('general.alignment') ? 0 : 1));
  for (const [key, value] of metadata) {
    sink.string(key);
    writeValue(sink, value);
  }
  if (!metadata.has('general.alignment')) {
    sink.string('general.alignment');
    writeValue(sink, { type: 'u32', value: GGUF_ALIGNMENT });
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const tensor of tensors) {
    offsets.push(offset);
    offset += tensor.data.length;
    offset += (GGUF_ALIGNMENT - (offset % GGUF_ALIGNMENT)) % GGUF_ALIGNMENT;
  }
  tensors.forEach((tensor, index) => {
    sink.string(tensor.name);
    sink.u32(tensor.dims.length);
    for (const dim of tensor.dims) sink.u64(dim);
    sink.u32(GGML_TYPE[tensor.encoding]);
    sink.u64(offsets[index] as number);
  });
  sink.padTo(GGUF_ALIGNMENT);
  for (const tensor of tensors) {
    sink.push(tensor.data);
    sink.padTo(GGUF_ALIGNMENT);
  }
  return sink.concat();
}
