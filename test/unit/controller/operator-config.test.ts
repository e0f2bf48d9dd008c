import { operatorConfig, type OperatorFlags } from '../../../src/cli/commands/operator.js';

const flags: OperatorFlags = {
  httpHost: '0.0.0.0',
  httpPort: 8080,
  concurrency: 2,
  resync: 600,
  leaderElect: true,
  leaseName: 'configspec-operator',
  leaseDuration: 15,
  renewDeadline: 10,
  retryPeriod: 2,
  logLevel: 'info',
};
const noFile = () => undefined;

describe('operatorConfig', () => {
  it('takes the image, identity and namespace from the pod environment', () => {
    const config = operatorConfig(
      flags,
      { CONFIGSPEC_IMAGE: 'img:1', POD_NAME: 'op-0', POD_NAMESPACE: 'configspec-system' },
      noFile,
    );
    expect(config.image).toBe('img:1');
    expect(config.operatorNamespace).toBe('configspec-system');
    expect(config.leaderElection).toEqual({
      enabled: true,
      leaseName: 'configspec-operator',
      identity: 'op-0',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
    expect(config.resyncIntervalMs).toBe(600_000);
  });

  it('reads the namespace from the service-account mount when not given', () => {
    const config = operatorConfig({ ...flags, image: 'img' }, {}, (path) =>
      path.endsWith('/namespace') ? 'ops\n' : undefined,
    );
    expect(config.operatorNamespace).toBe('ops');
  });

  it('refuses to start without an image or with unsafe lease timings', () => {
    expect(() => operatorConfig(flags, {}, noFile)).toThrow('--image');
    expect(() => operatorConfig({ ...flags, image: 'img', renewDeadline: 15 }, {}, noFile)).toThrow('leaseDuration');
    expect(
      operatorConfig({ ...flags, image: 'img', leaderElect: false, renewDeadline: 15 }, {}, noFile).leaderElection,
    ).toEqual({
      enabled: false,
    });
  });

  it('observes serving every 60 s by default, at the interval given, or not at all', () => {
    expect(operatorConfig({ ...flags, image: 'img' }, {}, noFile).servingObserver).toEqual({
      enabled: true,
      intervalMs: 60_000,
      timeoutMs: 5_000,
    });
    expect(
      operatorConfig({ ...flags, image: 'img', servingScrapeInterval: 5, servingScrapeTimeout: 2 }, {}, noFile)
        .servingObserver,
    ).toEqual({ enabled: true, intervalMs: 5_000, timeoutMs: 2_000 });
    expect(operatorConfig({ ...flags, image: 'img', servingObserver: false }, {}, noFile).servingObserver).toEqual({
      enabled: false,
    });
  });
});
