// Edge power from the device's own sensors, read through sysfs (root injectable, so tests use a fake tree):
// - Jetson INA3221 rails: iio driver (ina3221x: in_power<N>_input in mW, rail_name_<N>) or the hwmon driver
//   (ina3221: in<N>_input mV × curr<N>_input mA, in<N>_label). A rail named like the board input (…_IN) is
//   the total; otherwise rails are summed.
// - Intel RAPL: package energy counters /sys/class/powercap/intel-rapl:<N>/energy_uj, power = ΔE/Δt.
// - hwmon power meters: /sys/class/hwmon/hwmon*/power<N>_input in µW.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PowerSensor } from '../../api/types.js';

export interface PowerMeter {
  sensor: Exclude<PowerSensor, 'None'>;
  /** Average watts over running `work` (sampled every `sampleMs` for instantaneous sensors). */
  measure<T>(work: () => Promise<T>, sampleMs?: number): Promise<{ watts: number; result: T }>;
}

function readNumber(path: string): number | undefined {
  try {
    const value = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function list(dir: string, pattern: RegExp): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => pattern.test(name))
      .sort()
      .map((name) => join(dir, name));
  } catch {
    return [];
  }
}

interface Rail {
  name: string;
  watts: () => number | undefined;
}

const TOTAL_RAIL = /(^|_)(IN|VIN|VDD_IN|POM_5V_IN)$/i;

function totalOrSum(rails: Rail[]): () => number | undefined {
  const total = rails.find((rail) => TOTAL_RAIL.test(rail.name));
  return () => {
    if (total) return total.watts();
    const values = rails.map((rail) => rail.watts());
    return values.some((v) => v === undefined) ? undefined : values.reduce((s: number, v) => s + (v as number), 0);
  };
}

function ina3221Rails(sysRoot: string): Rail[] {
  const rails: Rail[] = [];
  for (const device of list(join(sysRoot, 'bus/i2c/drivers/ina3221x'), /./)) {
    for (const iio of list(device, /^iio:device\d+$/)) {
      for (const input of list(iio, /^in_power\d+_input$/)) {
        const index = /in_power(\d+)_input$/.exec(input)?.[1] as string;
        const name = readText(join(iio, `rail_name_${index}`)) ?? `rail${index}`;
        rails.push({ name, watts: () => ((v) => (v === undefined ? undefined : v / 1000))(readNumber(input)) });
      }
    }
  }
  for (const device of list(join(sysRoot, 'bus/i2c/drivers/ina3221'), /./)) {
    for (const hwmon of list(join(device, 'hwmon'), /^hwmon\d+$/)) {
      for (const voltage of list(hwmon, /^in\d+_input$/)) {
        const index = /in(\d+)_input$/.exec(voltage)?.[1] as string;
        const current = join(hwmon, `curr${index}_input`);
        if (!existsSync(current)) continue;
        const name = readText(join(hwmon, `in${index}_label`)) ?? `rail${index}`;
        rails.push({
          name,
          watts: () => {
            const mv = readNumber(voltage);
            const ma = readNumber(current);
            return mv === undefined || ma === undefined ? undefined : (mv * ma) / 1e6;
          },
        });
      }
    }
  }
  return rails;
}

function sampledMeter(sensor: PowerMeter['sensor'], read: () => number | undefined): PowerMeter {
  return {
    sensor,
    async measure(work, sampleMs = 50) {
      const samples: number[] = [];
      const sample = (): void => {
        const watts = read();
        if (watts !== undefined) samples.push(watts);
      };
      sample();
      const timer = setInterval(sample, sampleMs);
      try {
        const result = await work();
        sample();
        if (samples.length === 0) throw new Error(`${sensor} power sensor gave no readings`);
        return { watts: samples.reduce((s, v) => s + v, 0) / samples.length, result };
      } finally {
        clearInterval(timer);
      }
    },
  };
}

function raplMeter(zones: string[]): PowerMeter {
  const energy = (): number | undefined => {
    let total = 0;
    for (const zone of zones) {
      const uj = readNumber(join(zone, 'energy_uj'));
      if (uj === undefined) return undefined;
      total += uj;
    }
    return total;
  };
  const range = zones.reduce((s, zone) => s + (readNumber(join(zone, 'max_energy_range_uj')) ?? 0), 0);
  return {
    sensor: 'RAPL',
    async measure(work) {
      const e0 = energy();
      const t0 = performance.now();
      const result = await work();
      const e1 = energy();
      const seconds = (performance.now() - t0) / 1000;
      if (e0 === undefined || e1 === undefined) throw new Error('RAPL energy counters became unreadable');
      // The counter wraps at max_energy_range_uj.
      const delta = e1 >= e0 ? e1 - e0 : e1 + range - e0;
      return { watts: delta / 1e6 / Math.max(seconds, 1e-6), result };
    },
  };
}

/** The best power sensor under `sysRoot`, or undefined when the device has none we can read. */
export function detectPowerMeter(sysRoot = '/sys'): PowerMeter | undefined {
  const rails = ina3221Rails(sysRoot);
  if (rails.length > 0 && totalOrSum(rails)() !== undefined) return sampledMeter('INA3221', totalOrSum(rails));
  const raplZones = list(join(sysRoot, 'class/powercap'), /^intel-rapl:\d+$/).filter(
    (zone) => readNumber(join(zone, 'energy_uj')) !== undefined,
  );
  if (raplZones.length > 0) return raplMeter(raplZones);
  const hwmonInputs = list(join(sysRoot, 'class/hwmon'), /^hwmon\d+$/).flatMap((hwmon) =>
    list(hwmon, /^power\d+_input$/),
  );
  const readable = hwmonInputs.filter((input) => readNumber(input) !== undefined);
  if (readable.length > 0) {
    return sampledMeter('Hwmon', () => {
      const values = readable.map(readNumber);
      return values.some((v) => v === undefined)
        ? undefined
        : values.reduce((s: number, v) => s + (v as number), 0) / 1e6;
    });
  }
  return undefined;
}
