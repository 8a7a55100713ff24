/*
 * purge.h - retention (SPEC §7 retention_days, §9): clear the content of
 * cases closed or withdrawn more than retention_days ago; legal hold; an
 * online backup of the database.
 *
 * A purge keeps the case row and the facts of the review, and clears what
 * people wrote and sent. What goes (content; NULL unless said):
 *	cases		background, missing_fields, notifier, decision_text;
 *			withdrawn_reason '' (NOT NULL when withdrawn)
 *	children	identifier '[purged]' (NOT NULL, and no SIN can
 *			match it as a duplicate), age, dob, sex, ethnicity,
 *			disability
 *	requests	extended_reason, waived_reason '' where set
 *	milestones	extended_reason '' where set
 *	messages	raw and subject, in and out
 *	attachments	data and filename
 *	returns		warnings, agency_name, author, role, email, phone,
 *			completed, involvement, first_contact, last_contact,
 *			case_status, quality, impact, good_practice,
 *			different, information_sharing, voice_of_child,
 *			equality, immediate_actions, learning,
 *			lcspr_rationale, parallel_processes, records_secured,
 *			signed_off_by, signed_off
 *	chronology	date, date_text, time, contact_type, seen, event,
 *			outcome, significance (the rows stay, so the count
 *			does)
 *	notes		body
 *	outbox		rows still 'queued' become 'failed' ("case purged"):
 *			their bytes are gone
 * What stays (the audit trail's metadata): the case row's ref, state,
 * dates (day0, date_notified, date_aware, incident_date, closed_at, ...),
 * incident_type, decision, panel_ref, authorities, meeting time and place,
 * flags; milestones; requests (agency, state, origin, due dates and
 * timestamps); returns' keys, flags, source, involved, lcspr_view, missing
 * (field names) and received_at; messages' direction, kind, agency,
 * Message-IDs, sender and recipients, sha256, size and time; attachments'
 * part, content_type, size and sha256; notes' kind, author and time;
 * outbox and outbox_attempts rows (template, recipient, state, times,
 * SMTP codes); attendees; alerts; quarantine; mailbox_ledger (so that a
 * purged message is never ingested again); audit_log (append-only).
 * Addresses are kept where they are mail metadata (who was sent what and
 * when): they are professionals' work addresses, and the trail needs them.
 *
 * A message is the case's when its case_id is the case, or when it has no
 * case_id and the case's SIN, notes, returns or released quarantine name
 * it. A message of another case is never touched.
 */
#ifndef RR_PURGE_H
#define RR_PURGE_H

#include <stddef.h>

struct config;
struct store;

/* The placeholder left in children.identifier. */
#define PURGE_IDENTIFIER	"[purged]"

/*
 * What a purge cleared (or, dry run, would clear): cases, and the messages
 * and attachments among them that still had content. refs are the cases'
 * references in id order. purge_run() fills it from empty (free an
 * earlier report first); purge_report_free() empties it.
 */
struct purge_report {
	size_t	  cases;
	size_t	  messages;
	size_t	  attachments;
	char	**refs;
	size_t	  nrefs;
};

/*
 * Purge every case that is closed or withdrawn, has closed_at, was closed
 * at least cfg->storage.retention_days days (of 86400 s) before now, is
 * not on legal hold and not yet purged. retention_days 0 keeps everything.
 * Each case is cleared in its own transaction, which checks the case again
 * (a hold set meanwhile wins), sets cases.purged_at and appends an audit
 * row 'case.purged' (actor "retention", detail counts only). When any case
 * was purged, VACUUM and a truncating WAL checkpoint then take the cleared
 * bytes out of the files. With dry_run, nothing is written: rep says what
 * would go.
 * Must be called outside a transaction. Returns 0, or -1 with *cause set
 * (caller frees); cases already committed stay purged and are in rep (a
 * failed VACUUM, say, leaves rep complete). Free rep either way.
 */
int	purge_run(struct store *, const struct config *, long long now,
	    int dry_run, struct purge_report *rep, char **cause);

void	purge_report_free(struct purge_report *);

/*
 * Set (on 1) or release (on 0) the legal hold of case ref; actor as for
 * store_audit(). A change appends an audit row 'case.hold' or
 * 'case.release'; setting the flag it already has changes nothing. Runs
 * in the caller's transaction when one is open, else in its own. Returns
 * 0, 1 when there is no such case, or -1 with *cause set.
 */
int	purge_hold(struct store *, const char *ref, int on, long long now,
	    const char *actor, char **cause);

/*
 * Copy the whole database, as it stands at one instant, into a new file
 * at path with SQLite's online backup API; writers go on meanwhile. The
 * file is created mode 0600 and must not exist (nor its -wal or -journal);
 * the copy is a single file (journal mode DELETE) and passes PRAGMA
 * integrity_check, or it is removed. Must be called outside a transaction.
 * Returns 0 or -1 with *cause set (caller frees).
 */
int	backup_run(struct store *, const char *path, char **cause);

#endif
