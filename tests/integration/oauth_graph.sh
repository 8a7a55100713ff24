#!/bin/bash
# oauth_graph.sh - the daemon with Microsoft Graph as its mailbox and its
# sender (graph:// for [mailbox] and [smtp], app-only OAuth 2.0 from
# [oauth]), against tests/tools/fakeidp, whose sendMail hands mail to the
# bed's real OpenSMTPD and so into the agencies' Dovecot mailboxes:
#   (1) Child J's SIN, put in the Graph inbox, with one 429 for each kind of
#       call: --once --now 2024-07-08T09:00 opens RR-2024-001, the notifier
#       holds the acknowledgement and each agency exactly one request, the
#       SIN sits in "Rapid Review/Processed" and not in the inbox, and every
#       Graph call asked for immutable ids;
#   (2) the daemon killed with SIGKILL after the commit and before the move
#       answers (fakeidp move_delay): restarted, it only moves the message -
#       one row, the ledger says moved, one acknowledgement;
#   (3) tokens living 8 s while the daemon runs: three SINs 10 s apart are
#       each handled and acknowledged, tokens are renewed before they expire
#       and no Graph call is refused.
TEST=oauth_graph
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib/testlib.sh"
MAILTOOL=$RR_SRC/tests/tools/mailtool
NOTIFIER=duty.manager@northshire.gov.uk
MANAGER=manager@northshire-scp.org.uk
APP=3f1c0c3e-0000-4000-8000-0000000000a1
SECRET=cc-secret-$(openssl rand -hex 12)
t_start=$(date +%s)

# The fake's log helps as much as the servers' on a failure here.
fail() {
	[ -s "$B/fakeidp.log" ] &&
	    { echo "--- tail of $B/fakeidp.log"; tail -n 30 "$B/fakeidp.log"; } >&2
	echo "$TEST: FAIL: $*" >&2
	exit 1
}

bed_start "$PARTNERSHIP" "$MANAGER" "$NOTIFIER" pvp@northshire.police.uk \
    safeguarding@nhs.net
python3 - "$B/fakeidp.json" "$APP" "$SECRET" "$PARTNERSHIP" <<'PY' ||
import json, sys
out, app, secret, part = sys.argv[1:5]
json.dump({"clients": {app: {"secret": secret, "mailboxes": [part]}}},
          open(out, "w"))
PY
    fail "cannot write the registration"
idp_start

ctl() { "$FAKEIDP" ctl "$B" "$@" || fail "fakeidp ctl $1 failed"; }
# jget JSON EXPR: a Python expression over the JSON as "j".
jget() { python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
idp_stat() { jget "$(ctl stats)" "$1"; }
DB=$T/state/rr.db
db() { sqlite3 -cmd '.timeout 5000' "$DB" "$@"; }
dump() { "$MAILTOOL" dump "$1" "$(passfile "$1")" INBOX; }
settle() { # let OpenSMTPD hand everything to Dovecot
	local i
	for i in $(seq 1 50); do
		"$MAILBED" smtpctl "$B" show queue 2>/dev/null | grep -q . || return 0
		sleep 0.2
	done
}
deliver() { # FILE -> the Graph id
	jget "$(ctl deliver "{\"mailbox\": \"$PARTNERSHIP\", \"folder\": \"inbox\", \"mime_file\": \"$1\"}")" 'j["id"]'
}
graph_ids() { # FOLDER-ID-OR-NAME: the Graph ids in that folder, one a line
	jget "$(ctl list "{\"mailbox\": \"$PARTNERSHIP\", \"folder\": \"$1\"}")" \
	    '"\n".join(m["id"] for m in j["messages"])'
}
in_inbox() { graph_ids inbox | grep -qxF -- "$1"; }
# acks FROM-REF: how many acknowledgements for REF the notifier holds
acks() {
	dump "$NOTIFIER" | python3 -c 'import json,sys; print(sum(("[%s]" % sys.argv[1]) in m["subject"] for m in json.load(sys.stdin)))' "$1"
}

sin() { # FILE CHILD PANEL-REF INCIDENT-DATE
	cat >"$1" <<EOF2
From: Duty Manager <$NOTIFIER>
To: $PARTNERSHIP
Subject: OFFICIAL-SENSITIVE Serious Incident Notification
Message-ID: <$(basename "$1" .eml).$$@northshire.gov.uk>
Date: Mon, 08 Jul 2024 08:15:00 +0100
Content-Type: text/plain; charset=utf-8

Child: $2
Age: 5
Sex: male
Incident type: serious harm
Incident date: $4
Date aware: 2024-07-04
Date notified: 2024-07-08
Panel reference: $3
Local authority: Northshire
Agencies involved: police, health
Case background: $2 was found with injuries at the family home; he
was home educated and known to the health visitor.
EOF2
}
msgid_of() { echo "$(basename "$1" .eml).$$@northshire.gov.uk"; }
# wait_log MARK TEXT SECONDS: TEXT in the daemon's log after line MARK
wait_log() {
	local i=0
	while [ "$i" -lt $(($3 * 5)) ]; do
		tail -n +"$(($1 + 1))" "$T/daemon.log" | grep -qF -- "$2" && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

step "the daemon's INI: graph:// for mailbox and sender, [oauth] microsoft"
printf '%s\n' "$SECRET" >"$T/client-secret"
chmod 600 "$T/client-secret"
write_config "$T/rr.ini" "[oauth]
provider = microsoft
tenant = northshire
client_id = $APP
client_secret_file = $T/client-secret
token_url = $MB_IDP_URL/northshire/oauth2/v2.0/token
graph_url = $MB_IDP_URL/v1.0
ca_file = $MB_CA"
ini_set "$T/rr.ini" mailbox url "graph://$PARTNERSHIP/Inbox"
ini_set "$T/rr.ini" smtp url "graph://$PARTNERSHIP"
sed -i '/^\[mailbox\]/,/^\[smtp\]/ { /^user = /d; /^password_file = /d }' "$T/rr.ini"
"$RRD" --check-config -c "$T/rr.ini" >"$T/check.out" 2>&1 ||
    { cat "$T/check.out" >&2; fail "--check-config refused the Graph INI"; }

step "(1) Child J's SIN in the Graph inbox; one 429 for each kind of call"
ctl set '{"throttle_once": true}' >/dev/null
sin "$T/sin1.eml" "Child J" SIN-2024-12345 2024-07-03
SIN1=$(deliver "$T/sin1.eml")
t0=$(date +%s)
"$RRD" --once --now 2024-07-08T09:00 -c "$T/rr.ini" -v >>"$T/daemon.log" 2>&1 ||
    fail "--once --now 2024-07-08T09:00 failed"
step "--once took $(($(date +%s) - t0)) s"
settle
[ "$(db "SELECT ref || ' ' || day0 || ' ' || state FROM cases")" = "RR-2024-001 2024-07-08 awaiting_returns" ] ||
    fail "case not opened as RR-2024-001: $(db "SELECT ref, day0, state FROM cases")"
[ "$(db "SELECT panel_ref FROM cases WHERE ref = 'RR-2024-001'")" = SIN-2024-12345 ] ||
    fail "RR-2024-001 lost its Panel reference"
[ "$(db "SELECT count(*) FROM messages WHERE direction = 'in' AND msgid = '$(msgid_of "$T/sin1.eml")'")" = 1 ] ||
    fail "the SIN is not recorded once"

dump "$NOTIFIER" >"$T/notifier.json"
python3 - "$T/notifier.json" <<'PY' || fail "acknowledgement wrong"
import json, sys
msgs = json.load(open(sys.argv[1]))
acks = [m for m in msgs if "[RR-2024-001]" in m["subject"]]
assert len(acks) == 1, [m["subject"] for m in msgs]
a = acks[0]
assert "Child J" not in a["subject"], a["subject"]
assert "Mon 15 Jul 2024" in a["body"] and "Mon 29 Jul 2024" in a["body"], a["body"]
assert "manager@northshire-scp.org.uk" in a["cc"], a["cc"]
assert a["auto_submitted"] == "auto-generated"
PY
ACK=$(python3 -c 'import json,sys; print([m for m in json.load(open(sys.argv[1])) if "[RR-2024-001]" in m["subject"]][0]["message_id"])' "$T/notifier.json")
dump "$MANAGER" | python3 -c '
import json, sys
assert any("[RR-2024-001]" in m["subject"] for m in json.load(sys.stdin))
' || fail "the business manager has no copy of the acknowledgement"

for who in pvp@northshire.police.uk:police safeguarding@nhs.net:health; do
	addr=${who%%:*}
	key=${who##*:}
	dump "$addr" >"$T/$key.json"
	python3 - "$T/$key.json" "$key" "$ACK" <<'PY' || fail "request to $addr wrong"
import json, sys
msgs, key, ack = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
assert len(msgs) == 1, [m["subject"] for m in msgs]
m = msgs[0]
assert "[RR-2024-001]" in m["subject"] and "Child J" not in m["subject"], m["subject"]
assert "rapidreview@northshire-scp.org.uk" in m["from"], m["from"]
assert m["in_reply_to"] == ack, (m["in_reply_to"], ack)
assert "Mon 15 Jul 2024" in m["body"]
assert "home educated" in m["body"].replace("\n", " ")
assert "--- RAPID REVIEW RETURN RR-2024-001 BEGIN ---" in m["body"]
assert f"rapidreview+rr-2024-001.{key}." in m["reply_to"], m["reply_to"]
PY
done

FOLDERS=$(ctl folders "{\"mailbox\": \"$PARTNERSHIP\"}")
PROCESSED=$(jget "$FOLDERS" '[f["id"] for f in j["folders"] if f["displayName"] == "Processed" and [p for p in j["folders"] if p["id"] == f["parentFolderId"] and p["displayName"] == "Rapid Review"]][0]')
[ -n "$PROCESSED" ] || fail "no Graph folder Rapid Review/Processed: $FOLDERS"
graph_ids "$PROCESSED" | grep -qxF -- "$SIN1" ||
    fail "the SIN is not in Rapid Review/Processed"
in_inbox "$SIN1" && fail "the SIN is still in the Graph inbox"
[ "$(db "SELECT count(*) FROM mailbox_ledger WHERE name = '$SIN1' AND state = 'processed' AND moved_at IS NOT NULL")" = 1 ] ||
    fail "the ledger does not have the SIN moved"

S=$(ctl stats)
# One sendMail per message (acknowledgement, 2 requests, the digest): the
# acknowledgement's copy to the business manager rides with it.
SENT=$(db "SELECT count(DISTINCT message_id) FROM outbox WHERE state = 'sent'")
[ "$SENT" -ge 3 ] && [ "$(jget "$S" 'j["sendmail"]["delivered"]')" = "$SENT" ] &&
    [ "$(jget "$S" 'j["sendmail"]["failed"]')" = 0 ] ||
    fail "sendMail did not deliver each of the $SENT messages once: $(jget "$S" 'j["sendmail"]')"
[ "$(jget "$S" 'j["graph_calls_without_immutable_id"]')" = 0 ] ||
    fail "a Graph call without Prefer: IdType=\"ImmutableId\""
[ "$(jget "$S" 'j["immutable_id_seen"]')" = True ] || fail "no Graph call seen"
THROTTLED=$(jget "$S" 'j["throttled"]')
[ "$THROTTLED" -ge 5 ] || fail "only $THROTTLED 429s were sent"
for kind in folders delta value move sendMail; do
	grep -q "kind=$kind ApplicationThrottled" "$B/fakeidp.log" ||
	    fail "no 429 for $kind"
done
grep -q "throttled (HTTP 429)" "$T/daemon.log" || fail "the daemon did not say it waited"
[ "$(db "SELECT count(*) FROM outbox WHERE state <> 'sent'")" = 0 ] ||
    fail "mail still waiting: $(db "SELECT id, state, last_error FROM outbox WHERE state <> 'sent'")"
step "(1) passed at $(($(date +%s) - t_start)) s: $THROTTLED 429s answered, $(jget "$S" 'j["sendmail"]["delivered"]') sendMail delivered, $(jget "$S" 'j["token_requests"]') token requests"

step "(2) SIGKILL between the commit and the move"
ctl set '{"throttle_once": false, "move_delay": 30}' >/dev/null
log_mark=$(wc -l <"$T/daemon.log")
daemon_start --now 2024-07-08T10:00 -v
wait_log "$log_mark" "waiting for new mail (Graph" 15 ||
    fail "the daemon did not reach the Graph inbox"
sin "$T/sin2.eml" "Child L" SIN-2024-20002 2024-07-05
SIN2=$(deliver "$T/sin2.eml")
M2=$(msgid_of "$T/sin2.eml")
i=0
until [ "$(db "SELECT count(*) FROM messages WHERE direction = 'in' AND msgid = '$M2'")" = 1 ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "the second SIN was not committed within 20 s"
	sleep 0.2
done
sleep 1		# the move is asked for, and held by the fake
in_inbox "$SIN2" || fail "the second SIN left the inbox before the kill"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=
in_inbox "$SIN2" || fail "the second SIN left the inbox at the kill"
[ "$(db "SELECT count(*) FROM mailbox_ledger WHERE name = '$SIN2' AND moved_at IS NULL")" = 1 ] ||
    fail "the ledger is not 'committed, not moved' at the kill"
grep -q "POST [^ ]*/messages/$SIN2/move" "$B/fakeidp.log" &&
    fail "the move was answered before the kill"
ctl set '{"move_delay": 0}' >/dev/null
restart_mark=$(wc -l <"$T/daemon.log")
daemon_start --now 2024-07-08T10:00 -v
i=0
while in_inbox "$SIN2"; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "the second SIN did not leave the inbox after the restart"
	sleep 0.2
done
i=0
until [ "$(db "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message_id JOIN cases c ON c.id = m.case_id WHERE c.ref = 'RR-2024-002' AND o.state = 'sent'")" -ge 3 ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] ||
	    fail "RR-2024-002's mail was not sent: $(db "SELECT id, state, recipient, last_error FROM outbox")"
	sleep 0.2
done
settle
[ "$(db "SELECT count(*) FROM messages WHERE direction = 'in' AND msgid = '$M2'")" = 1 ] ||
    fail "the second SIN has more than one row"
[ "$(db "SELECT count(*) || ' ' || min(state) || ' ' || (min(moved_at) IS NOT NULL) FROM mailbox_ledger WHERE name = '$SIN2'")" = "1 processed 1" ] ||
    fail "the ledger does not have the second SIN once, moved: $(db "SELECT * FROM mailbox_ledger WHERE name = '$SIN2'")"
[ "$(db "SELECT count(*) FROM cases WHERE panel_ref = 'SIN-2024-20002'")" = 1 ] ||
    fail "the second SIN did not open exactly one case"
graph_ids "$PROCESSED" | grep -qxF -- "$SIN2" ||
    fail "the second SIN is not in Rapid Review/Processed"
[ "$(acks RR-2024-002)" = 1 ] || fail "the notifier holds $(acks RR-2024-002) acknowledgements for RR-2024-002"
[ "$(dump pvp@northshire.police.uk | python3 -c 'import json,sys; print(sum("[RR-2024-002]" in m["subject"] for m in json.load(sys.stdin)))')" = 1 ] ||
    fail "police has not exactly one request for RR-2024-002"
# The restarted daemon read nothing: it moved the message, and no more.
tail -n +"$((restart_mark + 1))" "$T/daemon.log" >"$T/restart.log"
grep -q "Graph message $SIN2 ingested" "$T/restart.log" &&
    fail "the restarted daemon ingested the second SIN again"
grep -q "new messages\? handled" "$T/restart.log" &&
    fail "the restarted daemon handled a message again"
grep -q "Graph message $SIN2 was recorded before; moving it only" \
    "$T/restart.log" ||
    fail "the restarted daemon does not say it only moved the second SIN"
[ "$(grep -c "GET [^ ]*/messages/$SIN2/\$value 200" "$B/fakeidp.log")" = 1 ] ||
    fail "the second SIN's MIME was fetched more than once"
[ "$(grep -c "POST [^ ]*/messages/$SIN2/move 201" "$B/fakeidp.log")" = 1 ] ||
    fail "the second SIN was not moved exactly once by the restarted daemon"
grep -q "Graph message $SIN2 ingested" "$T/daemon.log" ||
    fail "the first daemon's log does not say it ingested the second SIN"
daemon_stop || fail "the daemon did not stop cleanly"
step "(2) passed at $(($(date +%s) - t_start)) s"

step "(3) tokens living 8 s; three SINs 10 s apart"
ctl set '{"token_lifetime": 8}' >/dev/null
cc0=$(idp_stat 'j["token_requests"].get("client_credentials", 0)')
f0=$(wc -l <"$B/fakeidp.log")
p3_mark=$(wc -l <"$T/daemon.log")
daemon_start --now 2024-07-08T11:00 -v
wait_log "$p3_mark" "waiting for new mail (Graph" 15 ||
    fail "the daemon did not reach the Graph inbox"
n=0
for c in "Child P:SIN-2024-30003:2024-07-01" "Child Q:SIN-2024-30004:2024-07-02" \
    "Child R:SIN-2024-30005:2024-07-06"; do
	n=$((n + 1))
	IFS=: read -r child ref idate <<<"$c"
	sin "$T/sin3-$n.eml" "$child" "$ref" "$idate"
	deliver "$T/sin3-$n.eml" >/dev/null
	[ "$n" = 3 ] || sleep 10
done
i=0
until [ "$(db "SELECT count(*) FROM cases")" = 5 ] &&
    [ "$(db "SELECT count(*) FROM outbox WHERE state <> 'sent'")" = 0 ] &&
    [ -z "$(graph_ids inbox)" ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] ||
	    fail "the three SINs were not all handled: $(db "SELECT ref, panel_ref FROM cases"); outbox $(db "SELECT id, state, last_error FROM outbox WHERE state <> 'sent'")"
	sleep 0.2
done
settle
for ref in RR-2024-003 RR-2024-004 RR-2024-005; do
	[ "$(acks "$ref")" = 1 ] || fail "the notifier holds $(acks "$ref") acknowledgements for $ref"
done
for n in 1 2 3; do
	[ "$(db "SELECT count(*) FROM messages WHERE direction = 'in' AND msgid = '$(msgid_of "$T/sin3-$n.eml")'")" = 1 ] ||
	    fail "SIN $n of 3 not recorded once"
done
daemon_stop || fail "the daemon did not stop cleanly"
cc=$(($(idp_stat 'j["token_requests"].get("client_credentials", 0)') - cc0))
[ "$cc" -ge 3 ] || fail "only $cc client_credentials tokens were asked for in 20+ s of 8 s tokens"
tail -n +"$((p3_mark + 1))" "$T/daemon.log" >"$T/p3.log"
# "HTTP 401" or ": 401, fetching a new token" (a bare 401 could be part
# of a Message-ID).
BAD='(HTTP |: )40[13]|refused|no access token|fetching a new token|expired'
grep -Eqi "$BAD" "$T/p3.log" &&
    { grep -Ei "$BAD" "$T/p3.log" >&2; fail "a Graph call failed for its token"; }
tail -n +"$((f0 + 1))" "$B/fakeidp.log" | grep -E " 40[13] " &&
    fail "the fake refused a Graph call"
[ "$(idp_stat 'j["graph_calls_without_immutable_id"]')" = 0 ] ||
    fail "a Graph call without Prefer: IdType=\"ImmutableId\""
[ "$(idp_stat 'j["token_errors"]')" = "{}" ] || fail "token errors: $(idp_stat 'j["token_errors"]')"
step "(3) passed at $(($(date +%s) - t_start)) s: $cc client_credentials tokens in $(grep -c . "$T/p3.log") log lines"

# A sanitizer build reports and carries on for some findings: none here.
grep -Eq "runtime error|Sanitizer" "$T/daemon.log" &&
    fail "the sanitizer reported something"
S=$(ctl stats)
step "figures: token requests $(jget "$S" 'j["token_requests"]'), tokens issued $(jget "$S" 'j["tokens_issued"]'), 429s $(jget "$S" 'j["throttled"]'), sendMail $(jget "$S" 'j["sendmail"]'), graph calls $(jget "$S" 'j["graph_calls"]'), $(($(date +%s) - t_start)) s"
pass
