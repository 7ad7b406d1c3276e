import path from 'node:path';
import { PROJECT_ROOT } from '../../cluster/config';

/** test/replay/histories/v<release>/<scenario>/<n>-<workflow type>.binpb, written by test/replay/record.ts. */
export const HISTORIES = path.join(PROJECT_ROOT, 'test', 'replay', 'histories');
