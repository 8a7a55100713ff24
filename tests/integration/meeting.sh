#!/bin/bash
# meeting.sh - the meeting (SPEC §4.1, §6) end to end through the real
# OpenSMTPD and Dovecot, driven with --once --now:
# - commands mailed by an administrator to +commands take effect and come
#   back in a transcript: meeting, request, extend, waive, attendee, pack,
#   decision, submitted, close, withdraw; the same text from a non-administrator
#   changes nothing and is quarantined; "thanks" stops the reading;
# - the invitation, set in BST for a meeting after the clocks go back
#   (2024-10-28), has the right local time for libical's and Python's
#   parsers; moving the meeting sends the same UID with a higher SEQUENCE;
# - the pack goes to the attendees with the PDF and the chronology CSV; a
#   recipient outside pack_allowed_domains gets the withheld notice and no
#   PDF; a return after the pack sends an updated pack;
# - rapidreviewctl command and pack -o run the same code locally.
TEST=meeting
. "$(dirname "$0")/../lib/testlib.sh"
MAILTOOL=$RR_SRC/tests/tools/mailtool
NOTIFIER=duty.manager@northshire.gov.uk
MANAGER=manager@northshire-scp.org.uk
CHAIR=chair@northshire-scp.org.uk
SCRUTINEER=scrutineer@independent-review.example
POLICE=pvp@northshire.police.uk
HEALTH=safeguarding@nhs.net
EDU=education@northshire-cc.gov.uk
CMDS=${PARTNERSHIP%@*}+commands@${PARTNERSHIP#*@}

bed_start "$PARTNERSHIP" "$MANAGER" "$CHAIR" chair2@northshire-scp.org.uk \
    "$SCRUTINEER" "$NOTIFIER" \
    "$POLICE" di@northshire.police.uk "$HEALTH" "$EDU" \
    outsider@northshire.gov.uk
write_config "$T/rr.ini" "[agency.education]
name = Northshire Education Safeguarding
aliases = Education
to = $EDU
allow = $EDU
pack = no
[security]
pack_allowed_domains = northshire-scp.org.uk, *.police.uk, nhs.net, *.gov.uk"
sed -i "s/^admins = .*/admins = $MANAGER\nattendees = $CHAIR, $SCRUTINEER\nmarking = OFFICIAL-SENSITIVE/" "$T/rr.ini"
sed -i "/^\[agency.police\]/,/^always_request/ s/^always_request = yes/always_request = yes\npack = yes/" "$T/rr.ini"
DB=$T/state/rr.db
REF=RR-2024-001
db() { sqlite3 -cmd '.timeout 5000' "$DB" "$@"; }
dump() { "$MAILTOOL" dump "$1" "$(passfile "$1")" INBOX; }
once() {
	"$RRD" --once --now "$1" -c "$T/rr.ini" >>"$T/daemon.log" 2>&1 ||
	    { tail -20 "$T/daemon.log"; fail "--once --now $1 failed"; }
}
settle() {
	local i
	for i in $(seq 1 100); do
		"$MAILBED" smtpctl "$B" show queue 2>/dev/null | grep -q . || return 0
		sleep 0.2
	done
}
ctl() { "$RRCTL" -c "$T/rr.ini" "$@"; }
n=0
commands() { # FROM NOW TEXT: mail commands to +commands, run once
	n=$((n + 1))
	printf 'From: %s\r\nTo: %s\r\nSubject: commands\r\nMessage-ID: <cmd%s.%s@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n' \
	    "$1" "$CMDS" "$n" "$$" "$3" >"$T/cmd$n.eml"
	send_mail "$1" "$CMDS" "$T/cmd$n.eml"
	sleep 1
	once "$2"
	settle
}
transcript() { # the last transcript in the manager's mailbox
	dump "$MANAGER" | python3 -c '
import json, sys
t = [m for m in json.load(sys.stdin) if "> " in m["body"] and "what happened" in m["body"]]
print(t[-1]["body"] if t else "")'
}

step "a case opened Monday 2024-10-14"
cat >"$T/sin.eml" <<EOF
From: Duty Manager <$NOTIFIER>
To: $PARTNERSHIP
Subject: Serious Incident Notification
Message-ID: <sin.$$@northshire.gov.uk>
Date: Mon, 14 Oct 2024 08:15:00 +0100

Child: Child J
Incident type: death
Incident date: 2024-10-09
Date aware: 2024-10-10
Date notified: 2024-10-14
Local authority: Northshire
Agencies involved: police, health
Case background: Child J and his mother were found deceased at home.
EOF
send_mail "$NOTIFIER" "$PARTNERSHIP" "$T/sin.eml"
sleep 1
once 2024-10-14T09:00
settle
[ "$(db "SELECT ref FROM cases")" = "$REF" ] || fail "no case"

step "the administrator sets the meeting (in BST, for after the clocks change) and steers the case"
commands "$MANAGER" 2024-10-21T09:00 "meeting $REF 2024-10-28 10:00 1h30 Room 4, Civic Centre
request $REF education
extend $REF police 2024-10-23 awaiting the inspector's sign-off
waive $REF health no contact with the family in five years
attendee $REF add chair2@northshire-scp.org.uk
thanks
close $REF
-- 
Business manager"
transcript >"$T/t1.txt"
cat "$T/t1.txt"
for want in "> meeting $REF 2024-10-28 10:00 1h30 Room 4, Civic Centre" \
    "Meeting set for Mon 28 Oct 2024 10:00" "> request $REF education" \
    "Request sent to Northshire Education Safeguarding" "> extend $REF police" \
    "extended to Wed 23 Oct 2024" "> waive $REF health" "is waived" \
    "> attendee $REF add chair2@northshire-scp.org.uk" \
    "The meeting invitation was sent to chair2@northshire-scp.org.uk"; do
	grep -qF -- "$want" "$T/t1.txt" || fail "transcript lacks: $want"
done
grep -qF "> close" "$T/t1.txt" && fail "a command after 'thanks' was run"
[ "$(db "SELECT state FROM cases")" != closed ] || fail "the case was closed"
[ "$(db "SELECT extended_due || ' ' || extended_reason FROM requests WHERE agency = 'police'")" = "2024-10-23 awaiting the inspector's sign-off" ] ||
    fail "extend not recorded"
[ "$(db "SELECT state FROM requests WHERE agency = 'health'")" = waived ] || fail "waive not recorded"
[ "$(db "SELECT origin || ' ' || state FROM requests WHERE agency = 'education'")" = "command requested" ] ||
    fail "request not recorded"
[ "$(dump "$EDU" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] ||
    fail "education did not get its request"
[ "$(db "SELECT count(*) FROM audit_log WHERE action LIKE 'command.%' AND actor = '$MANAGER'")" -ge 5 ] ||
    fail "commands not audited"

step "the invitation: right local time across the change, parsed by libical and by Python"
dump "$CHAIR" >"$T/chair.json"
python3 - "$T/chair.json" "$RR_SRC/tests/tools/icscheck" <<'PY' || fail "invitation wrong"
import json, subprocess, sys, tempfile
msgs = json.load(open(sys.argv[1]))
inv = [m for m in msgs if m["calendar"]]
assert len(inv) == 1, len(inv)
m = inv[0]
assert m["calendar_method"] == ["REQUEST"], m["calendar_method"]
assert any(a["filename"].endswith(".ics") for a in m["attachments"])
ics = m["calendar"][0]
assert "DTSTART;TZID=Europe/London:20241028T100000" in ics.replace("\r\n ", ""), ics
assert "BEGIN:VTIMEZONE" in ics and "METHOD:REQUEST" in ics
f = tempfile.NamedTemporaryFile("w", suffix=".ics", delete=False)
f.write(ics); f.close()
out = json.loads(subprocess.check_output([sys.argv[2], f.name]))
assert out["dtstart_utc"].startswith("2024-10-28T10:00"), out
assert out["sequence"] == 0, out
print(out["uid"])
open(sys.argv[1] + ".uid", "w").write(out["uid"])
PY
UID0=$(cat "$T/chair.json.uid")
dump chair2@northshire-scp.org.uk | python3 -c '
import json, sys
inv = [m for m in json.load(sys.stdin) if m["calendar"]]
assert len(inv) == 1 and "chair2@northshire-scp.org.uk" in inv[0]["calendar"][0].lower(), inv
' || fail "the attendee added later got no invitation"

step "moving the meeting sends the same UID with a higher SEQUENCE"
commands "$MANAGER" 2024-10-22T09:00 "meeting $REF 2024-10-29 14:00 2h Room 5"
dump "$CHAIR" >"$T/chair2.json"
python3 - "$T/chair2.json" "$RR_SRC/tests/tools/icscheck" "$UID0" <<'PY' || fail "update wrong"
import json, subprocess, sys, tempfile
inv = [m for m in json.load(open(sys.argv[1])) if m["calendar"]]
assert len(inv) == 2, len(inv)
f = tempfile.NamedTemporaryFile("w", suffix=".ics", delete=False)
f.write(inv[-1]["calendar"][0]); f.close()
out = json.loads(subprocess.check_output([sys.argv[2], f.name]))
assert out["uid"] == sys.argv[3], (out["uid"], sys.argv[3])
assert out["sequence"] == 1, out
assert out["dtstart_utc"].startswith("2024-10-29T14:00"), out
assert len(out["attendees"]) >= 4, out["attendees"]
PY

step "returns arrive; the pack command sends the pack; the outsider gets the withheld notice"
token_of() {
	dump "$1" | python3 -c 'import json,sys,re; m=json.load(sys.stdin)[0]; print(re.search(r"[\w.+-]+@[\w.-]+", m["reply_to"]).group(0))'
}
police_return() { # VERSION-TEXT
	cat >"$T/police.txt" <<EOF
--- RAPID REVIEW RETURN $REF BEGIN ---
Completed by: DS Zoë Ní Bhriain
Role: Detective Sergeant, Public Protection Unit
Involved with the child or family (yes/no): yes
Summary of involvement: Two domestic abuse call-outs in 2020; $1.
Chronology (one line each: YYYY-MM-DD | contact type | what happened | outcome):
2020-03-02 | 999 call | Report of an argument at the home; father left | Safeguarding referral
2020-06-11 | Visit | Officers saw mother and Child J; mother said father had gone | No further action
Quality of practice: Referrals were made promptly.
Impact of practice on outcomes for the child: Child J was not spoken to.
Immediate actions taken or needed: Records secured.
LCSPR criteria met (yes/no/unsure): unsure
--- END ---
EOF
	tok=$(token_of "$POLICE")
	"$MAILTOOL" compose "$POLICE" "$tok" "RE: [$REF] Information request" "$T/police.txt" >"$T/police.eml"
	send_mail "$POLICE" "$tok" "$T/police.eml"
}
police_return "first version"
printf 'NIL RETURN\nAlex Morgan, Designated Safeguarding Lead\n' >"$T/edu.txt"
tok=$(token_of "$EDU")
"$MAILTOOL" compose "$EDU" "$tok" "RE: [$REF] Information request" "$T/edu.txt" >"$T/edu.eml"
send_mail "$EDU" "$tok" "$T/edu.eml"
sleep 1
once 2024-10-22T10:00
settle
[ "$(db "SELECT state FROM cases")" = returns_complete ] ||
    fail "case not returns_complete: $(db "SELECT state FROM cases"); $(db "SELECT agency, state FROM requests")"
commands "$MANAGER" 2024-10-23T09:00 "pack $REF"
transcript | grep -q "Meeting pack sent to" || fail "pack not confirmed in the transcript"
[ "$(db "SELECT state || ' ' || pack_version FROM cases")" = "pack_sent 1" ] || fail "pack not recorded"
mkdir -p "$T/att"
MAILTOOL_SAVE=$T/att dump "$CHAIR" >"$T/chair3.json"
PDF=$(python3 - "$T/chair3.json" <<'PY'
import json, sys
p = [m for m in json.load(open(sys.argv[1])) if any(a["content_type"] == "application/pdf" for a in m["attachments"])]
assert len(p) == 1, len(p)
names = [a["content_type"] for a in p[0]["attachments"]]
assert "text/csv" in names and "application/ics" in names, names
print([a["path"] for a in p[0]["attachments"] if a["content_type"] == "application/pdf"][0])
PY
) || fail "the chair has no pack"
pdftotext -layout "$PDF" - >"$T/pack.txt" || fail "the pack PDF does not parse"
grep -q "Report of an argument at the home" "$T/pack.txt" || fail "the pack lacks the chronology"
grep -q "OFFICIAL-SENSITIVE" "$T/pack.txt" || fail "the pack lacks the marking"
dump "$SCRUTINEER" >"$T/scrutineer.json"
python3 - "$T/scrutineer.json" <<'PY' || fail "the outsider got the pack"
import json, sys
msgs = json.load(open(sys.argv[1]))
assert not any(a["content_type"] == "application/pdf" for m in msgs for a in m["attachments"])
assert not any(a["content_type"] == "text/csv" for m in msgs for a in m["attachments"])
assert any("withheld" in m["body"].lower() or "not sent" in m["body"].lower() for m in msgs), [m["subject"] for m in msgs]
PY
[ "$(dump "$POLICE" | python3 -c 'import json,sys; print(sum(1 for m in json.load(sys.stdin) for a in m["attachments"] if a["content_type"] == "application/pdf"))')" = 1 ] ||
    fail "the pack = yes agency did not get the pack"

step "a return after the pack and before the meeting sends an updated pack"
police_return "second version, with the sign-off"
sleep 1
once 2024-10-24T09:30
settle
[ "$(db "SELECT pack_version || ' ' || pack_stale FROM cases")" = "2 0" ] || fail "no updated pack: $(db "SELECT pack_version, pack_stale FROM cases")"
dump "$CHAIR" | python3 -c '
import json, sys
p = [m for m in json.load(sys.stdin) if any(a["content_type"] == "application/pdf" for a in m["attachments"])]
assert len(p) == 2, len(p)
assert "UPDATED" in p[-1]["body"], p[-1]["body"][:300]
' || fail "the updated pack is not marked as such"

step "a non-administrator's commands change nothing and are quarantined"
commands outsider@northshire.gov.uk 2024-10-24T10:00 "close $REF"
[ "$(db "SELECT state FROM cases")" = pack_sent ] || fail "a non-admin changed the case"
[ "$(db "SELECT count(*) FROM quarantine q JOIN messages m ON m.id = q.message_id WHERE m.sender = 'outsider@northshire.gov.uk'")" = 1 ] ||
    fail "the non-admin's commands were not quarantined"

step "after the meeting: decision, submitted, close"
once 2024-10-29T17:00
[ "$(db "SELECT state FROM cases")" = meeting_held ] || fail "meeting not held: $(db "SELECT state FROM cases")"
commands "$MANAGER" 2024-10-30T09:00 "decision $REF no-lcspr Learning will be taken forward through the partnership's training plan
submitted $REF 2024-10-30"
transcript >"$T/t4.txt"
grep -q "decision recorded" "$T/t4.txt" || fail "decision not confirmed"
grep -q "submitted to the National Panel on Wed 30 Oct 2024" "$T/t4.txt" || fail "submitted not confirmed"
[ "$(db "SELECT state || ' ' || decision || ' ' || submitted_on FROM cases")" = "submitted no-lcspr 2024-10-30" ] ||
    fail "decision/submitted not recorded"
ctl show "$REF" | grep -q "no-lcspr" || fail "show lacks the decision"
ctl command "status $REF" | grep -q "$REF: submitted" || fail "rapidreviewctl command status failed"
ctl pack "$REF" -o "$T/local.pdf" || fail "pack -o failed"
[ "$(stat -c %a "$T/local.pdf")" = 600 ] || fail "pack -o file is not 0600"
pdftotext "$T/local.pdf" - | grep -q "Officers saw mother" || fail "the local pack lacks the chronology"
commands "$MANAGER" 2024-10-31T09:00 "close $REF"
transcript | grep -q "$REF is closed" || fail "close not confirmed"
[ "$(db "SELECT state FROM cases")" = closed ] || fail "not closed"
ctl command "waive $REF police too late" | grep -q "Failed: $REF is closed" ||
    fail "a closed case accepted a command"

step "a withdrawn case cancels its meeting: METHOD:CANCEL, same UID"
sed -e 's/Child J/Child K/' -e "s/<sin\./<sin2./" -e 's/2024-10-09/2024-10-30/' \
    -e 's/2024-10-10/2024-10-31/' -e 's/2024-10-14/2024-11-01/' "$T/sin.eml" >"$T/sin2.eml"
send_mail "$NOTIFIER" "$PARTNERSHIP" "$T/sin2.eml"
sleep 1
once 2024-11-01T09:00
commands "$MANAGER" 2024-11-04T09:00 "meeting RR-2024-002 2024-11-12 10:00 45m 4th floor, Civic Centre
withdraw RR-2024-002 the criteria for a Rapid Review were not met"
transcript | grep -qF "Meeting set for Tue 12 Nov 2024 10:00, 45 minutes, 4th floor, Civic Centre" ||
    fail "a duration in minutes, or a place starting with a digit, was misread"
transcript | grep -q "RR-2024-002 is withdrawn. The meeting was cancelled" ||
    fail "withdraw not confirmed"
[ "$(db "SELECT state FROM cases WHERE ref = 'RR-2024-002'")" = withdrawn ] || fail "not withdrawn"
dump "$CHAIR" | python3 -c '
import json, sys
inv = [m for m in json.load(sys.stdin) if m["calendar"] and "RR-2024-002" in m["calendar"][0]]
# OpenSMTPD may deliver the two in either order.
assert sorted(m["calendar_method"][0] for m in inv) == ["CANCEL", "REQUEST"], [m["calendar_method"] for m in inv]
uids = {l for m in inv for l in m["calendar"][0].splitlines() if l.startswith("UID:")}
assert len(uids) == 1, uids
cancel = [m for m in inv if m["calendar_method"][0] == "CANCEL"][0]
assert "STATUS:CANCELLED" in cancel["calendar"][0]
' || fail "the cancellation is wrong"
pass
