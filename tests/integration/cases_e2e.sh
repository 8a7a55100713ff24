#!/bin/bash
# cases_e2e.sh - the heart of the job, end to end against the real
# OpenSMTPD and Dovecot, driven with --once --now: the seed's Child J
# notified on Monday 2024-07-08 opens RR-2024-001 (day 15 2024-07-29,
# returns due 2024-07-15); the notifier is acknowledged; every agency named
# or always asked gets one threaded request with the marking, deadline,
# background and reply token; two reply; on 2024-07-11 only the others are
# reminded; on 2024-07-16 the rest are escalated with the business manager
# in copy; the same --now again sends nothing. A Friday 2024-08-16 case
# counts across the bank holiday; weekends and holidays queue nothing. The
# SMTP server stopped: mail waits with its attempts recorded, and goes once
# when it is back, across a kill -9. Header injection is refused; a second
# SIN for the same incident opens nothing.
TEST=cases_e2e
. "$(dirname "$0")/../lib/testlib.sh"
MAILTOOL=$RR_SRC/tests/tools/mailtool
NOTIFIER=duty.manager@northshire.gov.uk
MANAGER=manager@northshire-scp.org.uk

bed_start "$PARTNERSHIP" "$MANAGER" "$NOTIFIER" pvp@northshire.police.uk \
    di@northshire.police.uk safeguarding@nhs.net designated@nhs.net \
    csc@northshire-cc.gov.uk hos@northshire-cc.gov.uk \
    education@northshire-cc.gov.uk director@northshire-cc.gov.uk
cat >"$T/agencies.ini" <<INI
[agency.csc]
name = Northshire Children's Social Care
aliases = CSC, Children's Social Care, Social Care
to = csc@northshire-cc.gov.uk
allow = *@northshire-cc.gov.uk
escalate_to = hos@northshire-cc.gov.uk
always_request = yes
[agency.education]
name = Northshire Education Safeguarding
aliases = Education, School
to = education@northshire-cc.gov.uk
allow = *@northshire-cc.gov.uk
escalate_to = director@northshire-cc.gov.uk
INI
write_config "$T/rr.ini" "$(cat "$T/agencies.ini")"
sed -i "s/^escalate_to = di@northshire.police.uk/escalate_to = di@northshire.police.uk/; /^\[agency.health\]/,/^always_request/ s/^always_request = yes/escalate_to = designated@nhs.net\nalways_request = yes/" "$T/rr.ini"
sed -i "s/^admins = .*/admins = $MANAGER\nmarking = OFFICIAL-SENSITIVE/" "$T/rr.ini"
DB=$T/state/rr.db
db() { sqlite3 -cmd '.timeout 5000' "$DB" "$@"; }
pf() { passfile "$1"; }
dump() { "$MAILTOOL" dump "$1" "$(pf "$1")" INBOX; }
count() { dump "$1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
once() {
	"$RRD" --once --now "$1" -c "${2:-$T/rr.ini}" >>"$T/daemon.log" 2>&1 ||
	    { tail -20 "$T/daemon.log"; fail "--once --now $1 failed"; }
}
settle() { # let OpenSMTPD hand everything to Dovecot
	local i
	for i in $(seq 1 50); do
		"$MAILBED" smtpctl "$B" show queue 2>/dev/null | grep -q . || return 0
		sleep 0.2
	done
}

sin() { # FILE CHILD PANEL-REF NOTIFIED INCIDENT
	cat >"$1" <<EOF2
From: Duty Manager <$NOTIFIER>
To: $PARTNERSHIP
Subject: OFFICIAL-SENSITIVE Serious Incident Notification
Message-ID: <$(basename "$1").$$@northshire.gov.uk>
Date: Mon, 08 Jul 2024 08:15:00 +0100
Content-Type: text/plain; charset=utf-8

Child: $2
Age: 5
Sex: male
Disability: autism
Incident type: death
Incident date: $5
Date aware: 2024-07-04
Date notified: $4
Panel reference: $3
Local authority: Northshire
Agencies involved: police, health, children's social care, education
Case background: In July 2024, $2 and his mother were found deceased in
the family home. He was a 5-year-old boy with autism who lived alone with
his mother; they appeared socially isolated and he was home educated.
EOF2
}

step "the SIN for Child J, notified Monday 2024-07-08"
sin "$T/sin1.eml" "Child J" SIN-2024-12345 2024-07-08 2024-07-03
send_mail "$NOTIFIER" "$PARTNERSHIP" "$T/sin1.eml"
sleep 1
once 2024-07-08T09:00
settle
[ "$(db "SELECT ref || ' ' || day0 || ' ' || state FROM cases")" = "RR-2024-001 2024-07-08 awaiting_returns" ] ||
    fail "case not opened as RR-2024-001: $(db "SELECT ref, day0, state FROM cases")"
[ "$(db "SELECT due_date FROM milestones WHERE kind = 'panel_submission'")" = 2024-07-29 ] ||
    fail "day 15 is not 2024-07-29"
[ "$(db "SELECT DISTINCT due_date FROM requests")" = 2024-07-15 ] ||
    fail "returns not due 2024-07-15"

step "the notifier holds the acknowledgement"
dump "$NOTIFIER" >"$T/notifier.json"
python3 - "$T/notifier.json" <<'PY' || fail "acknowledgement wrong"
import json, sys
msgs = json.load(open(sys.argv[1]))
acks = [m for m in msgs if "[RR-2024-001]" in m["subject"]]
assert len(acks) == 1, [m["subject"] for m in msgs]
a = acks[0]
assert a["subject"].startswith("OFFICIAL-SENSITIVE [RR-2024-001]"), a["subject"]
assert "Child J" not in a["subject"], a["subject"]
assert "Mon 15 Jul 2024" in a["body"] and "Mon 29 Jul 2024" in a["body"], a["body"]
assert "manager@northshire-scp.org.uk" in a["cc"], a["cc"]
assert a["auto_submitted"] == "auto-generated"
PY
ACK=$(python3 -c 'import json,sys; print([m for m in json.load(open(sys.argv[1])) if "[RR-2024-001]" in m["subject"]][0]["message_id"])' "$T/notifier.json")

step "each agency holds exactly one threaded request with marking, deadline, background, token"
for who in pvp@northshire.police.uk:police safeguarding@nhs.net:health \
    csc@northshire-cc.gov.uk:csc education@northshire-cc.gov.uk:education; do
	addr=${who%%:*}
	key=${who##*:}
	dump "$addr" >"$T/$key.json"
	python3 - "$T/$key.json" "$key" "$ACK" <<'PY' || fail "request to $addr wrong"
import json, sys
msgs, key, ack = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
assert len(msgs) == 1, [m["subject"] for m in msgs]
m = msgs[0]
assert m["subject"].startswith("OFFICIAL-SENSITIVE [RR-2024-001]"), m["subject"]
assert "Child J" not in m["subject"]
assert m["in_reply_to"] == ack, (m["in_reply_to"], ack)
assert ack in m["references"]
assert "Mon 15 Jul 2024" in m["body"]
assert "home educated" in m["body"].replace("\n", " ")
assert "--- RAPID REVIEW RETURN RR-2024-001 BEGIN ---" in m["body"]
assert f"rapidreview+rr-2024-001.{key}." in m["reply_to"], m["reply_to"]
PY
done
dump "$MANAGER" >"$T/manager.json"

step "police and health reply; at 2024-07-11 09:00 only csc and education are reminded"
reply_token() { python3 -c 'import json,sys,re; print(re.search(r"[\w.+-]+@[\w.-]+", json.load(open(sys.argv[1]))[0]["reply_to"]).group(0))' "$1"; }
for who in pvp@northshire.police.uk:police safeguarding@nhs.net:health; do
	addr=${who%%:*}
	key=${who##*:}
	printf 'From: %s\r\nTo: %s\r\nSubject: RE: OFFICIAL-SENSITIVE [RR-2024-001] Information request\r\nMessage-ID: <reply-%s.%s@example.org>\r\n\r\nNIL RETURN\r\nJane Smith, Safeguarding Lead\r\n' \
	    "$addr" "$(reply_token "$T/$key.json")" "$key" "$$" >"$T/reply-$key.eml"
	send_mail "$addr" "$(reply_token "$T/$key.json")" "$T/reply-$key.eml"
done
sleep 1
once 2024-07-11T09:00
settle
[ "$(db "SELECT group_concat(agency || '=' || state, ' ') FROM (SELECT agency, state FROM requests ORDER BY agency)")" = \
  "csc=requested education=requested health=returned police=returned" ] ||
    fail "requests not as expected: $(db "SELECT agency, state FROM requests")"
# The request and the receipt for the nil return; no reminder.
[ "$(count pvp@northshire.police.uk)" = 2 ] || fail "police was reminded after replying"
[ "$(count safeguarding@nhs.net)" = 2 ] || fail "health was reminded after replying"
dump pvp@northshire.police.uk | grep -q "return received" || fail "police got no receipt"
[ "$(count csc@northshire-cc.gov.uk)" = 2 ] || fail "csc was not reminded"
[ "$(count education@northshire-cc.gov.uk)" = 2 ] || fail "education was not reminded"
dump csc@northshire-cc.gov.uk | python3 -c '
import json, sys
m = [m for m in json.load(sys.stdin) if "eminder" in m["subject"] or "due" in m["subject"].lower()]
assert m, "no reminder"
assert "Child J" not in m[-1]["body"] and "home educated" not in m[-1]["body"]
' || fail "the reminder carries the child or the background"

step "at 2024-07-16 09:00 the missing agencies' escalation contacts, copy to the business manager"
before_mgr=$(count "$MANAGER")
once 2024-07-16T09:00
settle
[ "$(count hos@northshire-cc.gov.uk)" = 1 ] || fail "csc was not escalated"
[ "$(count director@northshire-cc.gov.uk)" = 1 ] || fail "education was not escalated"
[ "$(count di@northshire.police.uk)" = 0 ] || fail "police was escalated after replying"
[ "$(count "$MANAGER")" -gt "$before_mgr" ] || fail "the business manager was not copied"
dump hos@northshire-cc.gov.uk | python3 -c '
import json, sys
m = json.load(sys.stdin)[0]
assert "manager@northshire-scp.org.uk" in m["cc"], m["cc"]
assert m["subject"].startswith("OFFICIAL-SENSITIVE [RR-2024-001]")
' || fail "escalation headers wrong"

step "the same --now again sends nothing new"
total() { db "SELECT count(*) FROM outbox"; }
t0=$(total)
once 2024-07-16T09:00
once 2024-07-16T09:05
[ "$(total)" = "$t0" ] || fail "a second run queued more mail"

step "a second SIN for the same incident opens no case"
sin "$T/sin1b.eml" "Child J" SIN-2024-12345 2024-07-08 2024-07-03
sed -i 's/^Message-ID: <sin1b/Message-ID: <again-sin1b/' "$T/sin1b.eml"
send_mail "$NOTIFIER" "$PARTNERSHIP" "$T/sin1b.eml"
sleep 1
once 2024-07-16T10:00
[ "$(db "SELECT count(*) FROM cases")" = 1 ] || fail "a duplicate SIN opened a case"
settle
dump "$NOTIFIER" | grep -q "already open" || fail "the notifier was not told the existing case"

step "a case opened Friday 2024-08-16: day 15 is 2024-09-09 across the bank holiday"
sin "$T/sin2.eml" "Child K" SIN-2024-22222 2024-08-16 2024-08-12
sed -i 's/^Date aware: .*/Date aware: 2024-08-14/' "$T/sin2.eml"
send_mail "$NOTIFIER" "$PARTNERSHIP" "$T/sin2.eml"
sleep 1
once 2024-08-16T09:00
[ "$(db "SELECT m.due_date FROM milestones m JOIN cases c ON c.id = m.case_id WHERE c.ref = 'RR-2024-002' AND m.kind = 'panel_submission'")" = 2024-09-09 ] ||
    fail "day 15 of RR-2024-002 is not 2024-09-09"
t0=$(total)
once 2024-08-17T09:00
once 2024-08-26T09:00
[ "$(total)" = "$t0" ] || fail "mail was queued on a Saturday or a bank holiday"

step "SMTP stopped: queued with attempts; kill -9; back again: delivered once"
"$MAILBED" stop-smtp "$B" >/dev/null
once 2024-08-21T09:00		# day -2 reminders for RR-2024-002
queued=$(db "SELECT count(*) FROM outbox WHERE state = 'queued' AND attempts > 0")
[ "$queued" -gt 0 ] || fail "nothing waits in the outbox with the server down"
[ "$(db "SELECT count(*) FROM outbox_attempts WHERE result = 'temporary'")" -gt 0 ] ||
    fail "no temporary attempt recorded"
daemon_start --now 2024-08-21T09:10
sleep 1
kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=
"$MAILBED" start-smtp "$B" >/dev/null
once 2024-08-21T12:00
settle
[ "$(db "SELECT count(*) FROM outbox WHERE state <> 'sent'")" = 0 ] ||
    fail "mail still waiting: $(db "SELECT id, state, last_error FROM outbox WHERE state <> 'sent'")"
[ "$(dump csc@northshire-cc.gov.uk | python3 -c 'import json,sys; print(sum("RR-2024-002" in m["subject"] for m in json.load(sys.stdin)))')" = 2 ] ||
    fail "csc did not get exactly its request and one reminder for RR-2024-002"

step "the business manager has the daily digest"
settle
dump "$MANAGER" | python3 -c '
import json, sys
msgs = json.load(sys.stdin)
d = [m for m in msgs if "daily summary" in m["subject"]]
assert d, [m["subject"] for m in msgs]
assert "RR-2024-001" in d[-1]["body"], d[-1]["body"]
' || fail "no digest for the business manager"

step "rapidreviewctl cases, show, outbox and audit, as tables and --json"
ctl() { "$RRCTL" -c "$T/rr.ini" --now 2024-07-16T12:00 "$@"; }
ctl cases >"$T/cases.txt" || fail "cases failed"
grep -q "^RR-2024-001	awaiting_returns	2024-07-08	6	2024-07-15	2	4	" "$T/cases.txt" ||
    { cat "$T/cases.txt"; fail "cases table wrong"; }
ctl --json cases | python3 -c '
import json, sys
c = {x["ref"]: x for x in json.load(sys.stdin)}
a = c["RR-2024-001"]
assert a["day_n"] == 6 and a["returns_in"] == 2 and a["requests"] == 4, a
assert c["RR-2024-002"]["day0"] == "2024-08-16"
' || fail "cases --json wrong"
ctl --json show RR-2024-001 | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["case"]["ref"] == "RR-2024-001" and s["case"]["panel_ref"] == "SIN-2024-12345"
assert s["children"][0]["identifier"] == "Child J"
r = {x["agency"]: x for x in s["requests"]}
assert r["police"]["state"] == "returned" and r["csc"]["state"] == "overdue", r
assert r["csc"]["escalated_at"] is not None
m = {x["kind"]: x["due_date"] for x in s["milestones"]}
assert m["panel_submission"] == "2024-07-29" and m["returns_due"] == "2024-07-15", m
assert s["messages"] > 5
' || fail "show --json wrong"
ctl show RR-2024-001 | grep -q "^state *awaiting_returns" || fail "show table wrong"
rc=0; ctl show RR-2099-001 >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "show of an unknown case should exit 1"
ctl --json outbox | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert rows and all(r["state"] == "sent" for r in rows), [r for r in rows if r["state"] != "sent"]
assert {"request", "reminder", "escalation", "sin-ack"} <= {r["template"] for r in rows}
' || fail "outbox --json wrong"
[ "$(ctl --json outbox --pending)" = "[
]" ] || [ "$(ctl --json outbox --pending | tr -d ' 
')" = "[]" ] ||
    fail "outbox --pending is not empty"
ctl --json audit RR-2024-001 | python3 -c '
import json, sys
actions = [r["action"] for r in json.load(sys.stdin)]
assert actions[0] == "message.sin" or "case.open" in actions, actions
assert "case.open" in actions and actions.count("return.received") == 2, actions
' || fail "audit --json wrong"

step "a bounce is tied back to the request it answers, and alerts the business manager"
REQ=$(db "SELECT m.msgid FROM messages m JOIN outbox o ON o.message_id = m.id WHERE m.kind = 'request' AND o.recipient = 'education@northshire-cc.gov.uk' LIMIT 1")
[ -n "$REQ" ] || fail "no request to education in the outbox"
cat >"$T/dsn.eml" <<EOF2
From: Mail Delivery System <MAILER-DAEMON@northshire-cc.gov.uk>
To: $PARTNERSHIP
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn.$$@northshire-cc.gov.uk>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

Your message could not be delivered.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.northshire-cc.gov.uk

Final-Recipient: rfc822; education@northshire-cc.gov.uk
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--b1
Content-Type: text/rfc822-headers

Message-ID: <$REQ>
Subject: request

--b1--
EOF2
a0=$(db "SELECT count(*) FROM alerts WHERE kind = 'bounce'")
"$RRCTL" -c "$T/rr.ini" ingest "$T/dsn.eml" | grep -q "bounce$" || fail "the DSN was not a bounce"
[ "$(db "SELECT bounce_status FROM outbox o JOIN messages m ON m.id = o.message_id WHERE m.msgid = '$REQ' AND o.recipient = 'education@northshire-cc.gov.uk'")" = 5.1.1 ] ||
    fail "the bounce was not tied to the request"
[ "$(db "SELECT count(*) FROM alerts WHERE kind = 'bounce'")" -gt "$a0" ] || fail "no alert for the bounce"

step "header injection: CR/LF in an agency address is refused, nothing sent"
cp "$T/rr.ini" "$T/inject.ini"
printf '[agency.probation]\nname = Probation\nto = pp@northshire.gov.uk\rBcc: evil@example.org\nallow = *@northshire.gov.uk\n' >>"$T/inject.ini"
rc=0
"$RRD" --check-config -c "$T/inject.ini" >"$T/inject.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "an address with CR was accepted"
grep -q "is not an email address" "$T/inject.out" || fail "no clear error for the injected address"
t0=$(total)
rc=0
"$RRD" --once --now 2024-08-22T09:00 -c "$T/inject.ini" >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] && [ "$(total)" = "$t0" ] || fail "the daemon ran with an injected address"

step "header injection: CR in a SIN's child identifier, with the child in subjects"
sed 's/^identify_child_in_subject = .*//' "$T/rr.ini" >"$T/ident.ini"
sed -i "s/^marking = OFFICIAL-SENSITIVE/marking = OFFICIAL-SENSITIVE\nidentify_child_in_subject = yes/" "$T/ident.ini"
cat >"$T/sin3.eml" <<EOF2
From: $NOTIFIER
To: $PARTNERSHIP
Subject: Serious Incident Notification
Message-ID: <sin3.$$@northshire.gov.uk>
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Child: Child Z=0DBcc: evil@example.org
Incident type: serious harm
Panel reference: SIN-2024-33333
Case background: injected.
EOF2
m0=$(total)
send_mail "$NOTIFIER" "$PARTNERSHIP" "$T/sin3.eml"
sleep 1
"$RRD" --once --now 2024-08-22T09:00 -c "$T/ident.ini" >>"$T/daemon.log" 2>&1 || true
step "a message the daemon cannot act on is quarantined and alerted"
printf 'From: stranger@example.com\r\nTo: %s\r\nSubject: RE: [RR-2024-001] Information request\r\nMessage-ID: <stranger.%s@example.com>\r\n\r\nhello\r\n' \
    "$PARTNERSHIP" "$$" >"$T/stranger.eml"
send_mail stranger@example.com "$PARTNERSHIP" "$T/stranger.eml"
sleep 1
once 2024-08-22T09:30
settle
dump "$MANAGER" | python3 -c '
import json, sys
msgs = json.load(sys.stdin)
a = [m for m in msgs if "Rapid Review alert" in m["subject"]]
assert any("quarantined" in m["subject"] or "quarantined" in m["body"] for m in a), [m["subject"] for m in msgs]
' || fail "the business manager was not alerted"

# A bare CR in a body line is a line break to the MIME reader, so the
# "Bcc:" becomes a line of its own: the identifier stays "Child Z" and no
# header is ever built from the injected text.
[ "$(db "SELECT ch.identifier FROM children ch JOIN cases c ON c.id = ch.case_id WHERE c.panel_ref = 'SIN-2024-33333'")" = "Child Z" ] ||
    fail "the child identifier kept the injected text"
[ "$(db "SELECT count(*) FROM outbox WHERE lower(recipient) LIKE '%evil%'")" = 0 ] ||
    fail "mail was queued to the injected address"
python3 - "$DB" <<'PY' || fail "a queued message carries an injected header"
import sqlite3, sys, email
db = sqlite3.connect(sys.argv[1])
for (raw,) in db.execute("SELECT raw FROM messages WHERE direction = 'out'"):
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc:" not in head and b"evil@example.org" not in head, head[:200]
PY
pass
