#!/bin/bash
# daemon_login.sh - the daemon against a real Dovecot and OpenSMTPD on
# loopback: mail submitted over SMTP with STARTTLS lands in Dovecot and is
# read back over IMAPS verified against the test CA; the daemon logs in over
# IMAPS and STARTTLS, tells systemd it is ready, reloads on SIGHUP (keeping
# its configuration when the new one is bad) and stops on SIGTERM; it
# refuses a server whose certificate is not from the configured CA or not
# for the host name, and sends no LOGIN then.
TEST=daemon_login
. "$(dirname "$0")/../lib/testlib.sh"

bed_start "$PARTNERSHIP" alice@example.org
write_config "$T/rr.ini"

logins() {
	# Dovecot logs every successful login; count the partnership's.
	grep -c "Login: user=<$PARTNERSHIP>" "$B/dovecot.log" || true
}

step "SMTP (STARTTLS) into OpenSMTPD, LMTP into Dovecot, IMAPS back out"
tok="rr-selftest-$$-$RANDOM"
printf 'From: alice@example.org\r\nTo: %s\r\nSubject: test\r\nMessage-ID: <%s@example.org>\r\n\r\nbody %s\r\n' \
    "$PARTNERSHIP" "$tok" "$tok" >"$T/msg.eml"
send_mail alice@example.org "$PARTNERSHIP" "$T/msg.eml"
"$IMAPCHECK" -h localhost -p "$MB_IMAPS_PORT" -a "$MB_CA" -u "$PARTNERSHIP" \
    -P "$(passfile "$PARTNERSHIP")" -w "body $tok" -t 15 >"$T/fetched" ||
    fail "the message did not come back over IMAPS"
grep -q "Message-ID: <$tok@example.org>" "$T/fetched" ||
    fail "fetched message lacks its Message-ID"
step "the same over STARTTLS on the IMAP port"
"$IMAPCHECK" -s -h localhost -p "$MB_IMAP_PORT" -a "$MB_CA" -u "$PARTNERSHIP" \
    -P "$(passfile "$PARTNERSHIP")" >/dev/null ||
    fail "STARTTLS login with the test CA failed"

step "imapcheck refuses the wrong CA and the wrong host name"
rc=0
"$IMAPCHECK" -h localhost -p "$MB_IMAPS_PORT" -a "$MB_OTHER_CA" \
    -u "$PARTNERSHIP" -P "$(passfile "$PARTNERSHIP")" 2>"$T/err" || rc=$?
[ "$rc" = 3 ] || fail "wrong CA: expected exit 3, got $rc: $(cat "$T/err")"
rc=0
"$IMAPCHECK" -h 127.0.0.1 -p "$MB_IMAPS_PORT" -a "$MB_CA" \
    -u "$PARTNERSHIP" -P "$(passfile "$PARTNERSHIP")" 2>"$T/err" || rc=$?
[ "$rc" = 3 ] || fail "wrong name: expected exit 3, got $rc: $(cat "$T/err")"

step "--check-config passes on the test configuration"
"$RRD" --check-config -c "$T/rr.ini" || fail "--check-config failed"

step "--once logs in over IMAPS"
before=$(logins)
"$RRD" --once -c "$T/rr.ini" >"$T/once.log" 2>&1 ||
    { cat "$T/once.log"; fail "--once failed"; }
grep -q "logged in to localhost:$MB_IMAPS_PORT" "$T/once.log" ||
    fail "no login line in the daemon's log"
[ "$(logins)" -gt "$before" ] || fail "Dovecot saw no login"

step "--once logs in over IMAP with STARTTLS"
cp "$T/rr.ini" "$T/starttls.ini"
ini_set "$T/starttls.ini" mailbox url "imap://localhost:$MB_IMAP_PORT/INBOX"
"$RRD" --once -c "$T/starttls.ini" >"$T/once.log" 2>&1 ||
    { cat "$T/once.log"; fail "--once over STARTTLS failed"; }

step "wrong CA: refused, and no LOGIN reaches Dovecot"
cp "$T/rr.ini" "$T/wrongca.ini"
ini_set "$T/wrongca.ini" mailbox ca_file "$MB_OTHER_CA"
before=$(logins)
rc=0
"$RRD" --once -c "$T/wrongca.ini" >"$T/wrongca.log" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "the daemon accepted a certificate from another CA"
grep -q "certificate refused: not signed by a trusted CA" "$T/wrongca.log" ||
    { cat "$T/wrongca.log"; fail "no clear log line for the wrong CA"; }
[ "$(logins)" = "$before" ] || fail "a LOGIN reached Dovecot with the wrong CA"

step "wrong host name: refused, and no LOGIN reaches Dovecot"
cp "$T/rr.ini" "$T/wrongname.ini"
ini_set "$T/wrongname.ini" mailbox url "imaps://127.0.0.1:$MB_IMAPS_PORT/INBOX"
before=$(logins)
rc=0
"$RRD" --once -c "$T/wrongname.ini" >"$T/wrongname.log" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "the daemon accepted a certificate for another name"
grep -q "certificate refused: not issued for this host name" "$T/wrongname.log" ||
    { cat "$T/wrongname.log"; fail "no clear log line for the host name"; }
[ "$(logins)" = "$before" ] || fail "a LOGIN reached Dovecot with the wrong name"

step "STARTTLS with the wrong CA is refused before LOGIN too"
cp "$T/starttls.ini" "$T/starttls-wrongca.ini"
ini_set "$T/starttls-wrongca.ini" mailbox ca_file "$MB_OTHER_CA"
rc=0
"$RRD" --once -c "$T/starttls-wrongca.ini" >"$T/x.log" 2>&1 || rc=$?
[ "$rc" != 0 ] && grep -q "certificate refused" "$T/x.log" ||
    fail "STARTTLS with the wrong CA was not refused"
[ "$(logins)" = "$before" ] || fail "a LOGIN reached Dovecot over STARTTLS"

step "the daemon: READY, SIGHUP reload, bad reload kept out, SIGTERM"
python3 "$RR_SRC/tests/tools/notify-listen" "$T/notify.sock" "$T/notify.out" &
EXTRA_PIDS=$!
sleep 0.3
NOTIFY_SOCKET=$T/notify.sock daemon_start
wait_for "READY=1" "$T/notify.out" 15 || fail "no READY=1 from the daemon"
wait_for "logged in to localhost" "$T/daemon.log" 5 ||
    fail "the daemon did not log in"

# A good reload.
kill -HUP "$DAEMON_PID"
wait_for "reload: configuration loaded" "$T/daemon.log" 10 ||
    fail "no reload after SIGHUP"
grep -q "RELOADING=1" "$T/notify.out" || fail "no RELOADING=1"
[ "$(grep -c 'READY=1' "$T/notify.out")" -ge 2 ] || fail "no READY=1 after reload"

# A bad reload: the daemon keeps running on the old configuration.
cp "$T/rr.ini" "$T/rr.ini.good"
printf '[mailbox]\nbogus_key = 1\n' >>"$T/rr.ini"
kill -HUP "$DAEMON_PID"
wait_for "keeping the running configuration" "$T/daemon.log" 10 ||
    fail "a bad reload was not refused"
grep -q "unknown key 'bogus_key'" "$T/daemon.log" ||
    fail "the bad reload's problem was not logged"
kill -0 "$DAEMON_PID" || fail "the daemon died on a bad reload"
cp "$T/rr.ini.good" "$T/rr.ini"

# Still watching the mailbox: a new message wakes it from IDLE.
send_mail alice@example.org "$PARTNERSHIP" "$T/msg.eml"
step "SIGTERM"
daemon_stop || fail "the daemon did not exit 0 on SIGTERM"
grep -q "STOPPING=1" "$T/notify.out" || fail "no STOPPING=1"
grep -q "stopped" "$T/daemon.log" || fail "no clean stop in the log"

step "no secret reached the log"
pw=$(cat "$(passfile "$PARTNERSHIP")")
! grep -qF -- "$pw" "$T/daemon.log" "$T"/*.log || fail "the password was logged"

pass
