import type { SpaceFact } from '../../domain/doctor';
import { errorMessage } from '../../domain/failures';
import type { Executor } from '../exec/executor';

// The nearest existing directory on the way to the data directory (it may be gone), and df's free kB there.
const FREE = String.raw`
a=$1; while [ ! -e "$a" ] && [ "$a" != / ]; do a=$(dirname "$a"); done
echo "ancestor=$a"
df -Pk "$a" | awk 'NR == 2 { print "free_kb=" $4 }'
`;

/** du of a large directory takes its time; past this, what the mirror holds is unknown (and the verdict careful). */
const DU_WITHIN_MS = 60_000;

/** Free space of the filesystem a mirror's data directory lives on, and what the directory holds now. */
export async function mirrorSpace(exec: Executor, datadir: string): Promise<SpaceFact | { error: string }> {
  try {
    const res = await exec.run(['sh', '-c', FREE, 'gprecover-doctor-df', datadir], { timeoutMs: 30_000 });
    const ancestor = /^ancestor=(.*)$/m.exec(res.stdout)?.[1];
    const free = /^free_kb=(\d+)$/m.exec(res.stdout)?.[1];
    if (!ancestor || free === undefined) return { error: `df printed no free space (exit ${res.code}${res.stderr.trim() ? `: ${res.stderr.trim().split('\n')[0]}` : ''})` };
    // A directory that is gone holds nothing; a du that could not read everything undercounts, so only a clean one counts.
    if (ancestor !== datadir) return { ancestor, freeKb: Number(free), heldKb: 0 };
    const du = await exec.run(['du', '-sk', datadir], { timeoutMs: DU_WITHIN_MS }).catch(() => undefined);
    const held = du?.code === 0 ? /^(\d+)\s/.exec(du.stdout)?.[1] : undefined;
    return { ancestor, freeKb: Number(free), ...(held !== undefined ? { heldKb: Number(held) } : {}) };
  } catch (err) {
    return { error: errorMessage(err) };
  }
}
