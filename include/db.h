/*
 * db.h - one-line SQL for the modules that act on cases: a statement, a
 * string saying the parameters' types, and the parameters.
 *
 * Types: 't' text (const char *; NULL binds NULL), 'l' long long,
 * 'i' int, 'd' a day number (long; DB_NO_DAY binds NULL) bound as
 * "YYYY-MM-DD", 'b' a blob given as two parameters (const void *, size_t;
 * a NULL pointer binds NULL).
 * Every function returns -1 with *cause set (caller frees) on an SQLite
 * error; messages carry SQLite's words, never the values.
 */
#ifndef RR_DB_H
#define RR_DB_H

#include <limits.h>

#include <sqlite3.h>

struct store;

#define DB_NO_DAY	LONG_MIN

/* Run a statement to completion. Returns 0 or -1. */
int	db_exec(struct store *, char **cause, const char *sql,
	    const char *types, ...);

/* The first column of the first row: 1 found, 0 no row, -1 error. */
int	db_get_int64(struct store *, long long *out, char **cause,
	    const char *sql, const char *types, ...);
/* Same for text; *out is caller-freed, NULL for an SQL NULL. */
int	db_get_text(struct store *, char **out, char **cause,
	    const char *sql, const char *types, ...);

/*
 * Prepare a statement with its parameters bound, for a caller that steps
 * through rows itself (sqlite3_step, then sqlite3_finalize). NULL on error.
 */
sqlite3_stmt *db_query(struct store *, char **cause, const char *sql,
	    const char *types, ...);

/* A date column ("YYYY-MM-DD") as a day number, or DB_NO_DAY. */
long	db_column_day(sqlite3_stmt *, int col);

#endif
