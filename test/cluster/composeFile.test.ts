import { setTimeout as sleep } from 'node:timers/promises';
// No Docker engine runs here: these checks read docker-compose.yml, the Dockerfile and the setup scripts against the
// code they must agree with, and run the search-attribute setup script for real against a Temporal dev server.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { builtinModules } from 'node:module';
import { spawn, execFileSync } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { afterAll, describe, expect, it, vi } from 'vitest';
import YAML from 'yaml';
import { main } from '../../client/main';
import { clustersFilePath, readClustersFile } from '../../cluster/config';
import { endpointFromEnv } from '../../worker/connection';
import { portOpen } from '../../worker/devServer';
import { resolveTemporalCli } from '../../worker/temporalCli';
import { ALL_SEARCH_ATTRIBUTES, CLI_TYPE_NAMES } from '../../domain/searchAttributes';

const ROOT = path.resolve(__dirname, '../..');
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), 'utf8');

/** What `docker compose` does with `${VAR:-default}` when VAR is unset, and `$$`. */
function interpolate(s: string): string {
  return s.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (m, name: string | undefined, def: string | undefined) => {
    if (m === '$$') return '$';
    if (def === undefined) throw new Error(`\${${name}} has no default: 'docker compose up' without a .env file would leave it empty`);
    return def;
  });
}

function deepInterpolate<T>(v: T): T {
  if (typeof v === 'string') return interpolate(v) as T;
  if (Array.isArray(v)) return v.map(deepInterpolate) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deepInterpolate(x)])) as T;
  return v;
}

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string> | string[];
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: unknown;
  restart?: string;
  profiles?: string[];
}

const compose = deepInterpolate(YAML.parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> });
const services = compose.services;

function envOf(s: Service): Record<string, string> {
  if (Array.isArray(s.environment)) return Object.fromEntries(s.environment.map((e) => [e.split('=')[0], e.slice(e.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));
}

function mounts(s: Service): Array<{ source: string; target: string; readOnly: boolean }> {
  return (s.volumes ?? []).map((v) => {
    const [source, target, mode] = v.split(':');
    return { source, target, readOnly: mode === 'ro' };
  });
}

/** Dockerfile instructions, continuation lines joined. */
function dockerfile(): Array<{ op: string; args: string }> {
  return read('Dockerfile').replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    .map((l) => ({ op: l.split(/\s+/)[0].toUpperCase(), args: l.slice(l.split(/\s+/)[0].length).trim() }));
}

const dockerignore = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const ignored = (rel: string) => dockerignore.some((p) => rel === p || rel.startsWith(`${p}/`));

describe('docker-compose.yml', () => {
  it('has the services, Temporal persisted in PostgreSQL 15', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['postgresql', 'temporal', 'temporal-ui', 'temporal-setup', 'worker']));
    expect(services.postgresql.image).toBe('postgres:15');
    expect(services.temporal.image).toMatch(/^temporalio\/(server|auto-setup):/);
    expect(envOf(services.temporal)).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql', DB_PORT: '5432' });
    expect(services['temporal-ui'].image).toMatch(/^temporalio\/ui:/);
    expect(envOf(services['temporal-ui']).TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('publishes each host port once, on 127.0.0.1 only by default, the UI on 8080 and the frontend on 7233', () => {
    const published = Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((p) => {
      const parts = String(p).split(':');
      return { name, ip: parts.length === 3 ? parts[0] : '0.0.0.0', host: parts.at(-2), container: parts.at(-1) };
    }));
    const hosts = published.map((p) => p.host);
    expect(new Set(hosts).size).toBe(hosts.length);
    // No TLS and no authentication on these ports: reachable from other machines only when PUBLISH_IP says so.
    for (const p of published) expect(p, `${p.name} publishes ${p.host}`).toMatchObject({ ip: '127.0.0.1' });
    expect(published).toEqual(expect.arrayContaining([
      { name: 'temporal-ui', ip: '127.0.0.1', host: '8080', container: '8080' },
      { name: 'temporal', ip: '127.0.0.1', host: '7233', container: '7233' },
    ]));
  });

  it('pins the versions the script tier builds (scripts/temporal-server/pins.sh), and both use the same setup files', () => {
    const pins = Object.fromEntries([...read('scripts/temporal-server/pins.sh').matchAll(/^([A-Z_]+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
    expect(pins.TEMPORAL_SERVER_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pins.TEMPORAL_UI_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    const imageVersion = (s: Service) => s.image!.split(':')[1];
    expect(imageVersion(services.temporal)).toBe(pins.TEMPORAL_SERVER_VERSION);
    for (const [name, s] of Object.entries(services).filter(([, x]) => x.image?.startsWith('temporalio/admin-tools:'))) {
      expect(imageVersion(s), `${name}: admin-tools of the server's version`).toBe(pins.TEMPORAL_SERVER_VERSION);
    }
    expect(imageVersion(services['temporal-ui'])).toBe(pins.TEMPORAL_UI_VERSION);

    const start = read('scripts/temporal-server/start.sh');
    const sourceMountedAt = (service: string, target: string) => mounts(services[service]).find((m) => m.target.endsWith(target))?.source.replace(/^\.\//, '');
    for (const [service, target] of [['temporal', 'gprecover.yaml'], ['temporal-schema', 'setup-schema.sh'], ['temporal-setup', 'setup-namespace.sh']]) {
      const source = sourceMountedAt(service, target);
      expect(source, `${service} mounts ${target}`).toBeDefined();
      expect(start, `start.sh uses ${source}, as ${service} does`).toContain(`"$ROOT/${source}"`);
    }
    expect(sourceMountedAt('temporal-setup', 'search-attributes')).toBe('deploy/temporal/search-attributes');
  });

  it('depends_on names existing services, with conditions they can meet', () => {
    for (const [name, s] of Object.entries(services)) {
      const deps = Array.isArray(s.depends_on) ? Object.fromEntries(s.depends_on.map((d) => [d, { condition: 'service_started' }])) : s.depends_on ?? {};
      for (const [dep, { condition }] of Object.entries(deps)) {
        expect(services, `${name} depends on ${dep}`).toHaveProperty([dep]);
        expect(['service_started', 'service_healthy', 'service_completed_successfully']).toContain(condition);
        if (condition === 'service_healthy') expect(services[dep].healthcheck, `${dep} needs a healthcheck for ${name}`).toBeDefined();
        // A one-shot job restarted "unless-stopped" would never complete.
        if (condition === 'service_completed_successfully') expect(services[dep].restart ?? 'no').toMatch(/^(no|on-failure(:\d+)?)$/);
        expect(services[dep].profiles, `${name} cannot depend on ${dep}, which only runs with a profile`).toBeUndefined();
      }
    }
  });

  it('mounts only files and directories that exist in the repository (defaults of the ${VAR:-default} sources)', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const m of mounts(s)) {
        if (!m.source.startsWith('.')) {
          expect(Object.keys(compose.volumes ?? {}), `${name}: named volume ${m.source}`).toContain(m.source);
          continue;
        }
        expect(fs.existsSync(path.join(ROOT, m.source)), `${name}: ${m.source}`).toBe(true);
      }
    }
  });

  it('builds the worker from the Dockerfile and runs a real CLI command', async () => {
    const w = services.worker;
    expect(w.build?.context).toBe('.');
    expect(fs.existsSync(path.join(ROOT, w.build?.dockerfile ?? 'Dockerfile'))).toBe(true);
    const cmd = dockerfile().find((i) => i.op === 'CMD')!;
    expect(JSON.parse(cmd.args)).toEqual(w.command);
    const [bin, sub] = w.command as string[];
    expect(bin).toBe('bin/gprecover');
    expect(fs.statSync(path.join(ROOT, bin)).mode & 0o111).not.toBe(0);
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
    try {
      expect(await main([sub, '--help'])).toBe(0);
    } finally {
      log.mockRestore();
    }
    expect(out.join('\n')).toMatch(/^usage: gprecover worker/);
  });

  it('gives the worker the environment it reads: the Temporal frontend service and the clusters file', () => {
    const w = services.worker;
    const env = envOf(w);
    const ep = endpointFromEnv(env);
    const [host, port] = ep.address.split(':');
    expect(services).toHaveProperty([host]);
    expect(services[host].ports?.some((p) => String(p).endsWith(`:${port}`))).toBe(true);
    expect(ep.namespace).toBe(envOf(services['temporal-setup']).TEMPORAL_NAMESPACE);
    expect(ep.tls).toBeUndefined();

    const cfgPath = (() => {
      const saved = process.env.GPRECOVER_CONFIG;
      process.env.GPRECOVER_CONFIG = env.GPRECOVER_CONFIG;
      try {
        return clustersFilePath();
      } finally {
        if (saved === undefined) delete process.env.GPRECOVER_CONFIG;
        else process.env.GPRECOVER_CONFIG = saved;
      }
    })();
    const clustersMount = mounts(w).find((m) => m.target === cfgPath);
    expect(clustersMount, `a volume mounted at GPRECOVER_CONFIG=${cfgPath}`).toMatchObject({ readOnly: true });
    const example = readClustersFile(path.join(ROOT, clustersMount!.source));
    expect(Object.keys(example.clusters).length).toBeGreaterThan(0);
    for (const c of Object.values(example.clusters)) expect(c).toMatchObject({ coordinator: { host: expect.any(String), port: expect.any(Number) }, gpHome: expect.any(String) });
  });

  it('mounts the SSH directory read-only at ~/.ssh of the user the image runs as', () => {
    const user = dockerfile().filter((i) => i.op === 'USER').at(-1)?.args;
    expect(user).toBe('node');
    expect(mounts(services.worker).find((m) => m.target === '/home/node/.ssh')).toMatchObject({ readOnly: true });
    expect(read('deploy/ssh/.gitignore')).toMatch(/^\*$/m);
    expect(dockerignore).toContain('deploy/ssh');
  });

  it('registers every search attribute the workflows write, with its type', () => {
    const setup = services['temporal-setup'];
    expect(envOf(setup).SEARCH_ATTRIBUTES, 'the list is the file beside the script, for compose and the script tier alike').toBeUndefined();
    const listFile = mounts(setup).find((m) => m.target === '/setup/search-attributes')!;
    const declared = read(listFile.source).split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((p) => p.trim().split('='));
    const expected = ALL_SEARCH_ATTRIBUTES.map((k) => [k.name, CLI_TYPE_NAMES[k.type] ?? `unmapped ${String(k.type)}`]);
    expect(declared.sort()).toEqual(expected.sort());
    const script = (setup.entrypoint as string[]).find((a) => a.endsWith('.sh'))!;
    const mount = mounts(setup).find((m) => m.target === script)!;
    const text = read(mount.source);
    expect(text).toMatch(/for pair in \$SEARCH_ATTRIBUTES/);
    expect(text).toMatch(/temporal operator search-attribute create --namespace "\$NS" --name "\$name" --type "\$type"/);
  });
});

describe('Dockerfile', () => {
  const steps = dockerfile();

  it('starts from node:20-bookworm-slim with the PostgreSQL 15 client, rsync and ssh, and npm ci', () => {
    expect(steps[0]).toEqual({ op: 'FROM', args: 'node:20-bookworm-slim' });
    const run = steps.filter((s) => s.op === 'RUN').map((s) => s.args).join(' ');
    expect(run).toMatch(/apt-get install[^&]*postgresql-client-15/);
    expect(run).toMatch(/apt-get install[^&]*\brsync\b/);
    expect(run).toMatch(/apt-get install[^&]*openssh-client/);
    expect(run).toMatch(/npm ci/);
  });

  it('copies sources that exist and that .dockerignore lets through', () => {
    const copies = steps.filter((s) => s.op === 'COPY').flatMap((s) => s.args.split(/\s+/).slice(0, -1));
    expect(copies.length).toBeGreaterThan(3);
    for (const src of copies) {
      expect(fs.existsSync(path.join(ROOT, src)), src).toBe(true);
      expect(ignored(src.replace(/^\.\//, '')), `${src} is excluded by .dockerignore`).toBe(false);
    }
  });

  it('copies every file the CLI and the worker import, and every package they import is a production dependency', () => {
    const copied = steps.filter((s) => s.op === 'COPY').flatMap((s) => s.args.split(/\s+/).slice(0, -1)).map((s) => s.replace(/^\.\//, ''));
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    const seen = new Set<string>();
    const packages = new Set<string>();
    const queue = ['client/main.ts', 'worker/createWorker.ts', 'workflows/index.ts'];
    while (queue.length) {
      const rel = queue.pop()!;
      if (seen.has(rel)) continue;
      seen.add(rel);
      expect(copied.some((c) => rel === c || rel.startsWith(`${c}/`)), `${rel} is imported but not copied into the image`).toBe(true);
      const src = read(rel);
      // Type-only imports are erased by tsx and need nothing at run time.
      const specs = [...src.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)|require\('([^']+)'\)/gm)].map((m) => m[1] ?? m[2] ?? m[3]);
      for (const spec of specs) {
        if (spec.startsWith('.')) {
          const base = path.join(path.dirname(rel), spec);
          const file = [`${base}.ts`, path.join(base, 'index.ts'), base].find((f) => fs.existsSync(path.join(ROOT, f)) && fs.statSync(path.join(ROOT, f)).isFile());
          expect(file, `${rel} imports ${spec}`).toBeDefined();
          queue.push(file!);
        } else if (!spec.startsWith('node:') && !builtinModules.includes(spec)) {
          packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
        }
      }
    }
    expect(seen.size).toBeGreaterThan(20);
    for (const p of packages) expect(Object.keys(pkg.dependencies), `${p} is imported at run time but is not in "dependencies" (npm ci --omit=dev)`).toContain(p);
    // tsx runs the sources (bin/gprecover).
    expect(Object.keys(pkg.dependencies)).toContain('tsx');
  });
});

describe('deploy/temporal/setup-namespace.sh against a real Temporal server', () => {
  let server: ReturnType<typeof spawn> | undefined;
  afterAll(async () => {
    if (server && server.exitCode === null) {
      const gone = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await gone;
    }
  });

  const freePort = () => new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

  it('creates the namespace and registers the search attributes, and a second run changes nothing', async () => {
    const cli = resolveTemporalCli();
    const port = await freePort();
    // A bare dev server: no search attributes of ours, as a fresh Temporal service would be.
    server = spawn(cli, ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'], { stdio: 'ignore' });
    const deadline = Date.now() + 60_000;
    while (!(await portOpen('127.0.0.1', port))) {
      if (Date.now() > deadline) throw new Error('dev server did not start');
      await sleep(200);
    }
    const setup = services['temporal-setup'];
    const env = {
      ...process.env,
      ...envOf(setup),
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      TEMPORAL_NAMESPACE: 'gprecover-compose-test',
      // The admin-tools image has `temporal` on its PATH; here it is the CLI the project resolved.
      PATH: `${path.dirname(cli)}:${process.env.PATH}`,
    };
    const script = path.join(ROOT, mounts(setup).find((m) => m.target.endsWith('setup-namespace.sh'))!.source);
    const first = execFileSync('/bin/sh', [script], { env, encoding: 'utf8', timeout: 90_000 });
    expect(first).toContain('namespace gprecover-compose-test ready');

    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    try {
      const { customAttributes: keys } = await connection.operatorService.listSearchAttributes({ namespace: 'gprecover-compose-test' });
      for (const k of ALL_SEARCH_ATTRIBUTES) {
        const want = `INDEXED_VALUE_TYPE_${k.type === SearchAttributeType.KEYWORD_LIST ? 'KEYWORD_LIST' : k.type === SearchAttributeType.DATETIME ? 'DATETIME' : 'KEYWORD'}`;
        const code = keys?.[k.name];
        expect(code, `${k.name} registered`).toBeDefined();
        const { temporal } = await import('@temporalio/proto');
        expect(temporal.api.enums.v1.IndexedValueType[code as number]).toBe(want);
      }
    } finally {
      await connection.close();
    }
    const second = execFileSync('/bin/sh', [script], { env, encoding: 'utf8', timeout: 90_000 });
    for (const k of ALL_SEARCH_ATTRIBUTES) expect(second).toContain(`search attribute ${k.name} already registered`);
  });
});
