/* lib/store_pg_schema.c - lib/store's schema in PostgreSQL's dialect:
 * the same tables, columns, keys and CHECKs (with the same constraint
 * names, so errors read the same) as store_sqlite.c's steps, one step per
 * schema version. Case-insensitive columns are citext, as COLLATE NOCASE
 * is in SQLite. aliases and virtual_aliases carry a rowid identity so
 * destinations come back in insertion order as SQLite's rowid gives.
 *
 * Also here: facteur_schema (the schema version: PRAGMA user_version's
 * equivalent) and facteur_stamp, a counter that statement triggers bump
 * on every committed change to the tables daemons cache (PRAGMA
 * data_version's equivalent; store_change_stamp), and the roles.
 *
 * A released step is never edited; a change is a new step, in both
 * dialects at once. */
#include "store_pg_int.h"

#define PG_BOOL(col)                                                           \
	" " col " integer NOT NULL DEFAULT 1"                                  \
	"  CONSTRAINT \"" col " must be 0 or 1\" CHECK (" col " IN (0, 1)),"
#define PG_CREATED                                                             \
	" created bigint NOT NULL"                                             \
	"  DEFAULT (CAST(extract(epoch FROM now()) AS bigint))"
#define PG_ACCESS_TAIL                                                         \
	" code integer NOT NULL DEFAULT 0"                                     \
	"  CONSTRAINT \"code must be 400..599 for REJECT, 0 otherwise\""       \
	"  CHECK ((action = 'REJECT' AND code BETWEEN 400 AND 599)"            \
	"   OR (action <> 'REJECT' AND code = 0)),"                            \
	" enhanced text NOT NULL DEFAULT ''"                                   \
	"  CONSTRAINT \"enhanced code must be like 5.7.1 and match the code\"" \
	"  CHECK (enhanced = '' OR (enhanced ~ "                               \
	"'^[45]\\.[0-9][0-9.]*\\.[0-9][0-9.]*$'"                               \
	"   AND substr(enhanced, 1, 1) = substr(CAST(code AS text), 1, 1))),"  \
	" message text NOT NULL DEFAULT ''"                                    \
	"  CONSTRAINT \"message must be one line\""                            \
	"  CHECK (strpos(message, chr(10)) = 0 AND strpos(message, chr(13)) "  \
	"= 0)," PG_BOOL("active") PG_CREATED ");"
#define PG_STAMPED(t)                                                          \
	"CREATE TRIGGER " t "_stamp AFTER INSERT OR UPDATE OR DELETE OR"       \
	" TRUNCATE ON " t " FOR EACH STATEMENT"                                \
	" EXECUTE FUNCTION facteur_stamp_bump();"

/* The Bayes tables hold words of the users' mail: read and written by
 * the admin (facteur spam learn) and the milters (scoring, and
 * auto-learn, whose handle turns its session's read-only default off);
 * not readable by lookup and lmtp. */
#define PG_BAYES_GRANTS                                                        \
	"REVOKE ALL ON bayes_tokens, bayes_seen, bayes_totals FROM"            \
	" facteur_lookup, facteur_lmtp;"                                       \
	"GRANT SELECT, INSERT, UPDATE, DELETE ON bayes_tokens, bayes_seen,"    \
	" bayes_totals TO facteur_milter, facteur_admin;"

const char *const store_pg_steps[STORE_SCHEMA_VERSION] = {
    /* 0 -> 1: the first schema; see docs/schema.md. */
    "CREATE EXTENSION IF NOT EXISTS citext;"
    "CREATE TABLE domains ("
    " name citext NOT NULL PRIMARY KEY"
    "  CONSTRAINT \"domain name must be 1 to 253 characters\""
    "  CHECK (length(name) BETWEEN 1 AND 253 AND strpos(name, '@') = 0),"
    " is_default integer NOT NULL DEFAULT 0"
    "  CONSTRAINT \"is_default must be 0 or 1\" CHECK (is_default IN (0, "
    "1))," PG_BOOL("active") PG_CREATED
    ");"
    "CREATE TABLE users ("
    " address citext NOT NULL PRIMARY KEY"
    "  CONSTRAINT \"address must be local@domain\""
    "  CHECK (address LIKE '_%@_%'),"
    " domain citext NOT NULL"
    "  REFERENCES domains(name) ON UPDATE CASCADE ON DELETE RESTRICT,"
    " password text NOT NULL"
    "  CONSTRAINT \"password hash must not be empty\""
    "  CHECK (length(password) > 0),"
    " full_name text NOT NULL DEFAULT '',"
    " maildir text NOT NULL"
    "  CONSTRAINT \"maildir must be relative, end in / and hold no ..\""
    "  CHECK (length(maildir) > 1 AND substr(maildir, 1, 1) <> '/'"
    "   AND right(maildir, 1) = '/' AND strpos(maildir, '..') = 0),"
    " uid bigint NOT NULL DEFAULT -1"
    "  CONSTRAINT \"uid must be -1 or positive\" CHECK (uid = -1 OR uid > 0),"
    " gid bigint NOT NULL DEFAULT -1"
    "  CONSTRAINT \"gid must be -1 or positive\" CHECK (gid = -1 OR gid > 0),"
    " quota_bytes bigint NOT NULL DEFAULT 0"
    "  CONSTRAINT \"quota must not be negative\" CHECK (quota_bytes >= 0),"
    " quota_messages bigint NOT NULL DEFAULT 0"
    "  CONSTRAINT \"quota must not be negative (messages)\""
    "  CHECK (quota_messages >= 0)," PG_BOOL("active") PG_CREATED
    ","
    " CONSTRAINT \"address must end in @domain\""
    "  CHECK (lower(right(address, length(domain) + 1)) ="
    "   '@' || lower(domain)));"
    "CREATE INDEX users_domain ON users(domain);"
    "CREATE TABLE aliases ("
    " alias citext NOT NULL"
    "  CONSTRAINT \"alias must not be empty\" CHECK (length(alias) > 0),"
    " destination text NOT NULL"
    "  CONSTRAINT \"destination must not be empty\""
    "  CHECK (length(destination) > 0 AND strpos(destination, ',') = "
    "0)," PG_BOOL(
	"active") " rowid bigint GENERATED ALWAYS AS IDENTITY,"
		  " PRIMARY KEY (alias, destination));"
		  "CREATE TABLE virtual_aliases ("
		  " address citext NOT NULL"
		  "  CONSTRAINT \"address must be local@domain or @domain\""
		  "  CHECK (address LIKE '%@_%'),"
		  " destination text NOT NULL"
		  "  CONSTRAINT \"destination must not be empty\""
		  "  CHECK (length(destination) > 0 AND strpos(destination, "
		  "',') = 0)," PG_BOOL(
		      "active") " rowid bigint GENERATED ALWAYS AS IDENTITY,"
				" PRIMARY KEY (address, destination));"
				"CREATE TABLE sender_blacklist ("
				" pattern citext NOT NULL PRIMARY KEY"
				"  CONSTRAINT \"pattern must not be empty\" "
				"CHECK (length(pattern) > 0),"
				" kind text NOT NULL"
				"  CONSTRAINT \"kind must be address, domain "
				"or ip\""
				"  CHECK (kind IN ('address', 'domain', 'ip')),"
				" action text NOT NULL DEFAULT 'REJECT'"
				"  CONSTRAINT \"action must be REJECT or OK\""
				"  CHECK (action IN ('REJECT', "
				"'OK'))," PG_ACCESS_TAIL
				"CREATE TABLE recipient_blacklist ("
				" pattern citext NOT NULL PRIMARY KEY"
				"  CONSTRAINT \"pattern must not be empty\" "
				"CHECK (length(pattern) > 0),"
				" action text NOT NULL DEFAULT 'REJECT'"
				"  CONSTRAINT \"action must be REJECT, "
				"DISCARD, HOLD or OK\""
				"  CHECK (action IN ('REJECT', 'DISCARD', "
				"'HOLD', 'OK'))," PG_ACCESS_TAIL
				"CREATE TABLE dkim_keys ("
				" id bigint GENERATED BY DEFAULT AS IDENTITY "
				"PRIMARY KEY,"
				" domain citext NOT NULL"
				"  CONSTRAINT \"domain must not be empty\" "
				"CHECK (length(domain) > 0),"
				" selector citext NOT NULL"
				"  CONSTRAINT \"selector must not be empty\""
				"  CHECK (length(selector) > 0),"
				" algorithm text NOT NULL"
				"  CONSTRAINT \"algorithm must be rsa-sha256 "
				"or ed25519-sha256\""
				"  CHECK (algorithm IN ('rsa-sha256', "
				"'ed25519-sha256')),"
				" key_path text NOT NULL"
				"  CONSTRAINT \"key_path must be absolute\""
				"  CHECK (substr(key_path, 1, 1) = "
				"'/')," PG_BOOL("active") PG_CREATED
    ","
    " UNIQUE (domain, selector));"
    "CREATE TABLE facteur_stamp (n bigint NOT NULL);"
    "INSERT INTO facteur_stamp VALUES (0);"
    "CREATE FUNCTION facteur_stamp_bump() RETURNS trigger LANGUAGE plpgsql"
    " AS $$BEGIN UPDATE facteur_stamp SET n = n + 1; RETURN NULL; "
    "END$$;" PG_STAMPED("domains") PG_STAMPED("users") PG_STAMPED("aliases")
	PG_STAMPED("virtual_aliases") PG_STAMPED("sender_blacklist")
	    PG_STAMPED("recipient_blacklist") PG_STAMPED("dkim_keys"),
    /* 1 -> 2: Sieve vacation replies already sent (facteur-lmtp). */
    "CREATE TABLE vacation_sent ("
    " address citext NOT NULL"
    "  CONSTRAINT \"address must not be empty\" CHECK (length(address) > 0),"
    " sender citext NOT NULL"
    "  CONSTRAINT \"sender must not be empty\" CHECK (length(sender) > 0),"
    " handle text NOT NULL,"
    " sent_at bigint NOT NULL,"
    " PRIMARY KEY (address, sender, handle));"
    "CREATE INDEX vacation_sent_at ON vacation_sent(sent_at);",
    /* 2 -> 3: facteur-spam's Bayes (lib/spam/bayes_pg.c), the same
     * tables as the SQLite bayes file: token counts, the digests of the
     * messages learned (learning twice is a no-op), the class totals.
     * Counts change in place (HOT updates: fillfactor). Roles made by an
     * earlier db init get the same grants as store_pg_roles_sql gives. */
    "CREATE TABLE bayes_tokens ("
    " h bigint NOT NULL PRIMARY KEY,"
    " spam bigint NOT NULL DEFAULT 0"
    "  CONSTRAINT \"spam count must not be negative\" CHECK (spam >= 0),"
    " ham bigint NOT NULL DEFAULT 0"
    "  CONSTRAINT \"ham count must not be negative\" CHECK (ham >= 0),"
    " atime bigint NOT NULL DEFAULT 0) WITH (fillfactor = 80);"
    "CREATE TABLE bayes_seen ("
    " digest bytea NOT NULL PRIMARY KEY"
    "  CONSTRAINT \"digest must be 32 bytes\" CHECK (length(digest) = 32),"
    " is_spam integer NOT NULL"
    "  CONSTRAINT \"is_spam must be 0 or 1\" CHECK (is_spam IN (0, 1)));"
    "CREATE TABLE bayes_totals ("
    " id integer NOT NULL PRIMARY KEY CHECK (id = 1),"
    " nspam bigint NOT NULL CHECK (nspam >= 0),"
    " nham bigint NOT NULL CHECK (nham >= 0));"
    "INSERT INTO bayes_totals VALUES (1, 0, 0);"
    "DO $$ BEGIN"
    " IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'facteur_admin')"
    "  THEN " PG_BAYES_GRANTS " END IF;"
    " END $$;",
};

/* Roles: created if missing (LOGIN, no password: set one with psql's
 * \password, or use peer/cert authentication), then granted. Fixed text,
 * run by the schema's owner. Daemon roles' sessions are read-only by
 * default too, so a daemon that forgets STORE_RO still can not write. */
const char store_pg_roles_sql[] =
    "DO $$ DECLARE r text; BEGIN"
    " FOREACH r IN ARRAY ARRAY['facteur_lookup', 'facteur_lmtp',"
    "  'facteur_milter', 'facteur_admin'] LOOP"
    "  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN"
    "   EXECUTE format('CREATE ROLE %I LOGIN', r); END IF;"
    " END LOOP;"
    " EXECUTE format('GRANT USAGE ON SCHEMA %I TO facteur_lookup,"
    "  facteur_lmtp, facteur_milter, facteur_admin', current_schema());"
    " EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO"
    "  facteur_lookup, facteur_lmtp, facteur_milter, facteur_admin',"
    "  current_schema());"
    " EXECUTE format('GRANT USAGE ON ALL SEQUENCES IN SCHEMA %I TO"
    "  facteur_admin', current_schema());"
    " END $$;"
    "GRANT INSERT, UPDATE, DELETE ON domains, users, aliases,"
    " virtual_aliases, sender_blacklist, recipient_blacklist, dkim_keys,"
    " vacation_sent, facteur_stamp TO facteur_admin;"
    "GRANT INSERT, UPDATE, DELETE ON vacation_sent TO "
    "facteur_lmtp;" PG_BAYES_GRANTS
    "REVOKE ALL ON facteur_schema FROM facteur_lookup, facteur_lmtp,"
    " facteur_milter;"
    "GRANT SELECT ON facteur_schema TO facteur_lookup, facteur_lmtp,"
    " facteur_milter;"
    "ALTER ROLE facteur_lookup SET default_transaction_read_only = on;"
    "ALTER ROLE facteur_milter SET default_transaction_read_only = on;";
