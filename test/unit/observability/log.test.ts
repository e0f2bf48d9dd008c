import { createLogger, parseLogLevel } from '../../../src/observability/log.js';

function capture(level?: 'debug' | 'info') {
  const lines: string[] = [];
  const log = createLogger({ level, write: (l) => lines.push(l), now: () => new Date(0) });
  return { lines, log, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('JSON logger', () => {
  it('writes one JSON object per line with level, msg and the object key fields', () => {
    const { lines, log, parsed } = capture();
    log.child({ controller: 'sdd' }).info('Reconciled SpecDecodeDeployment', { sdd: 'ns/chat' });
    expect(lines).toHaveLength(1);
    expect(parsed()[0]).toEqual({
      time: '1970-01-01T00:00:00.000Z',
      level: 'info',
      msg: 'Reconciled SpecDecodeDeployment',
      controller: 'sdd',
      sdd: 'ns/chat',
    });
  });

  it('drops lines below the level', () => {
    const { lines, log } = capture('info');
    log.debug('hidden');
    log.warn('shown');
    expect(lines).toHaveLength(1);
  });

  it('never writes tokens or other credentials', () => {
    const { lines, log } = capture();
    log.info('Connected', { token: 'abc123', bearerToken: 'x', authorization: 'Bearer y', clientPassword: 'p' });
    expect(lines[0]).not.toMatch(/abc123|Bearer y|"x"|"p"/);
    expect(lines[0]).toContain('[redacted]');
  });

  it('serialises errors with their reason', () => {
    const { parsed, log } = capture();
    log.error('Failed', { err: Object.assign(new Error('conflict'), { reason: 'Conflict', code: 409 }) });
    expect(parsed()[0]?.err).toEqual({ name: 'Error', message: 'conflict', reason: 'Conflict', code: 409 });
  });

  it('parses levels and rejects unknown ones', () => {
    expect(parseLogLevel(undefined)).toBe('info');
    expect(parseLogLevel('debug')).toBe('debug');
    expect(() => parseLogLevel('loud')).toThrow('Unknown log level');
  });
});
