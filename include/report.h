/*
 * report.h - the read commands of rapidreviewctl: cases, show, outbox,
 * audit, quarantine. Each prints a table for a person or stable JSON for
 * a program (--json): objects whose keys are the column names below, in
 * that order, and whose values are strings, numbers or null.
 */
#ifndef RR_REPORT_H
#define RR_REPORT_H

#include <stdio.h>

struct calendar;
struct store;

/*
 * cases [--all]: ref, state, day0, day_n (working day today), returns_due,
 * returns_in, requests, next_milestone, next_date, sin_late. Without all,
 * closed, submitted and withdrawn cases are left out.
 */
int	report_cases(FILE *, struct store *, const struct calendar *,
	    long today, int all, int json, char **cause);

/*
 * show REF: the case's columns, then children, milestones and requests.
 * JSON: {"case": {...}, "children": [...], "milestones": [...],
 * "requests": [...], "messages": N}. Returns 1 when there is no such case.
 */
int	report_show(FILE *, struct store *, const struct calendar *,
	    const char *ref, long today, int json, char **cause);

/* outbox [--pending]: id, template, case, recipient, state, attempts, next_attempt_at, last_error, smtp_code, created_at, sent_at, bounce_status. */
int	report_outbox(FILE *, struct store *, int pending, int json,
	    char **cause);

/* audit REF: at, actor, action, detail, oldest first. */
int	report_audit(FILE *, struct store *, const char *ref, int json,
	    char **cause);

/* quarantine: id, created_at, reason, sender, case, agency, released_at. */
int	report_quarantine(FILE *, struct store *, int json, char **cause);

/*
 * return REF AGENCY: the agency's current return (its fields by the keys
 * of SPEC §3.3, its state and warnings), its chronology rows, and every
 * version received. JSON: the return's keys, "chronology": [...],
 * "versions": [...]. Returns 1 when there is no return.
 */
int	report_return(FILE *, struct store *, const char *ref,
	    const char *agency, int json, char **cause);

/* chronology REF: the merged chronology (chronology.h) as a table, CSV or
 * JSON. Returns -1 for no such case. */
enum { REPORT_TABLE, REPORT_CSV, REPORT_JSON };
struct config;
int	report_chronology(FILE *, struct store *, const struct config *,
	    const char *ref, int format, char **cause);

#endif
