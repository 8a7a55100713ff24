#!/bin/bash
# retention.sh - rapidreviewctl purge [--dry-run], hold and backup, as an
# administrator runs them: an expired closed case loses its content and
# keeps its dates and audit trail; a held case is untouched; the backup
# opens and has every row.
TEST=retention
. "$(dirname "$0")/../lib/testlib.sh"

mkdir -p "$T/state"
chmod 700 "$T/state"
cat >"$T/rr.ini" <<INI
[partnership]
name = Test SCP
address = $PARTNERSHIP
business_manager = manager@northshire-scp.org.uk
[mailbox]
url = maildir:$T/Maildir
[smtp]
sendmail = /bin/true
[storage]
database = $T/state/rr.db
retention_days = 365
[templates]
directory = $RR_SRC/templates
[calendar]
holidays_file = $RR_SRC/config/bank-holidays.json
[notifiers]
allow = *@northshire.gov.uk
INI
ctl() { "$RRCTL" -c "$T/rr.ini" --now 2026-11-26T12:00 "$@"; }
db() { sqlite3 -cmd '.timeout 5000' "$T/state/rr.db" "$@"; }

step "two cases closed in 2024, one of them held, each with a message"
for n in 1 2; do
	printf 'From: duty@northshire.gov.uk\r\nSubject: SIN %s\r\nMessage-ID: <sin%s@x>\r\n\r\nSecret background %s\r\n' \
	    "$n" "$n" "$n" >"$T/m$n.eml"
	ctl ingest "$T/m$n.eml" >/dev/null || fail "ingest failed"
	db "INSERT INTO cases (ref, year, seq, state, day0, day0_basis, background, created_at, updated_at, closed_at) VALUES ('RR-2024-00$n', 2024, $n, 'closed', '2024-07-08', 'notified', 'Secret background $n', 0, 0, strftime('%s', '2024-09-01'));
	    UPDATE messages SET case_id = (SELECT id FROM cases WHERE ref = 'RR-2024-00$n') WHERE msgid = 'sin$n@x';
	    INSERT INTO milestones (case_id, kind, due_date) SELECT id, 'panel_submission', '2024-07-29' FROM cases WHERE ref = 'RR-2024-00$n';"
	db "INSERT INTO audit_log (at, actor, action, case_ref, detail) VALUES (0, 'test', 'case.close', 'RR-2024-00$n', NULL)"
done
ctl hold RR-2024-002 on | grep -q "legal hold on" || fail "hold failed"
rc=0; ctl hold RR-2099-001 on >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "hold of an unknown case should exit 1"

step "purge --dry-run names the expired, unheld case and changes nothing"
ctl purge --dry-run >"$T/dry" || fail "dry run failed"
grep -q "^would purge RR-2024-001$" "$T/dry" || { cat "$T/dry"; fail "dry run does not name RR-2024-001"; }
grep -q "RR-2024-002" "$T/dry" && fail "the held case would be purged"
[ "$(db "SELECT count(*) FROM messages WHERE raw IS NOT NULL")" = 2 ] || fail "the dry run changed something"

step "purge clears the content and keeps dates and the audit trail"
ctl purge | grep -q "^purged RR-2024-001$" || fail "purge did not purge RR-2024-001"
[ "$(db "SELECT raw IS NULL FROM messages WHERE msgid = 'sin1@x'")" = 1 ] || fail "raw message kept"
[ "$(db "SELECT background IS NULL FROM cases WHERE ref = 'RR-2024-001'")" = 1 ] || fail "background kept"
[ "$(db "SELECT due_date FROM milestones m JOIN cases c ON c.id = m.case_id WHERE c.ref = 'RR-2024-001'")" = 2024-07-29 ] ||
    fail "the milestone dates were lost"
[ "$(db "SELECT count(*) FROM audit_log WHERE case_ref = 'RR-2024-001' AND action IN ('case.close', 'case.purged')")" = 2 ] ||
    fail "the audit trail was not kept"
[ "$(db "SELECT raw IS NOT NULL FROM messages WHERE msgid = 'sin2@x'")" = 1 ] || fail "the held case was purged"
[ "$(db "SELECT background FROM cases WHERE ref = 'RR-2024-002'")" = "Secret background 2" ] ||
    fail "the held case lost its background"
! grep -qa "Secret background 1" "$T/state/rr.db" || fail "the cleared text is still in the database file"

step "backup makes a copy that opens and has every row"
ctl backup "$T/copy.db" | grep -q "backup written" || fail "backup failed"
[ "$(stat -c %a "$T/copy.db")" = 600 ] || fail "the backup is not mode 0600"
for t in cases messages milestones audit_log mailbox_ledger; do
	[ "$(sqlite3 "$T/copy.db" "SELECT count(*) FROM $t")" = "$(db "SELECT count(*) FROM $t")" ] ||
	    fail "the backup differs in $t"
done
rc=0; ctl backup "$T/copy.db" >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "backup over an existing file was not refused"

pass
