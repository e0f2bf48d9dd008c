import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { detectPowerMeter } from '../../../src/agent/profiler/power.js';

let root: string;
const put = (path: string, content: string | number): void => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), `${content}\n`);
};
const idle = (ms: number) => () => new Promise<void>((r) => setTimeout(r, ms));

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'configspec-sysfs-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('power sensors in sysfs', () => {
  it('finds none in an empty tree', () => {
    expect(detectPowerMeter(root)).toBeUndefined();
  });

  it('reads the Jetson INA3221 input rail (iio driver, mW) instead of summing its sub-rails', async () => {
    const dev = 'bus/i2c/drivers/ina3221x/1-0040/iio:device0';
    put(`${dev}/rail_name_0`, 'POM_5V_IN');
    put(`${dev}/in_power0_input`, 5200);
    put(`${dev}/rail_name_1`, 'POM_5V_GPU');
    put(`${dev}/in_power1_input`, 800);
    const meter = detectPowerMeter(root);
    expect(meter?.sensor).toBe('INA3221');
    expect((await meter!.measure(idle(30), 5)).watts).toBeCloseTo(5.2, 6);
  });

  it('multiplies voltage and current of the INA3221 hwmon driver and sums rails without a total', async () => {
    const hw = 'bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon3';
    put(`${hw}/in1_label`, 'VDD_GPU_SOC');
    put(`${hw}/in1_input`, 5000);
    put(`${hw}/curr1_input`, 600);
    put(`${hw}/in2_label`, 'VDD_CPU_CV');
    put(`${hw}/in2_input`, 5000);
    put(`${hw}/curr2_input`, 400);
    const meter = detectPowerMeter(root);
    expect(meter?.sensor).toBe('INA3221');
    expect((await meter!.measure(idle(20), 5)).watts).toBeCloseTo(5, 6);
  });

  it('turns Intel RAPL energy counter deltas into watts, across a wrap-around', async () => {
    put('class/powercap/intel-rapl:0/energy_uj', 999_000_000);
    put('class/powercap/intel-rapl:0/max_energy_range_uj', 1_000_000_000);
    put('class/powercap/intel-rapl:0:0/energy_uj', 5); // a sub-zone: part of the package, not added
    const meter = detectPowerMeter(root);
    expect(meter?.sensor).toBe('RAPL');
    const started = performance.now();
    const { watts } = await meter!.measure(async () => {
      await idle(100)();
      put('class/powercap/intel-rapl:0/energy_uj', 1_000_000); // +2 J after wrapping
    });
    const seconds = (performance.now() - started) / 1000;
    // 2 J over the measured window, which lies between the 100 ms of work and the whole call.
    expect(watts).toBeGreaterThanOrEqual((2 / seconds) * 0.999);
    expect(watts).toBeLessThanOrEqual(2 / 0.1);
  });

  it('sums hwmon power inputs (µW)', async () => {
    put('class/hwmon/hwmon0/power1_input', 3_500_000);
    put('class/hwmon/hwmon1/power1_input', 1_500_000);
    put('class/hwmon/hwmon1/temp1_input', 40000);
    const meter = detectPowerMeter(root);
    expect(meter?.sensor).toBe('Hwmon');
    expect((await meter!.measure(idle(20), 5)).watts).toBeCloseTo(5, 6);
  });
});
