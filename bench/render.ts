// Re-renders the report from a run's JSON (printed at the end of `npm run bench`) without measuring again, e.g.
// after a wording change in report.ts: `npx tsx bench/render.ts /tmp/gprecover-bench-….json [docs/benchmarks.md]`.
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../cluster/config';
import { renderReport, type BenchResults } from './report';

const [file, out = 'docs/benchmarks.md'] = process.argv.slice(2);
if (!file) {
  console.error('usage: tsx bench/render.ts RESULTS.json [OUT.md]');
  process.exit(2);
}
const results = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResults;
fs.writeFileSync(path.resolve(PROJECT_ROOT, out), renderReport(results));
console.error(`wrote ${out} from ${file}`);
