import { OperatorMetrics } from '../../../src/observability/metrics.js';
import { startProbeServer, type ProbeServer } from '../../../src/observability/server.js';

describe('probe server', () => {
  let server: ProbeServer;
  let synced = false;
  const metrics = new OperatorMetrics({ processMetrics: false });

  beforeAll(async () => {
    server = await startProbeServer({
      registry: metrics.registry,
      readiness: { informers: () => synced },
      host: '127.0.0.1',
      port: 0,
    });
  });
  afterAll(() => server.close());

  const get = (path: string) => fetch(`http://127.0.0.1:${server.port}${path}`);

  it('is live at once and ready only when every readiness check passes', async () => {
    expect((await get('/healthz')).status).toBe(200);
    const unready = await get('/readyz');
    expect(unready.status).toBe(503);
    expect(await unready.text()).toContain('[-]informers failed');
    synced = true;
    expect((await get('/readyz')).status).toBe(200);
  });

  it('serves the metrics registry in the Prometheus text format', async () => {
    metrics.observeReconcile('specdecodedeployment', 'success', 0.01);
    const response = await get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(await response.text()).toContain(
      'configspec_reconcile_total{controller="specdecodedeployment",result="success"} 1',
    );
  });
});
