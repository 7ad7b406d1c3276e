/**
 * The environment of every process the worker starts on its own host (postmasters, copies, notification hooks):
 * named variables only, never the worker's whole environment, which holds TEMPORAL_API_KEY, PGPASSWORD and the like.
 */
const PASSED_THROUGH = [
  'PATH', 'HOME', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'LC_MESSAGES', 'TZ', 'TMPDIR',
  // Marks every process a test run starts, so the suite can prove that none is left behind (test/globalSetup.ts).
  'GPRECOVER_TEST_RUN',
] as const;

export function childEnvironment(extra: Record<string, string | undefined> = {}, from: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of PASSED_THROUGH) if (from[name] !== undefined) env[name] = from[name];
  env.PATH ??= '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}
