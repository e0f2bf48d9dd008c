// Confirmed contexts per session, bounded by a session count and a total token budget (least recently used
// sessions go first). A drafter whose session was dropped gets SessionUnknown and resends the full context.
export class SessionStore {
  private readonly sessions = new Map<string, number[]>();
  private totalTokens = 0;
  evictions = 0;

  constructor(
    private readonly maxSessions: number,
    private readonly maxTotalTokens: number,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  get(sessionId: string): number[] | undefined {
    const tokens = this.sessions.get(sessionId);
    if (tokens) {
      // Map order is insertion order: re-inserting marks the session most recently used.
      this.sessions.delete(sessionId);
      this.sessions.set(sessionId, tokens);
    }
    return tokens;
  }

  set(sessionId: string, tokens: number[]): void {
    this.delete(sessionId);
    this.sessions.set(sessionId, tokens);
    this.totalTokens += tokens.length;
    for (const [oldest, old] of this.sessions) {
      if (this.sessions.size <= this.maxSessions && this.totalTokens <= this.maxTotalTokens) break;
      if (oldest === sessionId) break;
      this.sessions.delete(oldest);
      this.totalTokens -= old.length;
      this.evictions++;
    }
  }

  delete(sessionId: string): void {
    const tokens = this.sessions.get(sessionId);
    if (!tokens) return;
    this.sessions.delete(sessionId);
    this.totalTokens -= tokens.length;
  }
}
