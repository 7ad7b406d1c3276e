// Pure planning, first pass: which failed segment is rebuilt where, from what, and how, from the catalog alone.
// Deterministic, so the workflow runs it and the plan is in its history.
import { sourceFor } from '../decide/contentAction';
import type { ClusterSnapshot } from '../probe';
import type { RecoveryInput, RecoveryType, SegmentPlan } from '../recovery';
import { matchesSegment, type RecoverConfigLine } from '../recoverConfig';
import { locationOf, where, type Location, type SegmentRow } from '../segment';
import { PlanError } from './planError';

function recoveryTypeFor(input: RecoveryInput, line: RecoverConfigLine | undefined, moved: boolean): RecoveryType {
  if (moved) return 'full';
  if (line?.type) return line.type;
  if (input.full) return 'full';
  if (input.differential) return 'differential';
  return 'incremental';
}

/** First pass, from the catalog alone: the failed segments to recover and their targets. */
export function selectTargets(snapshot: ClusterSnapshot, input: RecoveryInput, lines?: RecoverConfigLine[]): SegmentPlan[] {
  const problems: string[] = [];
  const segs = snapshot.segments.filter((s) => s.content >= 0);
  const chosen: Array<{ failed: SegmentRow; line?: RecoverConfigLine }> = [];
  if (!snapshot.flavor.differential && (input.differential || lines?.some((l) => l.type === 'differential'))) {
    problems.push(`${snapshot.flavor.title} has no differential recovery (gprecoverseg --differential is Greenplum 7 only); use incremental or -F (full)`);
  }
  if (lines) {
    for (const line of lines) {
      const failed = segs.find((s) => matchesSegment(line.failed, s));
      if (!failed) {
        const described = line.failed.hostname !== undefined
          ? `hostname|address|port|directory '${line.failed.hostname}|${line.failed.address}|${line.failed.port}|${line.failed.datadir}'`
          : `address|port|directory '${line.failed.address}|${line.failed.port}|${line.failed.datadir}'`;
        problems.push(`A segment to recover was not found in configuration.  This segment is described by ${described} (line ${line.lineNo}, cluster '${snapshot.cluster}')`);
      } else {
        chosen.push({ failed, line });
      }
    }
  } else {
    for (const s of segs) if (s.status === 'd') chosen.push({ failed: s });
  }

  const spareFor = new Map<string, string>();
  if (input.spareHosts?.length) {
    const failedHosts = [...new Set(chosen.map((c) => c.failed.hostname))];
    if (failedHosts.length > input.spareHosts.length) {
      problems.push(`${failedHosts.length} failed host(s) (${failedHosts.join(', ')}) but only ${input.spareHosts.length} spare host(s) given with -p`);
    }
    failedHosts.forEach((h, i) => input.spareHosts![i] && spareFor.set(h, input.spareHosts![i]));
    for (const spare of input.spareHosts) {
      if (!snapshot.hostAddresses[spare]) problems.push(`spare host '${spare}' is not configured for cluster '${snapshot.cluster}' (add it to the worker's clusters file)`);
    }
  }

  const items: SegmentPlan[] = [];
  for (const { failed, line } of chosen) {
    const label = `dbid ${failed.dbid} (content ${failed.content}, ${where(failed)})`;
    if (failed.role === 'p' && failed.status === 'u') {
      problems.push(`${label} is the acting primary; it is never stopped or moved (rebalance first)`);
      continue;
    }
    const way = sourceFor(failed, segs);
    if (way.action !== 'recover') {
      problems.push(way.action === 'wait' ? `${way.reason}; wait for FTS or check the cluster`
        : way.peer ? `${way.reason} (double fault); gprecover cannot recover it, repair one segment by hand first`
          : `${way.reason}; there is nothing to recover it from`);
      continue;
    }
    const peer = way.source;
    const spare = spareFor.get(failed.hostname);
    const lineTarget = line?.target;
    const moved = !!lineTarget || !!spare;
    if (failed.status === 'u' && !moved) {
      problems.push(`${label} is already up; nothing to recover`);
      continue;
    }
    let target: Location = locationOf(failed);
    if (lineTarget) {
      const hostname = lineTarget.hostname ?? Object.keys(snapshot.hostAddresses).find((h) => snapshot.hostAddresses[h] === lineTarget.address) ?? lineTarget.address;
      // Every host a recovery reaches is one the worker knows: a host of the catalog, or one its configuration names.
      const addresses = new Set([snapshot.hostAddresses[hostname], hostname, ...segs.filter((s) => s.hostname === hostname).map((s) => s.address)]);
      if (!(hostname in snapshot.hostAddresses)) {
        problems.push(`new location of ${label}: host '${hostname}' is neither in gp_segment_configuration nor configured for cluster '${snapshot.cluster}' (add it under "hosts" in the worker's clusters file)`);
        continue;
      }
      if (!addresses.has(lineTarget.address)) {
        problems.push(`new location of ${label}: address '${lineTarget.address}' is not an address of host '${hostname}' (${[...addresses].filter(Boolean).join(', ')})`);
        continue;
      }
      target = { hostname, address: lineTarget.address, port: lineTarget.port, datadir: lineTarget.datadir };
    } else if (spare) {
      target = { ...target, hostname: spare, address: snapshot.hostAddresses[spare] ?? spare };
    }
    if (moved) {
      const clash = segs.find((s) => s.dbid !== failed.dbid && (s.hostname === target.hostname || s.address === target.address)
        && (s.port === target.port || s.datadir === target.datadir));
      if (clash) problems.push(`new location ${where(target)} for ${label} collides with dbid ${clash.dbid} at ${where(clash)}`);
    }
    items.push({ content: failed.content, dbid: failed.dbid, type: recoveryTypeFor(input, line, moved), failed, source: peer, target, moved });
  }
  const dupTargets = new Set<string>();
  for (const it of items) {
    const key = `${it.target.address}|${it.target.datadir}`;
    if (dupTargets.has(key)) problems.push(`two segments would be recovered into ${it.target.hostname}:${it.target.datadir}`);
    dupTargets.add(key);
  }
  if (problems.length) throw new PlanError(problems);
  return items;
}

