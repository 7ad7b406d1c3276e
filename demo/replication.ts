import { WALRECEIVER_APPLICATION_NAME } from '../domain/names';
import type { Endpoint } from '../domain/segment';
import { errorText, sleep, withInstance, type Login } from './sql';

async function walsenderState(primary: Endpoint, login: Login): Promise<string | undefined> {
  return withInstance(primary, { ...login, connectTimeoutMs: 2_000, statementTimeoutMs: 5_000 }, async (c) => {
    const { rows } = await c.query(
      `SELECT state FROM pg_stat_replication WHERE application_name = $1 ORDER BY state = 'streaming' DESC LIMIT 1`,
      [WALRECEIVER_APPLICATION_NAME],
    );
    return rows[0]?.state as string | undefined;
  });
}

/** Resolves with the primaries whose mirror is not streaming when the time is up (empty: all stream). */
export async function waitForStreaming(primaries: Array<Endpoint & { dbid: number }>, login: Login, timeoutMs: number): Promise<Array<{ dbid: number; why: string }>> {
  const deadline = Date.now() + timeoutMs;
  let pending = primaries.map((p) => ({ p, why: 'not checked' }));
  while (pending.length) {
    const states = await Promise.all(pending.map(({ p }) => walsenderState(p, login).then((s) => s ?? 'no walsender', (e) => errorText(e))));
    pending = pending.map((x, i) => ({ p: x.p, why: states[i] })).filter((x) => x.why !== 'streaming');
    if (!pending.length || Date.now() > deadline) break;
    await sleep(100);
  }
  return pending.map(({ p, why }) => ({ dbid: p.dbid, why }));
}
