/*
 * schema.h - the database schema, as numbered migrations.
 *
 * Migration N takes a database from PRAGMA user_version N-1 to N. store.c
 * runs the pending ones at open, all in one transaction. A released
 * migration is never edited: a change to the schema is a new migration
 * appended to the list. The SQL itself, with a comment on every table,
 * is in schema.c.
 */
#ifndef RR_SCHEMA_H
#define RR_SCHEMA_H

#include <stddef.h>

struct schema_migration {
	int		 version;	/* 1, 2, ... with no gaps */
	const char	*sql;		/* one or more statements */
};

/* The program's migrations in order, and how many there are (at least 1). */
extern const struct schema_migration	schema_migrations[];
extern const size_t			schema_nmigrations;

#endif
