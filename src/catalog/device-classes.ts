// Built-in device classes: edge boards that draft and GPUs that verify. Each figure has its source beside it.
import type { CatalogDeviceClass, FigureSource } from './types.js';

const HOURS_IN_THREE_YEARS = 3 * 365 * 24;

const edgeRtt: FigureSource = {
  kind: 'heuristic',
  note: 'Default 20 ms: a wired or good Wi-Fi edge site to a cloud region in the same metro area. Profiling replaces it.',
};
const verifierRtt: FigureSource = {
  kind: 'heuristic',
  note: '1 ms: inside one data centre. Not used for scoring (the edge class carries the edge-to-verifier RTT).',
};
const cpuDecodeEfficiency: FigureSource = {
  kind: 'heuristic',
  url: 'https://github.com/ggml-org/llama.cpp/discussions/4167',
  note:
    'η = 0.45 for CPU/unified-memory decoding. Token generation streams every weight once per token, so it is ' +
    'bandwidth-bound; the llama.cpp Apple-silicon thread reports roughly 40–50 % of peak bandwidth for 7B Q4_0 ' +
    'generation (figure recalled, not re-checked in this session). Profiling replaces it.',
};
const gpuDecodeEfficiency: FigureSource = {
  kind: 'heuristic',
  note: 'η = 0.6 for embedded GPUs and 0.7 for data-centre GPUs: batch-1 decoding kernels reach well below peak HBM/LPDDR bandwidth. Profiling replaces it.',
};
const amortised = (usd: number, what: string): FigureSource => ({
  kind: 'heuristic',
  note: `Purchase price of about $${usd} (${what}) amortised over three years of continuous use: ${usd} / ${HOURS_IN_THREE_YEARS} h. Edge cost is not part of the $/token objective; shown for completeness.`,
});

export const CATALOG_DEVICE_CLASSES: readonly CatalogDeviceClass[] = [
  {
    name: 'raspberry-pi-4',
    description: 'Raspberry Pi 4 Model B, 8 GB (Cortex-A72 ×4, LPDDR4-3200)',
    role: 'Edge',
    arch: 'arm64',
    memoryGiB: 8,
    memoryBandwidthGBps: 12.8,
    idleWatts: 2.7,
    maxWatts: 6.4,
    usdPerHour: 75 / HOURS_IN_THREE_YEARS,
    rttMilliseconds: 20,
    decodeEfficiency: 0.45,
    sources: {
      memoryGiB: {
        kind: 'published',
        url: 'https://www.raspberrypi.com/products/raspberry-pi-4-model-b/specifications/',
        note: 'Specification page: 1, 2, 4 or 8 GB LPDDR4-3200 SDRAM; the 8 GB variant here (raspberry-pi-4-4gb for 4 GB).',
      },
      memoryBandwidthGBps: {
        kind: 'computed',
        url: 'https://www.raspberrypi.com/products/raspberry-pi-4-model-b/specifications/',
        note: 'LPDDR4-3200 on a 32-bit bus: 3200 MT/s × 4 bytes = 12.8 GB/s theoretical peak.',
      },
      idleWatts: {
        kind: 'published',
        url: 'https://www.pidramble.com/wiki/benchmarks/power-consumption',
        note: 'Pi Dramble power table: Pi 4 B idle about 540 mA at 5 V ≈ 2.7 W (recalled, not re-checked in this session).',
      },
      maxWatts: {
        kind: 'published',
        url: 'https://www.pidramble.com/wiki/benchmarks/power-consumption',
        note: 'Pi Dramble power table: Pi 4 B under full CPU load about 1280 mA at 5 V ≈ 6.4 W (recalled, not re-checked).',
      },
      usdPerHour: amortised(75, '8 GB board'),
      rttMilliseconds: edgeRtt,
      decodeEfficiency: cpuDecodeEfficiency,
    },
  },
  {
    name: 'raspberry-pi-4-4gb',
    description: 'Raspberry Pi 4 Model B, 4 GB (Cortex-A72 ×4, LPDDR4-3200)',
    role: 'Edge',
    arch: 'arm64',
    memoryGiB: 4,
    memoryBandwidthGBps: 12.8,
    idleWatts: 2.7,
    maxWatts: 6.4,
    usdPerHour: 55 / HOURS_IN_THREE_YEARS,
    rttMilliseconds: 20,
    decodeEfficiency: 0.45,
    sources: {
      memoryGiB: {
        kind: 'published',
        url: 'https://www.raspberrypi.com/products/raspberry-pi-4-model-b/specifications/',
        note: 'Specification page: 1, 2, 4 or 8 GB LPDDR4-3200 SDRAM; the 4 GB variant.',
      },
      memoryBandwidthGBps: {
        kind: 'computed',
        url: 'https://www.raspberrypi.com/products/raspberry-pi-4-model-b/specifications/',
        note: 'LPDDR4-3200 on a 32-bit bus: 3200 MT/s × 4 bytes = 12.8 GB/s theoretical peak.',
      },
      idleWatts: {
        kind: 'published',
        url: 'https://www.pidramble.com/wiki/benchmarks/power-consumption',
        note: 'As raspberry-pi-4: about 2.7 W idle (recalled, not re-checked in this session).',
      },
      maxWatts: {
        kind: 'published',
        url: 'https://www.pidramble.com/wiki/benchmarks/power-consumption',
        note: 'As raspberry-pi-4: about 6.4 W under full CPU load (recalled, not re-checked).',
      },
      usdPerHour: amortised(55, '4 GB board'),
      rttMilliseconds: edgeRtt,
      decodeEfficiency: cpuDecodeEfficiency,
    },
  },
  {
    name: 'raspberry-pi-5',
    description: 'Raspberry Pi 5, 8 GB (Cortex-A76 ×4, LPDDR4X-4267)',
    role: 'Edge',
    arch: 'arm64',
    memoryGiB: 8,
    memoryBandwidthGBps: 17.1,
    idleWatts: 2.7,
    maxWatts: 9,
    usdPerHour: 80 / HOURS_IN_THREE_YEARS,
    rttMilliseconds: 20,
    decodeEfficiency: 0.45,
    sources: {
      memoryGiB: {
        kind: 'published',
        url: 'https://www.raspberrypi.com/products/raspberry-pi-5/',
        note: 'Product page: 2, 4, 8 or 16 GB LPDDR4X-4267 SDRAM; the 8 GB variant here.',
      },
      memoryBandwidthGBps: {
        kind: 'computed',
        url: 'https://www.raspberrypi.com/products/raspberry-pi-5/',
        note: 'LPDDR4X-4267 on a 32-bit bus: 4267 MT/s × 4 bytes ≈ 17.1 GB/s theoretical peak.',
      },
      idleWatts: {
        kind: 'heuristic',
        url: 'https://www.jeffgeerling.com/blog/2023/reducing-raspberry-pi-5s-power-consumption-140x',
        note: 'About 2.7 W idle with the default firmware settings, as independent measurements of the Pi 5 report (recalled, not re-checked in this session).',
      },
      maxWatts: {
        kind: 'heuristic',
        note: '9 W: board under full four-core load without USB peripherals; the 27 W official supply budget includes 5 A for peripherals, so it is not the board draw.',
      },
      usdPerHour: amortised(80, '8 GB board'),
      rttMilliseconds: edgeRtt,
      decodeEfficiency: cpuDecodeEfficiency,
    },
  },
  {
    name: 'jetson-orin-nano-8gb',
    nodeLabel: 'jetson-orin-nano',
    description: 'NVIDIA Jetson Orin Nano 8 GB developer kit (Ampere GPU, 1024 CUDA cores, LPDDR5 128-bit)',
    role: 'Edge',
    arch: 'arm64',
    memoryGiB: 8,
    memoryBandwidthGBps: 68,
    accelerator: 'nvidia-ampere-1024',
    idleWatts: 5,
    maxWatts: 15,
    usdPerHour: 499 / HOURS_IN_THREE_YEARS,
    rttMilliseconds: 20,
    decodeEfficiency: 0.6,
    sources: {
      memoryGiB: {
        kind: 'published',
        url: 'https://developer.nvidia.com/embedded/jetson-modules',
        note: 'Jetson module table: Orin Nano 8GB, 8 GB 128-bit LPDDR5 shared by CPU and GPU.',
      },
      memoryBandwidthGBps: {
        kind: 'published',
        url: 'https://developer.nvidia.com/embedded/jetson-modules',
        note: 'Module table: 68 GB/s (JetPack 6.2 "Super" mode raises it to 102 GB/s; set the DeviceClass if you run it).',
      },
      idleWatts: {
        kind: 'heuristic',
        note: '5 W: module plus carrier idle in the 15 W power mode; no single published figure was found.',
      },
      maxWatts: {
        kind: 'published',
        url: 'https://developer.nvidia.com/embedded/jetson-modules',
        note: 'Module table: power modes 7 W to 15 W; 15 W taken as drafting power.',
      },
      usdPerHour: amortised(499, 'developer kit list price'),
      rttMilliseconds: edgeRtt,
      decodeEfficiency: gpuDecodeEfficiency,
    },
  },
  {
    name: 'jetson-agx-orin-64gb',
    nodeLabel: 'jetson-agx-orin',
    description: 'NVIDIA Jetson AGX Orin 64 GB (Ampere GPU, 2048 CUDA cores, LPDDR5 256-bit)',
    role: 'Edge',
    arch: 'arm64',
    memoryGiB: 64,
    memoryBandwidthGBps: 204.8,
    accelerator: 'nvidia-ampere-2048',
    idleWatts: 10,
    maxWatts: 60,
    usdPerHour: 1999 / HOURS_IN_THREE_YEARS,
    rttMilliseconds: 20,
    decodeEfficiency: 0.6,
    sources: {
      memoryGiB: {
        kind: 'published',
        url: 'https://developer.nvidia.com/embedded/jetson-modules',
        note: 'Module table: AGX Orin 64GB, 64 GB 256-bit LPDDR5.',
      },
      memoryBandwidthGBps: {
        kind: 'published',
        url: 'https://developer.nvidia.com/embedded/jetson-modules',
        note: 'Module table: 204.8 GB/s.',
      },
      idleWatts: {
        kind: 'heuristic',
        note: '10 W: module and carrier idle; no single published figure was found.',
      },
      maxWatts: {
        kind: 'published',
        url: 'https://developer.nvidia.com/embedded/jetson-modules',
        note: 'Module table: power modes 15 W to 60 W; 60 W (MAXN) taken as drafting power.',
      },
      usdPerHour: amortised(1999, 'developer kit list price'),
      rttMilliseconds: edgeRtt,
      decodeEfficiency: gpuDecodeEfficiency,
    },
  },
  {
    name: 'x86-edge-box',
    description: 'Generic x86 mini PC, e.g. Intel N100, 16 GB single-channel DDR5-4800',
    role: 'Edge',
    arch: 'amd64',
    memoryGiB: 16,
    memoryBandwidthGBps: 38.4,
    idleWatts: 6,
    maxWatts: 25,
    usdPerHour: 200 / HOURS_IN_THREE_YEARS,
    rttMilliseconds: 20,
    decodeEfficiency: 0.45,
    sources: {
      memoryGiB: {
        kind: 'heuristic',
        note: '16 GB: the common configuration of N100-class mini PCs (the N100 supports one channel up to 16 GB).',
      },
      memoryBandwidthGBps: {
        kind: 'computed',
        url: 'https://www.intel.com/content/www/us/en/products/sku/231803/intel-processor-n100-6m-cache-up-to-3-40-ghz/specifications.html',
        note: 'Intel N100 ARK: single-channel DDR5-4800, max bandwidth listed as 38.4 GB/s (4800 MT/s × 8 bytes).',
      },
      idleWatts: {
        kind: 'heuristic',
        note: '6 W: whole box idle at the wall for N100-class mini PCs (typical review figures; no single source).',
      },
      maxWatts: {
        kind: 'heuristic',
        url: 'https://www.intel.com/content/www/us/en/products/sku/231803/intel-processor-n100-6m-cache-up-to-3-40-ghz/specifications.html',
        note: '25 W: box under full CPU load; the N100 itself has a 6 W TDP but turbo, RAM, SSD and the supply add to it.',
      },
      usdPerHour: amortised(200, 'N100 mini PC with 16 GB'),
      rttMilliseconds: edgeRtt,
      decodeEfficiency: cpuDecodeEfficiency,
    },
  },
  {
    name: 'nvidia-a100-80gb',
    description: 'NVIDIA A100 80 GB SXM4 (HBM2e)',
    role: 'Verifier',
    arch: 'amd64',
    memoryGiB: 80,
    memoryBandwidthGBps: 2039,
    accelerator: 'nvidia-a100-80gb',
    computeTFLOPS: 312,
    idleWatts: 60,
    maxWatts: 400,
    usdPerHour: 40.96 / 8,
    rttMilliseconds: 1,
    decodeEfficiency: 0.7,
    sources: {
      memoryGiB: {
        kind: 'published',
        url: 'https://www.nvidia.com/en-us/data-center/a100/',
        note: 'A100 specifications: 80 GB HBM2e.',
      },
      memoryBandwidthGBps: {
        kind: 'published',
        url: 'https://www.nvidia.com/en-us/data-center/a100/',
        note: 'A100 80GB SXM: 2,039 GB/s GPU memory bandwidth.',
      },
      computeTFLOPS: {
        kind: 'published',
        url: 'https://www.nvidia.com/en-us/data-center/a100/',
        note: 'BF16/FP16 Tensor Core: 312 TFLOPS dense (624 with sparsity).',
      },
      idleWatts: {
        kind: 'heuristic',
        note: '60 W: an idle SXM A100 reported by nvidia-smi is typically 50–70 W. Not used in the edge-energy objective.',
      },
      maxWatts: {
        kind: 'published',
        url: 'https://www.nvidia.com/en-us/data-center/a100/',
        note: 'A100 80GB SXM: max TDP 400 W.',
      },
      usdPerHour: {
        kind: 'published',
        url: 'https://aws.amazon.com/ec2/instance-types/p4/',
        note: 'AWS p4de.24xlarge (8 × A100 80GB) on-demand $40.96/h in us-east-1 ÷ 8 = $5.12 per GPU-hour (list price as recalled; not re-checked in this session, prices change).',
      },
      rttMilliseconds: verifierRtt,
      decodeEfficiency: gpuDecodeEfficiency,
    },
  },
  {
    name: 'nvidia-h100-80gb',
    description: 'NVIDIA H100 80 GB SXM5 (HBM3)',
    role: 'Verifier',
    arch: 'amd64',
    memoryGiB: 80,
    memoryBandwidthGBps: 3350,
    accelerator: 'nvidia-h100-80gb',
    computeTFLOPS: 989,
    idleWatts: 70,
    maxWatts: 700,
    usdPerHour: 98.32 / 8,
    rttMilliseconds: 1,
    decodeEfficiency: 0.7,
    sources: {
      memoryGiB: {
        kind: 'published',
        url: 'https://www.nvidia.com/en-us/data-center/h100/',
        note: 'H100 SXM specifications: 80 GB HBM3.',
      },
      memoryBandwidthGBps: {
        kind: 'published',
        url: 'https://www.nvidia.com/en-us/data-center/h100/',
        note: 'H100 SXM: 3.35 TB/s GPU memory bandwidth (the PCIe card has 2 TB/s; this class is SXM).',
      },
      computeTFLOPS: {
        kind: 'published',
        url: 'https://www.nvidia.com/en-us/data-center/h100/',
        note: 'H100 SXM BF16/FP16 Tensor Core: 1,979 TFLOPS with sparsity, i.e. about 989 dense.',
      },
      idleWatts: {
        kind: 'heuristic',
        note: '70 W: typical nvidia-smi idle draw of an SXM H100. Not used in the edge-energy objective.',
      },
      maxWatts: {
        kind: 'published',
        url: 'https://www.nvidia.com/en-us/data-center/h100/',
        note: 'H100 SXM: max TDP up to 700 W.',
      },
      usdPerHour: {
        kind: 'published',
        url: 'https://computespec.pages.dev/learn/pricing/cost-per-gpu-hour',
        note: 'AWS p5.48xlarge (8 × H100 SXM 80GB) on-demand $98.32/h ÷ 8 = $12.29 per GPU-hour, as quoted by that page (AWS has since cut P5 prices; set DeviceClass price for your contract).',
      },
      rttMilliseconds: verifierRtt,
      decodeEfficiency: gpuDecodeEfficiency,
    },
  },
  {
    name: 'nvidia-l4',
    description: 'NVIDIA L4 24 GB (Ada, GDDR6)',
    role: 'Verifier',
    arch: 'amd64',
    memoryGiB: 24,
    memoryBandwidthGBps: 300,
    accelerator: 'nvidia-l4',
    computeTFLOPS: 121,
    idleWatts: 16,
    maxWatts: 72,
    usdPerHour: 0.7068,
    rttMilliseconds: 1,
    decodeEfficiency: 0.7,
    sources: {
      memoryGiB: {
        kind: 'published',
        url: 'https://www.nvidia.com/en-us/data-center/l4/',
        note: 'L4 specifications: 24 GB GDDR6.',
      },
      memoryBandwidthGBps: {
        kind: 'published',
        url: 'https://www.nvidia.com/en-us/data-center/l4/',
        note: 'L4: 300 GB/s GPU memory bandwidth.',
      },
      computeTFLOPS: {
        kind: 'published',
        url: 'https://www.nvidia.com/en-us/data-center/l4/',
        note: 'L4 FP16/BF16 Tensor Core: 242 TFLOPS with sparsity, i.e. about 121 dense.',
      },
      idleWatts: {
        kind: 'heuristic',
        note: '16 W: typical idle draw of an L4. Not used in the edge-energy objective.',
      },
      maxWatts: {
        kind: 'published',
        url: 'https://www.nvidia.com/en-us/data-center/l4/',
        note: 'L4: max thermal design power 72 W.',
      },
      usdPerHour: {
        kind: 'published',
        url: 'https://cloud.google.com/compute/vm-instance-pricing',
        note: 'Google Cloud g2-standard-4 (1 × L4, 4 vCPU, 16 GB) on-demand about $0.7068/h in us-central1 (recalled; the stored copy of the page did not show the G2 table, so not re-checked).',
      },
      rttMilliseconds: verifierRtt,
      decodeEfficiency: gpuDecodeEfficiency,
    },
  },
];
