// The DeviceClass fixture the cluster suites (integration and faults) share: an arm64 edge class priced and powered
// like a Raspberry Pi 5, or an A100-like verifier class, selecting nodes by the device-class label (or by a whole
// node selector).
import { API_VERSION } from '../../src/api/types.js';
import { DEVICE_CLASS_LABEL } from '../../src/catalog/index.js';

export function deviceClass(name: string, role: 'Edge' | 'Verifier', nodes: string | Record<string, string>) {
  return {
    apiVersion: API_VERSION,
    kind: 'DeviceClass',
    metadata: { name },
    spec: {
      role,
      nodeSelector: typeof nodes === 'string' ? { [DEVICE_CLASS_LABEL]: nodes } : nodes,
      hardware:
        role === 'Edge'
          ? { arch: 'arm64', memoryGiB: 8, memoryBandwidthGBps: 17.1 }
          : { arch: 'amd64', memoryGiB: 80, memoryBandwidthGBps: 2039, computeTFLOPS: 312 },
      power:
        role === 'Edge'
          ? { idleWatts: 2.7, maxWatts: 9, sensor: 'None' }
          : { idleWatts: 60, maxWatts: 400, sensor: 'None' },
      price: { usdPerHour: role === 'Edge' ? 0.003 : 3.67 },
      ...(role === 'Edge' ? { network: { rttMilliseconds: 20 } } : {}),
    },
  };
}
