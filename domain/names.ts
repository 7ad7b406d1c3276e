// Names other Greenplum tools look for: a copy, a rewind or a mirror is recognised by them, so they must match.

/** The slot a mirror streams through (gpsegrecovery, pg_basebackup --slot). */
export const REPLICATION_SLOT = 'internal_wal_replication_slot';

/** application_name of a mirror's walreceiver: FTS and gp_stat_replication know a mirror by it. */
export const WALRECEIVER_APPLICATION_NAME = 'gp_walreceiver';

/** application_name of a full copy's connections: gprecoverseg and gpstate find a running pg_basebackup by it. */
export const BASEBACKUP_APPLICATION_NAME = 'pg_basebackup';

/** application_name of pg_rewind's source connection, as gpsegrecovery sets it; gpstate finds a rewind by it. */
export const REWIND_APPLICATION_NAME = '__gprecoverseg_pg_rewind__';

/** application_name of gprecover's own SQL sessions. */
export const GPRECOVER_APPLICATION_NAME = 'gprecover';

/** application_name of the session holding a differential recovery's backup open on the source. */
export const DIFFERENTIAL_APPLICATION_NAME = 'gprecover_differential';

/** The sync watcher's sessions (one on the coordinator, one per primary), told apart from every other gprecover session. */
export const SYNC_WATCH_APPLICATION_NAME = 'gprecover_sync_watch';
