'use strict';
// The local executor's spawner (cluster/exec/spawner.ts): a small process that starts the worker's local commands.
// fork() copies the page tables of the process that calls it, and Node calls it on its main thread: from a worker of
// a few hundred MB each command blocked the event loop for milliseconds, from this process it costs little. Plain
// JavaScript, no loader, nothing imported but Node's own modules, so that it stays small.
const { spawn } = require('node:child_process');

const children = new Map();

function send(message) {
  if (process.connected) process.send(message);
}

function killGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

function run({ id, file, args, env, uid, gid, cwd, input }) {
  let ended = false;
  const end = (message) => {
    if (ended) return;
    ended = true;
    children.delete(id);
    send(message);
  };
  try {
    const child = spawn(file, args, { env, detached: true, stdio: ['pipe', 'pipe', 'pipe'], uid, gid, cwd });
    child.on('error', (err) => end({ t: 'error', id, message: err.message, code: err.code }));
    // A program that cannot be run (ENOENT, EACCES): no pid, and its 'error' follows.
    if (!child.pid) return;
    // Out of descriptors (EMFILE), Node hands back a child without its pipes, and no 'error' may follow.
    if (!child.stdout || !child.stderr || !child.stdin) {
      killGroup(child.pid);
      end({ t: 'error', id, message: `could not start ${file}: no pipes to it (out of file descriptors?)`, code: 'ESPAWN' });
      return;
    }
    children.set(id, child);
    // Its pid first: should this process die, the worker kills what it started (spawner.ts).
    send({ t: 'started', id, pid: child.pid });
    child.stdout.setEncoding('utf8').on('data', (chunk) => send({ t: 'out', id, stream: 'stdout', chunk }));
    child.stderr.setEncoding('utf8').on('data', (chunk) => send({ t: 'out', id, stream: 'stderr', chunk }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
    child.on('close', (code, signal) => end({ t: 'exit', id, code, signal }));
  } catch (err) {
    end({ t: 'error', id, message: err.message, code: err.code });
  }
}

process.on('message', (m) => {
  if (m.t === 'run') run(m);
  else if (m.t === 'kill') {
    const child = children.get(m.id);
    if (child && child.pid) killGroup(child.pid);
  }
});
// It lives as long as the worker, and only that long: the signals a terminal or a service manager sends the worker's
// process group are the worker's to act on (it shuts down gracefully, its commands still running), and once the
// worker is gone (exited, killed) the channel closes and so does this process. Commands still running go on, as they
// would have had the worker started them itself (each runs in its own process group).
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => undefined);
process.on('disconnect', () => process.exit(0));
