#!/bin/bash
# oauth_mailbox.sh - the daemon against a mailbox that takes only OAuth 2.0,
# as Microsoft 365 does: Dovecot checks each XOAUTH2 token with the fake
# identity provider (tests/tools/fakeidp), IMAP and SMTP submission alike.
# Child J runs from the notification to the requests sent with the daemon
# logged in only by XOAUTH2 with a client_credentials token; an 8-second
# token is renewed while the daemon runs without a failed login; a refused
# token gives one alert, backoff and "oauth" in STATUS=, and the daemon
# recovers by itself when the provider does; an endpoint that is down
# while the token held still lives costs no login.
TEST=oauth_mailbox
. "$(dirname "$0")/../lib/testlib.sh"
MAILTOOL=$RR_SRC/tests/tools/mailtool
NOTIFIER=duty.manager@northshire.gov.uk
MANAGER=manager@northshire-scp.org.uk
CLIENT=3f1c0c3e-0000-4000-8000-00000000c11e
SECRET="rr-secret-$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"

bed_start "$PARTNERSHIP" "$MANAGER" "$NOTIFIER" pvp@northshire.police.uk \
    di@northshire.police.uk safeguarding@nhs.net
cat >"$B/fakeidp.json" <<JSON
{"clients": {"$CLIENT": {"secret": "$SECRET", "mailboxes": ["$PARTNERSHIP"]}}}
JSON
idp_start
idp() { "$FAKEIDP" ctl "$B" "$@"; }
stat_of() { # a dotted path into the stats
	idp stats | python3 -c 'import json,sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v.get(k, 0) if isinstance(v, dict) else 0
print(v)' "$1"
}

umask 077
printf '%s\n' "$SECRET" >"$T/client-secret"
write_config "$T/rr.ini" "[oauth]
provider = microsoft
tenant = northshire
client_id = $CLIENT
client_secret_file = $T/client-secret
token_url = $MB_IDP_URL/northshire/oauth2/v2.0/token
ca_file = $MB_CA"
# The mailbox and the sender log in by XOAUTH2 only: no password anywhere.
python3 - "$T/rr.ini" "$PARTNERSHIP" "$MB_SUBMISSION_PORT" <<'PY'
import sys
path, user, port = sys.argv[1:4]
out, sec = [], None
for line in open(path):
    s = line.strip()
    if s.startswith("["):
        sec = s
    if sec == "[mailbox]" and s.startswith("password_file"):
        line = "auth = xoauth2\n"
    if sec == "[smtp]" and s.startswith("url"):
        line = (f"url = smtp://localhost:{port}\nuser = {user}\n"
                "auth = xoauth2\n")
    out.append(line)
open(path, "w").writelines(out)
PY
sed -i "s/^admins = .*/admins = $MANAGER\nmarking = OFFICIAL-SENSITIVE/" "$T/rr.ini"
grep -q password "$T/rr.ini" && fail "the INI still names a password"
"$RRD" --check-config -c "$T/rr.ini" >"$T/check.log" 2>&1 ||
    { cat "$T/check.log"; fail "--check-config refused the OAuth INI"; }

DB=$T/state/rr.db
db() { sqlite3 -cmd '.timeout 5000' "$DB" "$@"; }
pf() { passfile "$1"; }
dump() { "$MAILTOOL" dump "$1" "$(pf "$1")" INBOX; }
settle() { # let OpenSMTPD hand everything to Dovecot
	local i
	for i in $(seq 1 50); do
		"$MAILBED" smtpctl "$B" show queue 2>/dev/null | grep -q . || return 0
		sleep 0.2
	done
}
sin() { # FILE CHILD PANEL-REF NOTIFIED
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
Incident type: death
Incident date: 2024-07-03
Date aware: 2024-07-04
Date notified: $4
Panel reference: $3
Local authority: Northshire
Agencies involved: police, health
Case background: $2 and his mother were found deceased in the family home.
EOF2
}
# Dovecot's login lines for the partnership, by method (IMAP and submission).
logins() { grep "Login: user=<$PARTNERSHIP>" "$B/dovecot.log" || true; }

step "Child J: notification to requests sent, logged in by XOAUTH2 alone"
sin "$T/sin1.eml" "Child J" SIN-2024-12345 2024-07-08
send_mail "$NOTIFIER" "$PARTNERSHIP" "$T/sin1.eml"
sleep 1
"$RRD" --once --now 2024-07-08T09:00 -v -c "$T/rr.ini" >>"$T/daemon.log" 2>&1 ||
    { tail -20 "$T/daemon.log"; fail "--once failed"; }
settle
[ "$(db "SELECT ref || ' ' || state FROM cases")" = "RR-2024-001 awaiting_returns" ] ||
    fail "Child J's case not opened: $(db 'SELECT ref, state FROM cases')"
for who in pvp@northshire.police.uk:police safeguarding@nhs.net:health; do
	addr=${who%%:*}
	dump "$addr" >"$T/${who##*:}.json"
	python3 - "$T/${who##*:}.json" "${who##*:}" <<'PY' || fail "request to $addr wrong"
import json, sys
msgs, key = json.load(open(sys.argv[1])), sys.argv[2]
assert len(msgs) == 1, [m["subject"] for m in msgs]
m = msgs[0]
assert m["subject"].startswith("OFFICIAL-SENSITIVE [RR-2024-001]"), m["subject"]
assert "--- RAPID REVIEW RETURN RR-2024-001 BEGIN ---" in m["body"]
assert f"rapidreview+rr-2024-001.{key}." in m["reply_to"], m["reply_to"]
PY
done
dump "$NOTIFIER" | grep -q '\[RR-2024-001\]' ||
    fail "the notifier has no acknowledgement"
logins >"$T/logins"
grep -q "imap-login: Info: Login: user=<$PARTNERSHIP>, method=XOAUTH2" "$T/logins" ||
    fail "no IMAP login by XOAUTH2: $(cat "$T/logins")"
grep -q "submission-login: Info: Login: user=<$PARTNERSHIP>, method=XOAUTH2" "$T/logins" ||
    fail "no SMTP submission login by XOAUTH2: $(cat "$T/logins")"
if grep -v "method=XOAUTH2" "$T/logins" | grep -q .; then
	fail "a login by another method: $(grep -v method=XOAUTH2 "$T/logins")"
fi
[ "$(stat_of token_requests.client_credentials)" -ge 1 ] ||
    fail "no client_credentials token was asked for"
step "$(wc -l <"$T/logins") logins, all XOAUTH2; $(stat_of tokens_issued) token(s) issued"

step "tokens of 8 s: renewed while the daemon runs, no login refused"
idp set '{"token_lifetime": 8}' >/dev/null
NOTIFY_LOG=$T/notify.log
"$RR_SRC/tests/tools/notify-listen" "$T/notify.sock" "$NOTIFY_LOG" &
EXTRA_PIDS="$EXTRA_PIDS $!"
for i in $(seq 1 50); do [ -S "$T/notify.sock" ] && break; sleep 0.1; done
before=$(stat_of tokens_issued)
NOTIFY_SOCKET=$T/notify.sock daemon_start -v
wait_for "waiting for new mail" "$T/daemon.log" 20 ||
    fail "the daemon did not log in"
TODAY=$(date +%F)
for n in 2 3 4; do
	if [ "$n" = 3 ]; then
		# A new IMAP session half way: its login needs a renewed token.
		k=$(grep -c "logged in to" "$T/daemon.log")
		"$MAILBED" restart-imap "$B" >/dev/null
		for i in $(seq 1 100); do
			[ "$(grep -c "logged in to" "$T/daemon.log")" -gt "$k" ] &&
			    break
			sleep 0.2
		done
	fi
	sin "$T/sin$n.eml" "Child K$n" "SIN-2026-2000$n" "$TODAY"
	send_mail "$NOTIFIER" "$PARTNERSHIP" "$T/sin$n.eml"
	sleep 9
done
for i in $(seq 1 100); do
	[ "$(db 'SELECT count(*) FROM cases')" = 4 ] && break
	sleep 0.2
done
[ "$(db 'SELECT count(*) FROM cases')" = 4 ] ||
    fail "not every notification opened a case: $(db 'SELECT ref FROM cases')"
unsent() { db "SELECT count(*) FROM outbox WHERE state <> 'sent'"; }
for i in $(seq 1 100); do
	[ "$(unsent)" = 0 ] && break
	sleep 0.2
done
[ "$(unsent)" = 0 ] ||
    fail "mail not sent: $(db "SELECT template, state, last_error FROM outbox WHERE state <> 'sent'")"
after=$(stat_of tokens_issued)
[ $((after - before)) -ge 3 ] ||
    fail "the token was not renewed: $((after - before)) new token(s) in 27 s"
grep -E "refused the OAuth token|oauth:" "$T/daemon.log" &&
    fail "a login was refused while tokens were renewed"
[ "$(stat_of introspections.inactive)" = 0 ] ||
    fail "Dovecot was shown $(stat_of introspections.inactive) dead token(s)"
[ "$(db "SELECT count(*) FROM alerts WHERE kind = 'oauth'")" = 0 ] ||
    fail "an oauth alert with nothing wrong"
step "$((after - before)) tokens renewed in 27 s; no login refused"

step "the token endpoint down near expiry: the token held still serves"
# Tokens of 30 s are renewed with 10 s left. Take a fresh one at a new
# IMAP login, stop the endpoint, and make the daemon log in to SMTP again
# (Dovecot restarted) with about 8 s of it left: the renewal fails, the
# token held is used, and the mail goes.
idp set '{"token_lifetime": 30}' >/dev/null
idp expire >/dev/null
k=$(grep -c "logged in to" "$T/daemon.log")
"$MAILBED" restart-imap "$B" >/dev/null
for i in $(seq 1 100); do
	[ "$(grep -c "logged in to" "$T/daemon.log")" -gt "$k" ] && break
	sleep 0.2
done
[ "$(grep -c "logged in to" "$T/daemon.log")" -gt "$k" ] ||
    fail "the daemon did not log in again"
got=$(date +%s)
idp set '{"down": true}' >/dev/null
sleep $((got + 22 - $(date +%s)))
sin "$T/sin6.eml" "Child K6" SIN-2026-20006 "$TODAY"
send_mail "$NOTIFIER" "$PARTNERSHIP" "$T/sin6.eml"
wait_for "using the one held" "$T/daemon.log" 10 ||
    fail "the daemon did not fall back on the token it held"
for i in $(seq 1 50); do
	[ "$(unsent)" = 0 ] && break
	sleep 0.2
done
[ "$(unsent)" = 0 ] ||
    fail "mail waited although the token held was valid: $(db "SELECT template, last_error FROM outbox WHERE state <> 'sent'")"
[ "$(db "SELECT count(*) FROM alerts WHERE kind = 'oauth'")" = 0 ] ||
    fail "an endpoint outage shorter than the token was alerted"
idp set '{"down": false, "token_lifetime": 8}' >/dev/null
step "$(grep -o "oauth: renewing the token failed.*" "$T/daemon.log" | tail -1)"

step "the provider refuses: one alert, backoff, STATUS=; then recovery"
idp set '{"refuse": "invalid_client"}' >/dev/null
idp expire >/dev/null
"$MAILBED" restart-imap "$B" >/dev/null
wait_for "invalid_client" "$T/daemon.log" 30 ||
    fail "the refusal was not logged"
wait_for "AADSTS7000215" "$T/daemon.log" 5 ||
    fail "the provider's AADSTS code is not in the log"
sleep 8		# several reconnect attempts, backing off
tries=$(grep -c "reconnecting in" "$T/daemon.log")
[ "$tries" -ge 3 ] || fail "the daemon did not retry ($tries)"
grep -o "reconnecting in [0-9]*s" "$T/daemon.log" | tail -3 >"$T/backoff"
python3 - "$T/backoff" <<'PY' || fail "no backoff: $(cat "$T/backoff")"
import re, sys
s = [int(re.search(r"(\d+)s", l).group(1)) for l in open(sys.argv[1])]
assert s == sorted(s) and s[-1] > s[0], s
PY
[ "$(db "SELECT count(*) FROM alerts WHERE kind = 'oauth'")" = 1 ] ||
    fail "want one oauth alert, got $(db "SELECT count(*) FROM alerts WHERE kind = 'oauth'")"
db "SELECT detail FROM alerts WHERE kind = 'oauth'" | grep -q invalid_client ||
    fail "the alert does not give the provider's words"
step "alert: $(db "SELECT detail FROM alerts WHERE kind = 'oauth'")"
step "$(grep "STATUS=" "$NOTIFY_LOG" | grep "oauth" | tail -1)"
grep "STATUS=" "$NOTIFY_LOG" | grep -q "oauth" ||
    fail "STATUS= never said why: $(tail -3 "$NOTIFY_LOG")"
idp set '{"refuse": null}' >/dev/null
wait_for "logins work again" "$T/daemon.log" 60 ||
    fail "the daemon did not recover when the provider did"
sin "$T/sin5.eml" "Child K5" SIN-2026-20005 "$TODAY"
send_mail "$NOTIFIER" "$PARTNERSHIP" "$T/sin5.eml"
for i in $(seq 1 100); do
	[ "$(db 'SELECT count(*) FROM cases')" = 6 ] && break
	sleep 0.2
done
[ "$(db 'SELECT count(*) FROM cases')" = 6 ] ||
    fail "mail after the recovery was not handled"
[ "$(db "SELECT count(*) FROM alerts WHERE kind = 'oauth'")" = 1 ] ||
    fail "the outage was alerted more than once"
step "$tries tries, backoff $(tr '\n' ' ' <"$T/backoff"), one alert, recovered"

step "no token or secret in the log, the database or the state folder"
daemon_stop
leak=$(grep -rlaE "eyJ0eXAi[A-Za-z0-9_-]{16}|$SECRET" "$T/daemon.log" "$T/state" || true)
[ -z "$leak" ] || fail "a token or the secret leaked into: $leak"
db .dump | grep -qE "eyJ0eXAi[A-Za-z0-9_-]{16}|$SECRET" &&
    fail "a token or the secret is in the database"
pass
