import { describe, expect, it } from 'vitest';
import { sessionFailed } from '../../cluster/keptSessions';
import { CopyConflictError } from '../../cluster/segment/errors';

/** What node-postgres hands over for an error the server sent (pg-protocol's DatabaseError). */
const fromServer = (code: string, message: string) => Object.assign(new Error(message), { severity: 'ERROR', code });

describe('a kept session is given up, and its use run again, only when the session failed', () => {
  it('the server ended the session, its socket went away, or node-postgres gave it up', () => {
    expect(sessionFailed(fromServer('57P01', 'terminating connection due to administrator command'))).toBe(true);
    expect(sessionFailed(fromServer('08006', 'connection failure'))).toBe(true);
    expect(sessionFailed(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(sessionFailed(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(sessionFailed(new Error('Query read timeout'))).toBe(true);
    expect(sessionFailed(new Error('Client has encountered a connection error and is not queryable'))).toBe(true);
  });

  it('a statement the server refused, or the use\'s own verdict, fails the use once', () => {
    expect(sessionFailed(fromServer('42P01', 'relation "no_such_table" does not exist'))).toBe(false);
    expect(sessionFailed(fromServer('55006', 'replication slot "internal_wal_replication_slot" is active for PID 42'))).toBe(false);
    expect(sessionFailed(new CopyConflictError('replication slot internal_wal_replication_slot on dbid 2 is still in use by pid 42'))).toBe(false);
    expect(sessionFailed(new TypeError("Cannot read properties of undefined (reading 'v')"))).toBe(false);
    expect(sessionFailed(undefined)).toBe(false);
  });
});
