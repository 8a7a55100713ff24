#!/bin/bash
# mailbed_selftest.sh - checks the mail test bed (tests/lib/mailbed) with curl
# alone: SMTP submission over STARTTLS and SMTPS, delivery by LMTP, reading
# back over IMAPS, certificate checks (wrong CA, host-name mismatch), no
# plaintext login off-host, unknown recipients refused, adduser,
# restart-imap, stop-smtp/start-smtp, and that stop closes every port.
#
# Env: RR_SRC  repository root (default: found from this script's location)
#      BUILD   build directory (not needed here; accepted for uniformity)
# Exit 0 on success; on failure, a message and the bed's directory is kept.

set -eu

RR_SRC=${RR_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
MAILBED=$RR_SRC/tests/lib/mailbed
T=$(mktemp -d "${TMPDIR:-/tmp}/mailbed-selftest.XXXXXX")
B=$T/bed
ok=0

finish() {
	set +e
	"$MAILBED" stop "$B" >/dev/null 2>&1
	if [ "$ok" = 1 ]; then
		rm -rf "$T"
	else
		for f in "$B/dovecot.log" "$B/smtpd.log"; do
			[ -s "$f" ] && { echo "--- tail of $f"; tail -n 15 "$f"; }
		done >&2
		echo "mailbed_selftest: FAILED; left $T for inspection" >&2
	fi
}
trap finish EXIT

fail() {
	echo "mailbed_selftest: FAIL: $*" >&2
	exit 1
}

step() {
	echo "mailbed_selftest: $*"
}

[ -x "$MAILBED" ] || fail "no executable $MAILBED"

step "start"
"$MAILBED" start "$B" alice@example.org bob@example.org ||
    fail "mailbed start failed"
# shellcheck disable=SC1091
. "$B/env"
for v in MB_DIR MB_CA MB_OTHER_CA MB_HOST MB_IMAP_PORT MB_IMAPS_PORT \
    MB_LMTP_PORT MB_SMTP_PORT MB_SMTPS_PORT MB_PASS_alice_example_org \
    MB_PASS_bob_example_org; do
	[ -n "${!v:-}" ] || fail "$B/env does not set $v"
done
[ "$(cat "$B/passwords/alice@example.org")" = "$MB_PASS_alice_example_org" ] ||
    fail "passwords/alice@example.org differs from MB_PASS_alice_example_org"
[ "$(stat -c %a "$B/passwords/alice@example.org")" = 600 ] ||
    fail "passwords/alice@example.org is not mode 0600"

ALICE="alice@example.org:$MB_PASS_alice_example_org"
BOB="bob@example.org:$MB_PASS_bob_example_org"
IMAPS="imaps://$MB_HOST:$MB_IMAPS_PORT"
SMTP="smtp://$MB_HOST:$MB_SMTP_PORT"

# msg FILE TO TOKEN
msg() {
	printf 'From: Tester <tester@example.org>\r\nTo: <%s>\r\nSubject: mailbed selftest %s\r\nDate: %s\r\nMessage-ID: <%s@selftest.example.org>\r\n\r\nbody %s\r\n' \
	    "$2" "$3" "$(date -R)" "$3" "$3" >"$1"
}

# count USER:PASS: messages in INBOX, over IMAPS.
count() {
	curl -sS --max-time 10 --cacert "$MB_CA" -u "$1" "$IMAPS" \
	    -X 'STATUS INBOX (MESSAGES)' |
	    sed -n 's/.*(MESSAGES \([0-9]*\)).*/\1/p' | tr -d '\r'
}

# wait_count USER:PASS N: poll up to 10 s for N messages.
wait_count() {
	local i n
	for i in $(seq 1 50); do
		n=$(count "$1")
		[ "${n:-0}" -ge "$2" ] && return 0
		sleep 0.2
	done
	fail "${1%%:*}: $n message(s) after 10 s, want $2"
}

# fetch USER:PASS UID
fetch() {
	curl -sS --max-time 10 --cacert "$MB_CA" -u "$1" "$IMAPS/INBOX;UID=$2"
}

tok1=tok-$(openssl rand -hex 8)
msg "$T/m1.eml" alice@example.org "$tok1"

step "submit over SMTP with STARTTLS required, no AUTH"
curl -sS --max-time 20 --ssl-reqd --cacert "$MB_CA" "$SMTP" \
    --mail-from tester@example.org --mail-rcpt alice@example.org -T "$T/m1.eml" ||
    fail "SMTP STARTTLS submission failed"

step "wait for delivery, read it back over IMAPS"
wait_count "$ALICE" 1
fetch "$ALICE" 1 >"$T/got1" || fail "IMAPS fetch of UID 1 failed"
grep -q "body $tok1" "$T/got1" || fail "UID 1 lacks the token $tok1"

step "wrong CA is refused"
if curl -sS --max-time 10 --cacert "$MB_OTHER_CA" -u "$ALICE" "$IMAPS/INBOX;UID=1" \
    -o /dev/null 2>"$T/err"; then
	fail "IMAPS fetch with other-ca.pem succeeded"
fi
grep -qi 'certificate' "$T/err" || fail "wrong-CA failure is not about the certificate: $(cat "$T/err")"

step "host-name mismatch (127.0.0.1) is refused"
if curl -sS --max-time 10 --cacert "$MB_CA" -u "$ALICE" \
    "imaps://127.0.0.1:$MB_IMAPS_PORT/INBOX;UID=1" -o /dev/null 2>"$T/err"; then
	fail "IMAPS fetch from 127.0.0.1 succeeded despite the name mismatch"
fi
grep -qi 'name' "$T/err" || fail "mismatch failure is not about the name: $(cat "$T/err")"

step "no plaintext login from 127.0.0.1 to 127.0.0.2"
if curl -sS --max-time 10 -u "$ALICE" "imap://127.0.0.2:$MB_IMAP_PORT/INBOX;UID=1" \
    -o /dev/null 2>"$T/err"; then
	fail "plaintext IMAP login to 127.0.0.2 succeeded"
fi
curl -sS --max-time 10 --ssl-reqd --cacert "$MB_CA" -u "$ALICE" \
    --resolve "$MB_HOST:$MB_IMAP_PORT:127.0.0.2" \
    "imap://$MB_HOST:$MB_IMAP_PORT/INBOX;UID=1" -o /dev/null ||
    fail "IMAP with STARTTLS to 127.0.0.2 failed"

step "unknown recipient is refused at RCPT TO (550), and nothing bounces"
msg "$T/m2.eml" nobody@example.org x
if curl -sS --max-time 20 --ssl-reqd --cacert "$MB_CA" "$SMTP" \
    --mail-from bob@example.org --mail-rcpt nobody@example.org -T "$T/m2.eml" \
    2>"$T/err"; then
	fail "SMTP accepted mail for nobody@example.org"
fi
grep -q 550 "$T/err" || fail "unknown recipient not refused with 550: $(cat "$T/err")"

step "SMTPS with AUTH, +detail address"
tok2=tok-$(openssl rand -hex 8)
msg "$T/m3.eml" alice+case@example.org "$tok2"
curl -sS --max-time 20 --cacert "$MB_CA" "smtps://$MB_HOST:$MB_SMTPS_PORT" -u "$BOB" \
    --mail-from bob@example.org --mail-rcpt alice+case@example.org -T "$T/m3.eml" ||
    fail "SMTPS submission with AUTH failed"
if curl -sS --max-time 20 --ssl-reqd --cacert "$MB_CA" "$SMTP" \
    -u "bob@example.org:wrong" --mail-from bob@example.org \
    --mail-rcpt alice@example.org -T "$T/m3.eml" 2>/dev/null; then
	fail "SMTP AUTH with a wrong password succeeded"
fi
wait_count "$ALICE" 2
fetch "$ALICE" 2 | grep -q "body $tok2" || fail "UID 2 lacks the token $tok2"
[ "$(count "$BOB")" = 0 ] || fail "bob@example.org got mail (a bounce?)"

step "adduser while running"
pw=$("$MAILBED" adduser "$B" carol@northshire.gov.uk) || fail "adduser failed"
. "$B/env"
[ "$pw" = "${MB_PASS_carol_northshire_gov_uk:-}" ] || fail "adduser's password is not in env"
tok3=tok-$(openssl rand -hex 8)
msg "$T/m4.eml" carol@northshire.gov.uk "$tok3"
curl -sS --max-time 20 --ssl-reqd --cacert "$MB_CA" "$SMTP" \
    --mail-from tester@example.org --mail-rcpt carol@northshire.gov.uk -T "$T/m4.eml" ||
    fail "SMTP to the new user failed"
CAROL="carol@northshire.gov.uk:$pw"
wait_count "$CAROL" 1
fetch "$CAROL" 1 | grep -q "body $tok3" || fail "carol's UID 1 lacks the token"

step "restart-imap keeps ports and mail"
"$MAILBED" restart-imap "$B" || fail "restart-imap failed"
fetch "$ALICE" 1 | grep -q "body $tok1" || fail "after restart-imap, UID 1 unreadable"

step "stop-smtp refuses connections, start-smtp brings it back"
"$MAILBED" stop-smtp "$B" || fail "stop-smtp failed"
if curl -sS --max-time 5 --ssl-reqd --cacert "$MB_CA" "$SMTP" \
    --mail-from tester@example.org --mail-rcpt alice@example.org -T "$T/m1.eml" \
    2>/dev/null; then
	fail "SMTP still accepts mail after stop-smtp"
fi
"$MAILBED" start-smtp "$B" || fail "start-smtp failed"
curl -sS --max-time 20 --ssl-reqd --cacert "$MB_CA" "$SMTP" \
    --mail-from tester@example.org --mail-rcpt alice@example.org -T "$T/m1.eml" ||
    fail "SMTP after start-smtp failed"
wait_count "$ALICE" 3

step "stop closes every port; stop is idempotent"
"$MAILBED" stop "$B" || fail "stop failed"
"$MAILBED" stop "$B" || fail "second stop failed"
for p in "$MB_IMAP_PORT" "$MB_IMAPS_PORT" "$MB_LMTP_PORT" "$MB_SMTP_PORT" "$MB_SMTPS_PORT"; do
	for a in 127.0.0.1 127.0.0.2; do
		if (exec 3<>"/dev/tcp/$a/$p") 2>/dev/null; then
			fail "$a:$p still accepts connections after stop"
		fi
	done
done
if "$MAILBED" status "$B" >/dev/null; then
	fail "status says the bed still runs"
fi

ok=1
echo "mailbed_selftest: PASS"
