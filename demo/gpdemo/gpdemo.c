/*
 * gpdemo: the parts of a Greenplum 7 segment server that the demo cluster cannot get from PostgreSQL 15 alone,
 * loaded with shared_preload_libraries into every instance of a Greenplum-flavoured demo cluster.
 *
 *  - gp_role is a real setting. The postmaster's role comes from GPDEMO_ROLE, which the demo's pg_ctl wrapper sets
 *    from `-o "-c gp_role=execute"` (PostgreSQL reads its command line before any library loads, so the wrapper
 *    has to carry it). A session may only lower it to utility, as Greenplum's check_gp_role allows.
 *  - A segment (gp_role=execute) refuses every client session that does not ask for utility mode, with Greenplum 7's
 *    own error (src/backend/utils/init/postinit.c). Replication connections (walreceivers, pg_basebackup) pass, as
 *    in Greenplum.
 *  - gp_dbid shows the dbid of the instance's internal.auto.conf (read-only), as Greenplum's gp_dbid does.
 */
#include "postgres.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmgr.h"
#include "libpq/auth.h"
#include "libpq/libpq-be.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "replication/walsender.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void _PG_init(void);

static char *gp_role_setting = NULL;
static int gp_dbid_setting = -1;
static const char *postmaster_role = "undefined";
static ClientAuthentication_hook_type previous_client_auth = NULL;

static bool
known_role(const char *role)
{
	return strcmp(role, "dispatch") == 0 || strcmp(role, "execute") == 0 ||
		strcmp(role, "utility") == 0 || strcmp(role, "undefined") == 0;
}

/* Greenplum's check_gp_role: once a role is set, a session may only change it to utility. */
static bool
check_gp_role(char **newval, void **extra, GucSource source)
{
	if (!known_role(*newval))
	{
		GUC_check_errdetail("gp_role must be dispatch, execute or utility.");
		return false;
	}
	if (source > PGC_S_DYNAMIC_DEFAULT && strcmp(*newval, postmaster_role) != 0 &&
		strcmp(*newval, "utility") != 0 && strcmp(postmaster_role, "undefined") != 0)
	{
		GUC_check_errdetail("A session may only change gp_role to utility.");
		return false;
	}
	return true;
}

/* Does the startup packet ask for gp_role=utility, as an option (-c gp_role=utility) or a parameter? */
static bool
asks_for_utility(Port *port)
{
	ListCell   *lc;

	if (port->cmdline_options != NULL)
	{
		const char *p = strstr(port->cmdline_options, "gp_role=");

		if (p != NULL && strncmp(p + strlen("gp_role="), "utility", strlen("utility")) == 0)
			return true;
	}
	foreach(lc, port->guc_options)
	{
		const char *name = (const char *) lfirst(lc);

		lc = lnext(port->guc_options, lc);
		if (lc == NULL)
			break;
		if (strcmp(name, "gp_role") == 0 && strcmp((const char *) lfirst(lc), "utility") == 0)
			return true;
	}
	return false;
}

static void
gpdemo_client_auth(Port *port, int status)
{
	if (previous_client_auth)
		previous_client_auth(port, status);
	if (status != STATUS_OK || am_walsender)
		return;
	if (strcmp(postmaster_role, "execute") == 0 && !asks_for_utility(port))
		ereport(FATAL,
				(errcode(ERRCODE_CANNOT_CONNECT_NOW),
				 errmsg("connections to primary segments are not allowed"),
				 errdetail("This database instance is running as a primary segment in a Greenplum cluster and does not permit direct connections."),
				 errhint("To force a connection anyway (dangerous!), use utility mode.")));
}

/* gp_dbid=N of internal.auto.conf in the data directory (the postmaster runs in it). */
static int
read_gp_dbid(void)
{
	FILE	   *f = fopen("internal.auto.conf", "r");
	char		line[256];
	int			dbid = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
	{
		if (sscanf(line, " gp_dbid = %d", &dbid) == 1 || sscanf(line, "gp_dbid=%d", &dbid) == 1)
			break;
	}
	fclose(f);
	return dbid;
}

void
_PG_init(void)
{
	const char *role = getenv("GPDEMO_ROLE");

	if (!process_shared_preload_libraries_in_progress)
		return;
	if (role != NULL && known_role(role))
		postmaster_role = role;
	DefineCustomStringVariable("gp_role",
							   "Greenplum role of this instance (dispatch, execute) or session (utility).",
							   NULL, &gp_role_setting, postmaster_role, PGC_BACKEND, 0,
							   check_gp_role, NULL, NULL);
	gp_dbid_setting = read_gp_dbid();
	DefineCustomIntVariable("gp_dbid", "The dbid used by this server (from internal.auto.conf).", NULL,
							&gp_dbid_setting, gp_dbid_setting, -1, 32767, PGC_INTERNAL, 0,
							NULL, NULL, NULL);
	previous_client_auth = ClientAuthentication_hook;
	ClientAuthentication_hook = gpdemo_client_auth;
}
