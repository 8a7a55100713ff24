#!/bin/bash
# intake_classify.sh - classification as an administrator sees it, over real
# mail: every .eml of the shared corpus through `rapidreviewctl inspect`
# (auto-replies as automatic, bounces as bounces, the rest never as either,
# attachments listed, winmail.dat unpacked or refused without a crash); then
# hostile senders through `rapidreviewctl ingest` into a database with a
# case: a reply from an address the agency does not allow, a forged reply
# token and a forged Authentication-Results below the trusted one are each
# quarantined and alerted; out-of-office replies and bounces never change
# the case.
TEST=intake_classify
. "$(dirname "$0")/../lib/testlib.sh"
CORPUS=${RR_SHARED:-$RR_SRC/../shared}/corpus/email
[ -d "$CORPUS" ] || fail "no corpus at $CORPUS"

mkdir -p "$T/state"
chmod 700 "$T/state"
printf 'x\n' >"$T/secret"
chmod 600 "$T/secret"
cat >"$T/rr.ini" <<INI
[partnership]
name = Test SCP
address = $PARTNERSHIP
business_manager = manager@northshire-scp.org.uk
admins = manager@northshire-scp.org.uk
[mailbox]
url = imaps://localhost/INBOX
user = $PARTNERSHIP
password_file = $T/secret
[smtp]
url = smtp://localhost:2525
[storage]
database = $T/state/rr.db
[templates]
directory = $RR_SRC/templates
[calendar]
holidays_file = $RR_SRC/config/bank-holidays.json
[security]
require_authentication = no
trusted_authserv_id = mx.northshire-scp.org.uk
[notifiers]
allow = *@northshire.gov.uk
[agency.police]
name = Northshire Police
to = pvp@northshire.police.uk
allow = *@northshire.police.uk
INI

kind_of() {
	"$RRCTL" -c "$T/rr.ini" --json inspect "$1" >"$T/inspect.json" 2>"$T/inspect.err" ||
	    { cat "$T/inspect.err"; fail "inspect crashed or failed on $1"; }
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kind"])' \
	    "$T/inspect.json" || fail "inspect --json is not JSON for $1"
}

step "every corpus message is classified as its category says"
n=0
for f in "$CORPUS"/autoreplies/*.eml; do
	k=$(kind_of "$f")
	[ "$k" = auto ] || fail "$(basename "$f"): expected auto, got $k"
	n=$((n + 1))
done
for f in "$CORPUS"/bounces/*.eml; do
	k=$(kind_of "$f")
	[ "$k" = bounce ] || fail "$(basename "$f"): expected bounce, got $k"
	n=$((n + 1))
done
for f in "$CORPUS"/clients/*.eml "$CORPUS"/replies/*.eml "$CORPUS"/tnef/*.eml; do
	k=$(kind_of "$f")
	case $k in
	auto | bounce | loop) fail "$(basename "$f"): a person's mail taken as $k" ;;
	esac
	n=$((n + 1))
done
step "$n messages classified"

step "attachments are listed, with winmail.dat unpacked"
attachments() {
	"$RRCTL" -c "$T/rr.ini" --json inspect "$1" | python3 -c '
import json, sys
for a in json.load(sys.stdin)["attachments"]:
    print(a["name"], a["size"], a["sha256"])'
}
attachments "$CORPUS/clients/mail__attachment_pdf.eml" | grep -q '\.pdf ' ||
    fail "the PDF attachment is not listed"
attachments "$CORPUS/clients/mail__attachment_message_rfc822.eml" | grep -q '\.pdf ' ||
    fail "the PDF inside the forwarded message is not listed"
"$RRCTL" -c "$T/rr.ini" --json inspect "$CORPUS/tnef/mimekit__office365_winmail_dat.eml" |
    python3 -c '
import json, sys
parts = json.load(sys.stdin)["parts"]
assert any(p["from_tnef"] and p["content_type"] == "text/html" for p in parts), parts
' || fail "the HTML body inside winmail.dat was not unpacked"

step "every raw TNEF file, sent as winmail.dat, is unpacked or refused without a crash"
for f in "$CORPUS"/tnef/*.tnef "$CORPUS"/tnef/*.dat; do
	[ -f "$f" ] || continue
	{
		printf 'From: someone@example.org\r\nTo: %s\r\nSubject: tnef\r\n' "$PARTNERSHIP"
		printf 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
		printf -- '--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n'
		printf -- '--b\r\nContent-Type: application/ms-tnef; name="winmail.dat"\r\n'
		printf 'Content-Disposition: attachment; filename="winmail.dat"\r\n'
		printf 'Content-Transfer-Encoding: base64\r\n\r\n'
		base64 "$f" | sed 's/$/\r/'
		printf -- '--b--\r\n'
	} >"$T/tnef.eml"
	kind_of "$T/tnef.eml" >/dev/null
	[ "$(basename "$f")" = mimekit__attachments.tnef ] || continue
	attachments "$T/tnef.eml" >"$T/tnef.list"
	grep -q "^zappa_av1.jpg " "$T/tnef.list" && grep -q "^bookmark.htm " "$T/tnef.list" ||
	    fail "the files inside winmail.dat are not listed: $(cat "$T/tnef.list")"
done

step "a case to reply to"
printf 'From: a@example.org\r\nSubject: first\r\n\r\nfirst\r\n' >"$T/first.eml"
"$RRCTL" -c "$T/rr.ini" ingest "$T/first.eml" >/dev/null || fail "ingest failed"
db() { sqlite3 -cmd '.timeout 5000' "$T/state/rr.db" "$@"; }
db "INSERT INTO cases (ref, year, seq, state, day0, day0_basis, created_at, updated_at) VALUES ('RR-2024-001', 2024, 1, 'awaiting_returns', '2024-07-08', 'notified', 0, 0);" 2>"$T/err" ||
    { cat "$T/err"; db ".schema cases" | head -40; fail "cannot make a test case"; }
db "INSERT INTO requests (case_id, agency, state, origin, due_date, created_at) SELECT id, 'police', 'requested', 'always', '2024-07-15', 0 FROM cases WHERE ref = 'RR-2024-001';"

mail() { # FILE FROM SUBJECT [EXTRA-HEADERS] [TO]
	{
		# Extra headers come without their last line end (from $(...)).
		[ -n "${4:-}" ] && printf '%s\r\n' "${4%$'\r'}"
		printf 'From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s.%s@example.org>\r\n\r\nbody\r\n' \
		    "$2" "${5:-$PARTNERSHIP}" "$3" "$(basename "$1")" "$$"
	} >"$1"
}
ingest() {
	"$RRCTL" -c "$T/rr.ini" ingest "$1" >"$T/ingest.out" 2>&1 ||
	    { cat "$T/ingest.out"; fail "ingest failed for $1"; }
	cat "$T/ingest.out"
}
alerts() { db "SELECT count(*) FROM alerts"; }
quarantined() { db "SELECT count(*) FROM quarantine"; }

step "a reply from an address the agency does not allow"
a0=$(alerts); q0=$(quarantined)
mail "$T/notallowed.eml" someone@gmail.com "RE: OFFICIAL-SENSITIVE [RR-2024-001] Information request"
ingest "$T/notallowed.eml" | grep -q quarantined || fail "not quarantined"
[ "$(alerts)" -gt "$a0" ] || fail "no alert"

step "a forged reply token"
a0=$(alerts)
mail "$T/forged.eml" pvp@northshire.police.uk "Re: information request" "" \
    "rapidreview+rr-2024-001.police.aaaaaaaa@northshire-scp.org.uk"
ingest "$T/forged.eml" | grep -q quarantined || fail "forged token not quarantined"
[ "$(alerts)" -gt "$a0" ] || fail "no alert for a forged token"

step "a forged Authentication-Results below the trusted one"
sed -i 's/^require_authentication = no/require_authentication = yes/' "$T/rr.ini"
a0=$(alerts)
mail "$T/forgedar.eml" pvp@northshire.police.uk "RE: [RR-2024-001] Information request" \
    "$(printf 'Authentication-Results: mx.northshire-scp.org.uk; dkim=fail header.d=northshire.police.uk; dmarc=fail header.from=northshire.police.uk\r\nAuthentication-Results: mx.northshire-scp.org.uk; dkim=pass header.d=northshire.police.uk; dmarc=pass header.from=northshire.police.uk\r\n')"
ingest "$T/forgedar.eml" | grep -q quarantined || fail "forged Authentication-Results not quarantined"
[ "$(alerts)" -gt "$a0" ] || fail "no alert for forged Authentication-Results"
step "and the genuine one passes"
mail "$T/genuine.eml" pvp@northshire.police.uk "RE: [RR-2024-001] Information request" \
    "$(printf 'Authentication-Results: mx.northshire-scp.org.uk; dkim=pass header.d=northshire.police.uk; dmarc=pass header.from=northshire.police.uk\r\n')"
ingest "$T/genuine.eml" | grep -q "reply$" || fail "a genuine reply was not taken as a reply"
sed -i 's/^require_authentication = yes/require_authentication = no/' "$T/rr.ini"

step "out-of-office replies and bounces never change the case"
state_before=$(db "SELECT state FROM cases WHERE ref = 'RR-2024-001'")
notes_before=$(db "SELECT count(*) FROM notes WHERE kind = 'reply'")
mail "$T/ooo.eml" pvp@northshire.police.uk "Automatic reply: [RR-2024-001] Information request" \
    "$(printf 'Auto-Submitted: auto-replied\r\n')"
ingest "$T/ooo.eml" | grep -q "auto$" || fail "the out-of-office reply was not automatic"
[ "$(db "SELECT out_of_office FROM requests WHERE agency = 'police'")" = 1 ] ||
    fail "the out-of-office reply was not noted on the request"
for f in "$CORPUS"/bounces/*.eml "$CORPUS"/autoreplies/*.eml; do
	"$RRCTL" -c "$T/rr.ini" ingest "$f" >/dev/null || fail "ingest failed for $f"
done
[ "$(db "SELECT state FROM cases WHERE ref = 'RR-2024-001'")" = "$state_before" ] ||
    fail "automatic mail changed the case"
[ "$(db "SELECT count(*) FROM messages WHERE kind IN ('auto', 'bounce') AND case_id IS NOT NULL AND kind = 'bounce'")" = 0 ] ||
    fail "a bounce was tied to a case"
[ "$(db "SELECT count(*) FROM notes WHERE kind = 'reply'")" = "$notes_before" ] ||
    fail "automatic mail was taken as a reply"

step "the same message twice is recorded once"
m0=$(db "SELECT count(*) FROM messages")
"$RRCTL" -c "$T/rr.ini" ingest "$T/genuine.eml" | grep -q "already recorded" ||
    fail "a duplicate was not recognised"
[ "$(db "SELECT count(*) FROM messages")" = "$m0" ] || fail "a duplicate was stored"

step "deliver: exit 0 when stored"
mail "$T/deliver.eml" someone@example.org "hello"
"$RRCTL" -c "$T/rr.ini" deliver <"$T/deliver.eml" || fail "deliver did not exit 0"
step "deliver: exit 75 (try again later) when the store cannot be opened"
sed "s|^database = .*|database = $T/no-such-dir/rr.db|" "$T/rr.ini" >"$T/broken.ini"
rc=0
"$RRCTL" -c "$T/broken.ini" deliver <"$T/deliver.eml" >/dev/null 2>&1 || rc=$?
[ "$rc" = 75 ] || fail "deliver with no store: expected 75, got $rc"

pass
