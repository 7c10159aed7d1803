/* lib/store_pg_int.h - private to store_pg.c and store_pg_schema.c. */
#ifndef FACTEUR_LIB_STORE_PG_INT_H
#define FACTEUR_LIB_STORE_PG_INT_H

#include "store_int.h"

/* store_pg_steps[i] takes the schema version i to i + 1. */
extern const char *const store_pg_steps[STORE_SCHEMA_VERSION];
/* Creates and grants the per-program roles (store_roles()). */
extern const char store_pg_roles_sql[];

#endif
