import type { ToolFact } from '../../domain/doctor';
import { errorMessage } from '../../domain/failures';
import type { Executor } from '../exec/executor';
import { commandArgv, type ClusterFlavor } from '../flavor';

/** The flavour's own looks at its tools (cluster/flavor), one after another on the host: none connects or writes. */
export async function checkTools(exec: Executor, flavor: ClusterFlavor, bin: string): Promise<ToolFact[]> {
  const out: ToolFact[] = [];
  for (const check of flavor.toolChecks(bin)) {
    try {
      const res = await exec.run(commandArgv(check.command), { timeoutMs: 30_000 });
      const output = `${res.stdout}\n${res.stderr}`;
      const fits = check.fits(res.code, output);
      out.push({ tool: check.tool, needs: check.needs, fits, ...(fits ? {} : { output: `exit ${res.code}: ${output.trim().split('\n')[0] ?? ''}`.slice(0, 200) }) });
    } catch (err) {
      out.push({ tool: check.tool, needs: check.needs, fits: false, output: errorMessage(err) });
    }
  }
  return out;
}
