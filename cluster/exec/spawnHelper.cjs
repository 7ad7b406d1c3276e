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
  let child;
  try {
    child = spawn(file, args, { env, detached: true, stdio: ['pipe', 'pipe', 'pipe'], uid, gid, cwd });
  } catch (err) {
    send({ t: 'error', id, message: err.message, code: err.code });
    return;
  }
  children.set(id, child);
  let ended = false;
  const end = (message) => {
    if (ended) return;
    ended = true;
    children.delete(id);
    send(message);
  };
  child.stdout.setEncoding('utf8').on('data', (chunk) => send({ t: 'out', id, stream: 'stdout', chunk }));
  child.stderr.setEncoding('utf8').on('data', (chunk) => send({ t: 'out', id, stream: 'stderr', chunk }));
  child.stdin.on('error', () => undefined);
  child.stdin.end(input ?? '');
  child.on('error', (err) => end({ t: 'error', id, message: err.message, code: err.code }));
  child.on('close', (code, signal) => end({ t: 'exit', id, code, signal }));
}

process.on('message', (m) => {
  if (m.t === 'run') run(m);
  else if (m.t === 'kill') {
    const child = children.get(m.id);
    if (child && child.pid) killGroup(child.pid);
  }
});
// The worker is gone (exited, killed): so is its spawner. Commands still running go on, as they would have had the
// worker started them itself (each runs in its own process group).
process.on('disconnect', () => process.exit(0));
