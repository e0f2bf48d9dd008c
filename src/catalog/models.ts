// Built-in models: Qwen2.5 and Llama 3.x instruct models with GGUF sizes per quantisation. Sizes are the
// published file sizes where one was found (decimal GB as Hugging Face shows them), else computed from
// bits per weight; the source of each says which.
import type { Quantization } from '../api/types.js';
import type { CatalogFile, CatalogModel, FigureSource } from './types.js';

const QUANTIZE_TABLE = 'https://github.com/ggml-org/llama.cpp/blob/master/tools/quantize/quantize.cpp';

/**
 * Bits per weight of each GGUF type, from llama.cpp's quantize table for Llama-3-8B (8.03 B parameters):
 * Q4_K_M 4.58 GiB, Q5_K_M 5.33 GiB, Q8_0 7.96 GiB → 4.90, 5.70, 8.51 bits per weight; F16 is 16.
 */
export const BITS_PER_WEIGHT: Readonly<Record<Quantization, number>> = {
  Q4_K_M: 4.9,
  Q5_K_M: 5.7,
  Q8_0: 8.51,
  F16: 16,
};

const GB = 1e9;

function computedSize(parametersBillions: number, quantization: Quantization): number {
  return Math.round((parametersBillions * GB * BITS_PER_WEIGHT[quantization]) / 8);
}

function computed(parametersBillions: number, quantization: Quantization, crossCheck?: string): FigureSource {
  const bpw = BITS_PER_WEIGHT[quantization];
  return {
    kind: 'computed',
    url: QUANTIZE_TABLE,
    note:
      `Computed: ${parametersBillions} B parameters × ${bpw} bits per weight ÷ 8 ≈ ` +
      `${(computedSize(parametersBillions, quantization) / GB).toFixed(2)} GB (bits per weight from llama.cpp's ` +
      `quantize table for Llama-3-8B). No published file size was found in this session.` +
      (crossCheck ? ` Cross-check: ${crossCheck}` : ''),
  };
}

function published(url: string, note: string): FigureSource {
  return { kind: 'published', url, note };
}

const hf = (repo: string) => `https://huggingface.co/${repo}`;

const NOT_VERIFIED =
  'No digest or exact byte count was read from the source in this session, so sha256 and sizeBytes are left out; ' +
  'configspec fetch records the SHA-256 it computes on first download.';

/**
 * A file of bartowski's GGUF conversions on Hugging Face, named by that uploader's convention
 * <Base>-<QUANT>.gguf (F16 as -f16). `seen` says whether this session saw the name in a listing (the figure
 * sources above) or only follows the convention; `revision` pins the commit whose listing was seen.
 */
function bartowski(
  repo: string,
  base: string,
  quantization: Quantization,
  seen: string | undefined,
  revision?: string,
): CatalogFile {
  const suffix = quantization === 'F16' ? 'f16' : quantization;
  return {
    uri: `hf://bartowski/${repo}/${base}-${suffix}.gguf`,
    ...(revision ? { revision } : {}),
    note:
      (seen
        ? `File listed at ${seen}. `
        : "Name follows the uploader's convention; not seen in a listing in this session. ") + NOT_VERIFIED,
  };
}

function bartowskiAll(
  repo: string,
  base: string,
  seen: Partial<Record<Quantization, { at: string; revision?: string }>>,
  only: readonly Quantization[] = ['Q4_K_M', 'Q5_K_M', 'Q8_0', 'F16'],
) {
  return Object.fromEntries(only.map((q) => [q, bartowski(repo, base, q, seen[q]?.at, seen[q]?.revision)])) as Partial<
    Record<Quantization, CatalogFile>
  >;
}

function architecture(repo: string, layers: number, kvHeads: number, headDim: number): FigureSource {
  return {
    kind: 'published',
    url: `${hf(repo)}/blob/main/config.json`,
    note: `config.json: num_hidden_layers ${layers}, num_key_value_heads ${kvHeads}, head dimension ${headDim} (hidden_size ÷ num_attention_heads).`,
  };
}

function parameters(repo: string, billions: number, wording: string): FigureSource {
  return { kind: 'published', url: hf(repo), note: `Model card: ${wording} (${billions} B).` };
}

// Listings seen in this session (the figure sources cite the same pages), pinned to the commit shown.
const QWEN15_SEEN = {
  at: hf('bartowski/Qwen2.5-1.5B-Instruct-GGUF/tree/192167f67eb1bcdd83490223333ce1f168bd917c'),
  revision: '192167f67eb1bcdd83490223333ce1f168bd917c',
};
const LLAMA1B_SEEN = {
  at: hf('bartowski/Llama-3.2-1B-Instruct-GGUF/tree/75d9ce89a396904281ff206512df71234e2ba5ef'),
  revision: '75d9ce89a396904281ff206512df71234e2ba5ef',
};
const LLAMA8B_SEEN = {
  at: hf('bartowski/Meta-Llama-3.1-8B-Instruct-GGUF/tree/4c506ee36f8097e80414dd2ed2dcf7055cae89e5'),
  revision: '4c506ee36f8097e80414dd2ed2dcf7055cae89e5',
};

// Split files (over Hugging Face's 50 GB limit: 32B F16, 70B Q5_K_M and above) are left out: one source is one file.
export const CATALOG_MODELS: readonly CatalogModel[] = [
  {
    name: 'qwen2.5-0.5b-instruct',
    family: 'qwen2.5',
    repository: 'Qwen/Qwen2.5-0.5B-Instruct',
    parametersBillions: 0.49,
    layers: 24,
    kvHeads: 2,
    headDim: 64,
    ggufBytes: { Q4_K_M: 398e6, Q5_K_M: 420e6, Q8_0: 531e6, F16: 990e6 },
    sources: {
      parametersBillions: parameters('Qwen/Qwen2.5-0.5B-Instruct', 0.49, 'Number of Parameters: 0.49B'),
      architecture: architecture('Qwen/Qwen2.5-0.5B-Instruct', 24, 2, 64),
      Q4_K_M: published(
        hf('bartowski/Qwen2-0.5B-Instruct-GGUF/tree/main'),
        'Qwen2-0.5B-Instruct-Q4_K_M.gguf 398 MB. Qwen2 0.5B has the same architecture and parameter count as Qwen2.5 0.5B (Qwen2ForCausalLM, 494 M, vocabulary 151,936); bartowski/Qwen2.5-0.5B-Instruct-GGUF lists Q4_K_S at 385 MB, consistent with it.',
      ),
      Q5_K_M: published(
        hf('bartowski/Qwen2-0.5B-Instruct-GGUF/tree/main'),
        'Qwen2-0.5B-Instruct-Q5_K_M.gguf 420 MB (same architecture as Qwen2.5 0.5B, see Q4_K_M).',
      ),
      Q8_0: published(
        hf('bartowski/Qwen2-0.5B-Instruct-GGUF/tree/main'),
        'Qwen2-0.5B-Instruct-Q8_0.gguf 531 MB (same architecture as Qwen2.5 0.5B, see Q4_K_M).',
      ),
      F16: {
        kind: 'computed',
        url: hf('bartowski/Qwen2-0.5B-Instruct-GGUF/tree/main'),
        note: 'Half of the published f32 file (Qwen2-0.5B-Instruct-f32.gguf 1.98 GB) ≈ 0.99 GB.',
      },
    },
    files: bartowskiAll('Qwen2.5-0.5B-Instruct-GGUF', 'Qwen2.5-0.5B-Instruct', {}),
  },
  {
    name: 'qwen2.5-1.5b-instruct',
    family: 'qwen2.5',
    repository: 'Qwen/Qwen2.5-1.5B-Instruct',
    parametersBillions: 1.54,
    layers: 28,
    kvHeads: 2,
    headDim: 128,
    ggufBytes: {
      Q4_K_M: 986e6,
      Q5_K_M: 1.13e9,
      Q8_0: computedSize(1.54, 'Q8_0'),
      F16: computedSize(1.54, 'F16'),
    },
    sources: {
      parametersBillions: parameters('Qwen/Qwen2.5-1.5B-Instruct', 1.54, 'Number of Parameters: 1.54B'),
      architecture: architecture('Qwen/Qwen2.5-1.5B-Instruct', 28, 2, 128),
      Q4_K_M: published(
        hf('bartowski/Qwen2.5-1.5B-Instruct-GGUF/tree/192167f67eb1bcdd83490223333ce1f168bd917c'),
        'Qwen2.5-1.5B-Instruct-Q4_K_M.gguf 986 MB.',
      ),
      Q5_K_M: published(
        hf('bartowski/Qwen2.5-1.5B-Instruct-GGUF/tree/192167f67eb1bcdd83490223333ce1f168bd917c'),
        'Qwen2.5-1.5B-Instruct-Q5_K_M.gguf 1.13 GB.',
      ),
      Q8_0: computed(1.54, 'Q8_0', 'bartowski lists a Qwen2-1.5B fine-tune Q8_0 at 1646.57 MB.'),
      F16: computed(1.54, 'F16'),
    },
    files: bartowskiAll('Qwen2.5-1.5B-Instruct-GGUF', 'Qwen2.5-1.5B-Instruct', {
      Q4_K_M: QWEN15_SEEN,
      Q5_K_M: QWEN15_SEEN,
    }),
  },
  {
    name: 'qwen2.5-3b-instruct',
    family: 'qwen2.5',
    repository: 'Qwen/Qwen2.5-3B-Instruct',
    parametersBillions: 3.09,
    layers: 36,
    kvHeads: 2,
    headDim: 128,
    ggufBytes: {
      Q4_K_M: computedSize(3.09, 'Q4_K_M'),
      Q5_K_M: computedSize(3.09, 'Q5_K_M'),
      Q8_0: 3.29e9,
      F16: computedSize(3.09, 'F16'),
    },
    sources: {
      parametersBillions: parameters('Qwen/Qwen2.5-3B-Instruct', 3.09, 'Number of Parameters: 3.09B'),
      architecture: architecture('Qwen/Qwen2.5-3B-Instruct', 36, 2, 128),
      Q4_K_M: computed(3.09, 'Q4_K_M'),
      Q5_K_M: computed(3.09, 'Q5_K_M'),
      Q8_0: published(
        hf('bartowski/Qwen2.5-3B-Instruct-GGUF/commit/2f78b283bf02cc0e7ba740e196521e05e1bbc900'),
        'README table: Qwen2.5-3B-Instruct-Q8_0.gguf, Q8_0, 3.29GB.',
      ),
      F16: computed(3.09, 'F16', 'bartowski lists the f32 file at 12.35 GB, i.e. about 6.2 GB at 16 bits.'),
    },
    files: bartowskiAll('Qwen2.5-3B-Instruct-GGUF', 'Qwen2.5-3B-Instruct', {
      Q8_0: {
        at: hf('bartowski/Qwen2.5-3B-Instruct-GGUF/commit/2f78b283bf02cc0e7ba740e196521e05e1bbc900'),
        revision: '2f78b283bf02cc0e7ba740e196521e05e1bbc900',
      },
    }),
  },
  {
    name: 'qwen2.5-7b-instruct',
    family: 'qwen2.5',
    repository: 'Qwen/Qwen2.5-7B-Instruct',
    parametersBillions: 7.61,
    layers: 28,
    kvHeads: 4,
    headDim: 128,
    ggufBytes: {
      Q4_K_M: 4.68e9,
      Q5_K_M: 5.44e9,
      Q8_0: computedSize(7.61, 'Q8_0'),
      F16: computedSize(7.61, 'F16'),
    },
    sources: {
      parametersBillions: parameters('Qwen/Qwen2.5-7B-Instruct', 7.61, 'Number of Parameters: 7.61B'),
      architecture: architecture('Qwen/Qwen2.5-7B-Instruct', 28, 4, 128),
      Q4_K_M: published(
        hf('bartowski/Qwen2.5-7B-Instruct-GGUF/blob/main/Qwen2.5-7B-Instruct-Q4_K_M.gguf'),
        'Qwen2.5-7B-Instruct-Q4_K_M.gguf 4.68 GB.',
      ),
      Q5_K_M: published(
        hf('bartowski/Qwen2-7B-Instruct-GGUF/blob/main/Qwen2-7B-Instruct-Q5_K_M.gguf'),
        'Qwen2-7B-Instruct-Q5_K_M.gguf 5.44 GB; Qwen2 7B has the same architecture and parameter count (7.6 B) as Qwen2.5 7B.',
      ),
      Q8_0: computed(7.61, 'Q8_0'),
      F16: computed(7.61, 'F16'),
    },
    files: bartowskiAll('Qwen2.5-7B-Instruct-GGUF', 'Qwen2.5-7B-Instruct', {
      Q4_K_M: { at: hf('bartowski/Qwen2.5-7B-Instruct-GGUF/blob/main/Qwen2.5-7B-Instruct-Q4_K_M.gguf') },
    }),
  },
  {
    name: 'qwen2.5-14b-instruct',
    family: 'qwen2.5',
    repository: 'Qwen/Qwen2.5-14B-Instruct',
    parametersBillions: 14.7,
    layers: 48,
    kvHeads: 8,
    headDim: 128,
    ggufBytes: {
      Q4_K_M: 8_988_110_944,
      Q5_K_M: computedSize(14.7, 'Q5_K_M'),
      Q8_0: computedSize(14.7, 'Q8_0'),
      F16: computedSize(14.7, 'F16'),
    },
    sources: {
      parametersBillions: parameters('Qwen/Qwen2.5-14B-Instruct', 14.7, 'Number of Parameters: 14.7B'),
      architecture: architecture('Qwen/Qwen2.5-14B-Instruct', 48, 8, 128),
      Q4_K_M: published(
        hf('ThomasBaruzier/Qwen2.5-14B-Instruct-GGUF/commit/7cd3561d7ba540a8ee01214748fde267d36c8eaf'),
        'Git LFS pointer of Qwen2.5-14B-Instruct-Q4_K_M.gguf: size 8988110944 bytes.',
      ),
      Q5_K_M: computed(14.7, 'Q5_K_M'),
      Q8_0: computed(14.7, 'Q8_0'),
      F16: computed(14.7, 'F16'),
    },
    files: {
      ...bartowskiAll('Qwen2.5-14B-Instruct-GGUF', 'Qwen2.5-14B-Instruct', {}, ['Q5_K_M', 'Q8_0', 'F16']),
      Q4_K_M: {
        uri: 'hf://ThomasBaruzier/Qwen2.5-14B-Instruct-GGUF/Qwen2.5-14B-Instruct-Q4_K_M.gguf',
        revision: '7cd3561d7ba540a8ee01214748fde267d36c8eaf',
        sizeBytes: 8_988_110_944,
        note:
          'Size from the Git LFS pointer at that commit (see the Q4_K_M figure source). The pointer also names the ' +
          'digest, but it was not recorded in this session, so sha256 is left out rather than guessed.',
      },
    },
  },
  {
    name: 'qwen2.5-32b-instruct',
    family: 'qwen2.5',
    repository: 'Qwen/Qwen2.5-32B-Instruct',
    parametersBillions: 32.5,
    layers: 64,
    kvHeads: 8,
    headDim: 128,
    ggufBytes: {
      Q4_K_M: 19.9e9,
      Q5_K_M: 23.3e9,
      Q8_0: computedSize(32.5, 'Q8_0'),
      F16: computedSize(32.5, 'F16'),
    },
    sources: {
      parametersBillions: parameters('Qwen/Qwen2.5-32B-Instruct', 32.5, 'Number of Parameters: 32.5B'),
      architecture: architecture('Qwen/Qwen2.5-32B-Instruct', 64, 8, 128),
      Q4_K_M: published(
        hf('bartowski/Qwen2.5-Coder-32B-Instruct-GGUF/blob/main/Qwen2.5-Coder-32B-Instruct-Q4_K_M.gguf'),
        'Qwen2.5-Coder-32B-Instruct-Q4_K_M.gguf 19.9 GB; the Coder variant shares the Qwen2.5-32B architecture and parameter count.',
      ),
      Q5_K_M: published(
        hf('bartowski/Qwen2.5-Coder-32B-Instruct-GGUF/blob/main/Qwen2.5-Coder-32B-Instruct-Q5_K_M.gguf'),
        'Qwen2.5-Coder-32B-Instruct-Q5_K_M.gguf 23.3 GB (same architecture as Qwen2.5-32B).',
      ),
      Q8_0: computed(32.5, 'Q8_0'),
      F16: computed(32.5, 'F16'),
    },
    files: bartowskiAll('Qwen2.5-32B-Instruct-GGUF', 'Qwen2.5-32B-Instruct', {}, ['Q4_K_M', 'Q5_K_M', 'Q8_0']),
  },
  {
    name: 'llama-3.2-1b-instruct',
    family: 'llama3',
    repository: 'meta-llama/Llama-3.2-1B-Instruct',
    parametersBillions: 1.24,
    layers: 16,
    kvHeads: 8,
    headDim: 64,
    ggufBytes: { Q4_K_M: 808e6, Q5_K_M: 912e6, Q8_0: 1.32e9, F16: computedSize(1.24, 'F16') },
    sources: {
      parametersBillions: parameters('meta-llama/Llama-3.2-1B-Instruct', 1.24, 'Llama 3.2 1B, 1.23B parameters'),
      architecture: architecture('meta-llama/Llama-3.2-1B-Instruct', 16, 8, 64),
      Q4_K_M: published(
        hf('bartowski/Llama-3.2-1B-Instruct-GGUF/tree/d1738bbcc8ec1f61cf4edbbab55e3522f67ecdd4'),
        'Llama-3.2-1B-Instruct-Q4_K_M.gguf 808 MB.',
      ),
      Q5_K_M: published(
        hf('bartowski/Llama-3.2-1B-Instruct-GGUF/tree/75d9ce89a396904281ff206512df71234e2ba5ef'),
        'Llama-3.2-1B-Instruct-Q5_K_M.gguf 912 MB.',
      ),
      Q8_0: published(
        hf('bartowski/Llama-3.2-1B-Instruct-GGUF/tree/75d9ce89a396904281ff206512df71234e2ba5ef'),
        'Llama-3.2-1B-Instruct-Q8_0.gguf 1.32 GB.',
      ),
      F16: computed(1.24, 'F16'),
    },
    files: bartowskiAll('Llama-3.2-1B-Instruct-GGUF', 'Llama-3.2-1B-Instruct', {
      Q4_K_M: {
        at: hf('bartowski/Llama-3.2-1B-Instruct-GGUF/tree/d1738bbcc8ec1f61cf4edbbab55e3522f67ecdd4'),
        revision: 'd1738bbcc8ec1f61cf4edbbab55e3522f67ecdd4',
      },
      Q5_K_M: LLAMA1B_SEEN,
      Q8_0: LLAMA1B_SEEN,
    }),
  },
  {
    name: 'llama-3.2-3b-instruct',
    family: 'llama3',
    repository: 'meta-llama/Llama-3.2-3B-Instruct',
    parametersBillions: 3.21,
    layers: 28,
    kvHeads: 8,
    headDim: 128,
    ggufBytes: {
      Q4_K_M: 2.02e9,
      Q5_K_M: 2_322_154_048,
      Q8_0: computedSize(3.21, 'Q8_0'),
      F16: computedSize(3.21, 'F16'),
    },
    sources: {
      parametersBillions: parameters('meta-llama/Llama-3.2-3B-Instruct', 3.21, 'Llama 3.2 3B, 3.21B parameters'),
      architecture: architecture('meta-llama/Llama-3.2-3B-Instruct', 28, 8, 128),
      Q4_K_M: published(
        hf('bartowski/Llama-3.2-3B-Instruct-GGUF/tree/cfaf35c9544c7819c89a75b3093ac122f2f8cf34'),
        'Llama-3.2-3B-Instruct-Q4_K_M.gguf 2.02 GB.',
      ),
      Q5_K_M: published(
        hf('ThomasBaruzier/Llama-3.2-3B-Instruct-GGUF/commit/8574e18b79122250e3e8e31d9575209198911fa2'),
        'Git LFS pointer of Llama-3.2-3B-Instruct-Q5_K_M.gguf: size 2322154048 bytes (bartowski lists 2.32 GB).',
      ),
      Q8_0: computed(3.21, 'Q8_0'),
      F16: computed(3.21, 'F16'),
    },
    files: {
      ...bartowskiAll(
        'Llama-3.2-3B-Instruct-GGUF',
        'Llama-3.2-3B-Instruct',
        {
          Q4_K_M: {
            at: hf('bartowski/Llama-3.2-3B-Instruct-GGUF/tree/cfaf35c9544c7819c89a75b3093ac122f2f8cf34'),
            revision: 'cfaf35c9544c7819c89a75b3093ac122f2f8cf34',
          },
        },
        ['Q4_K_M', 'Q8_0', 'F16'],
      ),
      Q5_K_M: {
        uri: 'hf://ThomasBaruzier/Llama-3.2-3B-Instruct-GGUF/Llama-3.2-3B-Instruct-Q5_K_M.gguf',
        revision: '8574e18b79122250e3e8e31d9575209198911fa2',
        sizeBytes: 2_322_154_048,
        note:
          'Size from the Git LFS pointer at that commit (see the Q5_K_M figure source); its digest was not recorded ' +
          'in this session, so sha256 is left out rather than guessed.',
      },
    },
  },
  {
    name: 'llama-3.1-8b-instruct',
    family: 'llama3',
    repository: 'meta-llama/Llama-3.1-8B-Instruct',
    parametersBillions: 8.03,
    layers: 32,
    kvHeads: 8,
    headDim: 128,
    ggufBytes: {
      Q4_K_M: 4.92e9,
      Q5_K_M: 5.73e9,
      Q8_0: computedSize(8.03, 'Q8_0'),
      F16: 16_068_890_912,
    },
    sources: {
      parametersBillions: parameters('meta-llama/Llama-3.1-8B-Instruct', 8.03, 'Llama 3.1 8B, 8.03B parameters'),
      architecture: architecture('meta-llama/Llama-3.1-8B-Instruct', 32, 8, 128),
      Q4_K_M: published(
        hf('bartowski/Meta-Llama-3.1-8B-Instruct-GGUF/tree/4c506ee36f8097e80414dd2ed2dcf7055cae89e5'),
        'Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf 4.92 GB.',
      ),
      Q5_K_M: published(
        hf('bartowski/Meta-Llama-3.1-8B-Instruct-GGUF/tree/4c506ee36f8097e80414dd2ed2dcf7055cae89e5'),
        'Meta-Llama-3.1-8B-Instruct-Q5_K_M.gguf 5.73 GB.',
      ),
      Q8_0: computed(8.03, 'Q8_0'),
      F16: published(
        hf('ddh0/UnquantizedEmbeddingTesting/raw/main/sizes.txt'),
        'Meta-Llama-3-8B-Instruct-bf16.gguf 16068890912 bytes; Llama 3 8B and 3.1 8B share the architecture and BF16/F16 are both 16 bits.',
      ),
    },
    files: bartowskiAll(
      'Meta-Llama-3.1-8B-Instruct-GGUF',
      'Meta-Llama-3.1-8B-Instruct',
      { Q4_K_M: LLAMA8B_SEEN, Q5_K_M: LLAMA8B_SEEN },
      ['Q4_K_M', 'Q5_K_M', 'Q8_0'],
    ),
  },
  {
    name: 'llama-3.3-70b-instruct',
    family: 'llama3',
    repository: 'meta-llama/Llama-3.3-70B-Instruct',
    parametersBillions: 70.6,
    layers: 80,
    kvHeads: 8,
    headDim: 128,
    ggufBytes: {
      Q4_K_M: computedSize(70.6, 'Q4_K_M'),
      Q5_K_M: computedSize(70.6, 'Q5_K_M'),
      Q8_0: computedSize(70.6, 'Q8_0'),
      F16: computedSize(70.6, 'F16'),
    },
    sources: {
      parametersBillions: parameters('meta-llama/Llama-3.3-70B-Instruct', 70.6, 'Llama 3.3 70B, 70.6B parameters'),
      architecture: architecture('meta-llama/Llama-3.3-70B-Instruct', 80, 8, 128),
      Q4_K_M: computed(70.6, 'Q4_K_M'),
      Q5_K_M: computed(70.6, 'Q5_K_M', 'bartowski ships it split in two files.'),
      Q8_0: computed(70.6, 'Q8_0'),
      F16: computed(70.6, 'F16'),
    },
    files: bartowskiAll('Llama-3.3-70B-Instruct-GGUF', 'Llama-3.3-70B-Instruct', {}, ['Q4_K_M']),
  },
];
