-- Greenplum 6/7 catalog surface that gprecover uses, on a plain PostgreSQL coordinator.
-- Column names, types and function signatures follow GPDB (gp_segment_configuration, gp_configuration_history,
-- gp_add_segment, gp_remove_segment_mirror, gp_request_fts_probe_scan).

CREATE TABLE IF NOT EXISTS gp_segment_configuration (
  dbid smallint PRIMARY KEY,
  content smallint NOT NULL,
  role "char" NOT NULL CHECK (role IN ('p', 'm')),
  preferred_role "char" NOT NULL CHECK (preferred_role IN ('p', 'm')),
  mode "char" NOT NULL CHECK (mode IN ('s', 'n')),
  status "char" NOT NULL CHECK (status IN ('u', 'd')),
  port integer NOT NULL,
  hostname text NOT NULL,
  address text NOT NULL,
  datadir text NOT NULL,
  -- Checked at commit: a failover or rebalance swaps the roles of a pair with two UPDATEs in one transaction.
  UNIQUE (content, role) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE IF NOT EXISTS gp_configuration_history (
  time timestamptz NOT NULL DEFAULT now(),
  dbid smallint NOT NULL,
  "desc" text
);

-- gp_request_fts_probe_scan() returns once the prober has completed a probe cycle that started after the call.
-- Sequences are not transactional, so the prober sees the request while this function is still waiting.
CREATE SEQUENCE IF NOT EXISTS gp_fts_probe_requested;
-- Starts at 0, below the first ticket (1): otherwise the very first request would count as already answered.
CREATE SEQUENCE IF NOT EXISTS gp_fts_probe_completed MINVALUE 0 START 0;

CREATE OR REPLACE FUNCTION gp_request_fts_probe_scan() RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  ticket bigint := nextval('gp_fts_probe_requested');
  deadline timestamptz := clock_timestamp() + interval '60 seconds';
BEGIN
  LOOP
    IF (SELECT last_value FROM gp_fts_probe_completed) >= ticket THEN
      RETURN true;
    END IF;
    IF clock_timestamp() > deadline THEN
      RAISE EXCEPTION 'FTS probe did not complete within 60 seconds (is the FTS prober running?)';
    END IF;
    PERFORM pg_sleep(0.05);
  END LOOP;
END $$;

CREATE OR REPLACE FUNCTION gp_add_segment(
  dbid smallint, content smallint, role "char", preferred_role "char", mode "char", status "char",
  port integer, hostname text, address text, datadir text
) RETURNS smallint
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM gp_segment_configuration c WHERE c.dbid = gp_add_segment.dbid) THEN
    RAISE EXCEPTION 'dbid % already exists in gp_segment_configuration', gp_add_segment.dbid;
  END IF;
  INSERT INTO gp_segment_configuration
    VALUES (gp_add_segment.dbid, gp_add_segment.content, gp_add_segment.role, gp_add_segment.preferred_role,
            gp_add_segment.mode, gp_add_segment.status, gp_add_segment.port, gp_add_segment.hostname,
            gp_add_segment.address, gp_add_segment.datadir);
  RETURN gp_add_segment.dbid;
END $$;

CREATE OR REPLACE FUNCTION gp_remove_segment_mirror(contentid smallint) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  DELETE FROM gp_segment_configuration WHERE content = contentid AND role = 'm';
  IF NOT FOUND THEN
    RAISE EXCEPTION 'content % has no mirror to remove', contentid;
  END IF;
  RETURN true;
END $$;
