import { OperatorMetrics } from '../../../src/observability/metrics.js';

/** The promlint rules that apply to names we choose (see research/anchors-reliability.md §5). */
function namingProblems(exposition: string): string[] {
  const problems: string[] = [];
  const types = new Map<string, string>();
  for (const line of exposition.split('\n')) {
    const match = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (match) types.set(match[1]!, match[2]!);
  }
  for (const [name, type] of types) {
    if (!name.startsWith('configspec_')) continue;
    if (!/^[a-z][a-z0-9_]*$/.test(name)) problems.push(`${name}: not snake_case`);
    if (type === 'counter' && !name.endsWith('_total')) problems.push(`${name}: counter without _total`);
    if (type !== 'counter' && name.endsWith('_total')) problems.push(`${name}: _total on a ${type}`);
    if (/millis|micros|_ms$|_kb|_mb|_gb|minutes|hours/.test(name)) problems.push(`${name}: not a base unit`);
    if (!exposition.includes(`# HELP ${name} `)) problems.push(`${name}: no HELP`);
  }
  return problems;
}

describe('OperatorMetrics', () => {
  it('exports configspec_ metrics whose names follow Prometheus conventions', async () => {
    const metrics = new OperatorMetrics();
    metrics.observeReconcile('specdecodedeployment', 'success', 0.02);
    metrics.observeRequest('apply', 'daemonsets', 200);
    metrics.setSelections('ns', 'chat', [
      {
        deviceClass: 'pi5',
        k: 4,
        predicted: {
          goodputTokensPerSecond: 30,
          usdPerMillionTokens: 0.4,
          joulesPerToken: 0.2,
          acceptanceRate: 0.7,
          roundSeconds: 0.1,
        },
      },
    ]);
    metrics.setProfilingJobs('ns', 'chat', { pending: 0, running: 1, succeeded: 2, failed: 0 });
    const text = await metrics.registry.metrics();
    for (const name of [
      'configspec_reconcile_total',
      'configspec_reconcile_duration_seconds_bucket',
      'configspec_workqueue_depth',
      'configspec_apiserver_requests_total',
      'configspec_selected_k',
      'configspec_predicted_goodput_tokens_per_second',
      'configspec_predicted_cost_usd_per_million_tokens',
      'configspec_predicted_energy_joules_per_token',
      'configspec_profiling_jobs',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toContain('configspec_selected_k{namespace="ns",deployment="chat",device_class="pi5"} 4');
    expect(namingProblems(text)).toEqual([]);
  });

  it('counts writes by verb and resource, leaving out reads, leases and events', async () => {
    const metrics = new OperatorMetrics({ processMetrics: false });
    metrics.observeRequest('list', 'pods', 200);
    metrics.observeRequest('watch', 'pods', 200);
    metrics.observeRequest('apply', 'daemonsets', 200);
    metrics.observeRequest('apply', 'specdecodedeployments/status', 200);
    metrics.observeRequest('update', 'leases', 200);
    metrics.observeRequest('create', 'events', 201);
    metrics.observeRequest('delete', 'jobs', 404);
    expect(await metrics.writeRequests()).toBe(3);
    expect(await metrics.writeRequests([])).toBe(5);
  });

  it('drops the series of a class that is no longer selected and of a deleted deployment', async () => {
    const metrics = new OperatorMetrics({ processMetrics: false });
    metrics.setSelections('ns', 'chat', [
      { deviceClass: 'pi5', k: 4 },
      { deviceClass: 'orin', k: 6 },
    ]);
    metrics.setSelections('ns', 'chat', [{ deviceClass: 'orin', k: 5 }]);
    let text = await metrics.registry.metrics();
    expect(text).not.toContain('device_class="pi5"');
    expect(text).toContain('configspec_selected_k{namespace="ns",deployment="chat",device_class="orin"} 5');
    metrics.setProfilingJobs('ns', 'chat', { pending: 1, running: 0, succeeded: 0, failed: 0 });
    metrics.forgetDeployment('ns', 'chat');
    text = await metrics.registry.metrics();
    expect(text).not.toContain('deployment="chat"');
  });

  it('feeds work queue depth, adds and retries through hooks', async () => {
    const metrics = new OperatorMetrics({ processMetrics: false });
    const hooks = metrics.workQueueHooks('specdecodedeployment');
    hooks.added();
    hooks.added();
    hooks.retried();
    hooks.depth(7);
    const text = await metrics.registry.metrics();
    expect(text).toContain('configspec_workqueue_adds_total{name="specdecodedeployment"} 2');
    expect(text).toContain('configspec_workqueue_retries_total{name="specdecodedeployment"} 1');
    expect(text).toContain('configspec_workqueue_depth{name="specdecodedeployment"} 7');
  });
});
