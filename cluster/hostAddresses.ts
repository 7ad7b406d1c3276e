import dns from 'node:dns/promises';
import { InvalidRequestError, PermanentError } from '../domain/failures';
import type { Location } from '../domain/segment';
import { hostProblem } from '../domain/values';
import type { ClusterContext } from './context';
import { runChecked } from './exec/executor';
import { commandArgv } from './flavor';

/**
 * Every routable address of a host, as its own interfaces list them (gp.IfAddrs.list_addrs: ifaddrs --no-loopback
 * run there): the catalog's address column usually holds a host name, and a host may have several addresses, any
 * of which its connections may leave from. Each one is checked to be an address before it goes near pg_hba.conf.
 */
export async function hostAddresses(ctx: ClusterContext, host: Pick<Location, 'hostname' | 'address'>): Promise<string[]> {
  const res = await runChecked(ctx.host(host), commandArgv(ctx.flavor.listAddresses(ctx.cfg.gpHome)), { timeoutMs: 30_000 });
  const addresses = [...new Set(res.stdout.split('\n').map((l) => l.trim()).filter(Boolean))];
  if (!addresses.length) throw new PermanentError(`host ${host.hostname} lists no routable address (ifaddrs --no-loopback printed nothing)`);
  for (const a of addresses) {
    const wrong = hostProblem(a, `an address of host ${host.hostname}`);
    if (wrong) throw new PermanentError(wrong);
  }
  return addresses;
}

/**
 * --hba-hostnames: the canonical name of a host, as socket.gethostbyaddr gives it to gprecoverseg on the coordinator
 * (here the worker's resolver, /etc/hosts included). A name that does not resolve stops the run, as it does there.
 */
export async function canonicalHostName(hostname: string): Promise<string> {
  try {
    const { address } = await dns.lookup(hostname);
    const { hostname: name } = await dns.lookupService(address, 0);
    const wrong = hostProblem(name, `the canonical name of ${hostname}`);
    if (wrong) throw new InvalidRequestError(wrong);
    return name;
  } catch (err) {
    if (err instanceof InvalidRequestError) throw err;
    throw new InvalidRequestError(`--hba-hostnames: host ${hostname} has no canonical name (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
