/*
 * db.c - prepare, bind by a type string, step: the SQL boilerplate once.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "db.h"
#include "store.h"
#include "xmalloc.h"

static sqlite3_stmt *
prepare_bind(struct store *st, char **cause, const char *sql,
    const char *types, va_list ap)
{
	sqlite3_stmt	*s = NULL;
	sqlite3		*db = store_db(st);
	struct rr_date	 d;
	const char	*t;
	const void	*blob;
	size_t		 blen;
	char		 buf[11];
	long		 day;
	int		 i;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		xasprintf(cause, "prepare: %s", sqlite3_errmsg(db));
		return NULL;
	}
	for (i = 1; *types != '\0'; types++, i++) {
		switch (*types) {
		case 't':
			t = va_arg(ap, const char *);
			if (t == NULL)
				sqlite3_bind_null(s, i);
			else
				sqlite3_bind_text(s, i, t, -1,
				    SQLITE_TRANSIENT);
			break;
		case 'l':
			sqlite3_bind_int64(s, i, va_arg(ap, long long));
			break;
		case 'b':
			blob = va_arg(ap, const void *);
			blen = va_arg(ap, size_t);
			if (blob == NULL)
				sqlite3_bind_null(s, i);
			else
				sqlite3_bind_blob64(s, i, blob, blen,
				    SQLITE_TRANSIENT);
			break;
		case 'i':
			sqlite3_bind_int(s, i, va_arg(ap, int));
			break;
		case 'd':
			day = va_arg(ap, long);
			if (day == DB_NO_DAY)
				sqlite3_bind_null(s, i);
			else {
				date_from_days(day, &d);
				date_format_iso(&d, buf, sizeof buf);
				sqlite3_bind_text(s, i, buf, -1,
				    SQLITE_TRANSIENT);
			}
			break;
		default:
			sqlite3_finalize(s);
			xasprintf(cause, "db: bad parameter type '%c'",
			    *types);
			return NULL;
		}
	}
	return s;
}

int
db_exec(struct store *st, char **cause, const char *sql, const char *types,
    ...)
{
	sqlite3_stmt	*s;
	va_list		 ap;
	int		 r;

	va_start(ap, types);
	s = prepare_bind(st, cause, sql, types, ap);
	va_end(ap);
	if (s == NULL)
		return -1;
	while ((r = sqlite3_step(s)) == SQLITE_ROW)
		;
	if (r != SQLITE_DONE) {
		xasprintf(cause, "%s", sqlite3_errmsg(store_db(st)));
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

static int
get_first(struct store *st, sqlite3_stmt *s, char **cause)
{
	int	r = sqlite3_step(s);

	if (r == SQLITE_ROW)
		return 1;
	if (r == SQLITE_DONE)
		return 0;
	xasprintf(cause, "%s", sqlite3_errmsg(store_db(st)));
	return -1;
}

int
db_get_int64(struct store *st, long long *out, char **cause, const char *sql,
    const char *types, ...)
{
	sqlite3_stmt	*s;
	va_list		 ap;
	int		 r;

	va_start(ap, types);
	s = prepare_bind(st, cause, sql, types, ap);
	va_end(ap);
	if (s == NULL)
		return -1;
	if ((r = get_first(st, s, cause)) == 1)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return r;
}

int
db_get_text(struct store *st, char **out, char **cause, const char *sql,
    const char *types, ...)
{
	sqlite3_stmt	*s;
	va_list		 ap;
	int		 r;

	*out = NULL;
	va_start(ap, types);
	s = prepare_bind(st, cause, sql, types, ap);
	va_end(ap);
	if (s == NULL)
		return -1;
	if ((r = get_first(st, s, cause)) == 1 &&
	    sqlite3_column_type(s, 0) != SQLITE_NULL)
		*out = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return r;
}

sqlite3_stmt *
db_query(struct store *st, char **cause, const char *sql, const char *types,
    ...)
{
	sqlite3_stmt	*s;
	va_list		 ap;

	va_start(ap, types);
	s = prepare_bind(st, cause, sql, types, ap);
	va_end(ap);
	return s;
}

long
db_column_day(sqlite3_stmt *s, int col)
{
	struct rr_date	d;

	if (sqlite3_column_type(s, col) == SQLITE_NULL ||
	    date_parse_iso((const char *)sqlite3_column_text(s, col), &d) != 0)
		return DB_NO_DAY;
	return date_to_days(&d);
}
