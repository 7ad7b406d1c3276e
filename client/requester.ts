import os from 'node:os';

/** Who runs this command, as runs and live controls record it: user@host. */
export const localRequester = (): string => `${os.userInfo().username}@${os.hostname()}`;
