#!/bin/bash
# watchdog.sh - the daemon under a stand-in for systemd: with WATCHDOG_USEC
# (and WATCHDOG_PID set to its own pid, as systemd does) it says READY=1,
# then pings WATCHDOG=1 at half the interval with no gap near the interval;
# RELOADING=1 then READY=1 on SIGHUP; STOPPING=1 on SIGTERM; STATUS= lines
# a person can read ("idle; 1 open case; next: ..."). Against a server that
# accepts and never answers, every connection attempt gives up after the
# [mailbox] timeout, the pings go on with no gap longer than that timeout
# and a second, the daemon retries with a growing backoff (1s, 2s, 4s) and
# says so in STATUS=, and SIGTERM still stops it within the timeout.
# Also: -i NAME names /etc/rapidreviewd/NAME.ini and refuses a bad NAME.
TEST=watchdog
. "$(dirname "$0")/../lib/testlib.sh"
STALL=$RR_SRC/tests/tools/stallserver
NOTIFIER=duty.manager@northshire.gov.uk
MANAGER=manager@northshire-scp.org.uk

# A notify socket like tests/tools/notify-listen, but each line starts with
# the receiving time on the monotonic clock (seconds), for the gaps.
notify_listen() {
	python3 -c '
import os, socket, sys, time
path, out = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(out, "a", buffering=1) as f:
    while True:
        m = s.recv(4096).decode("utf-8", "replace")
        f.write("%.3f %s\n" % (time.monotonic(), m.replace("\n", " | ")))
' "$1" "$2" &
	EXTRA_PIDS="$EXTRA_PIDS $!"
	local i
	for i in $(seq 1 50); do
		[ -S "$1" ] && return 0
		sleep 0.1
	done
	fail "the notify listener did not start"
}

# The daemon as systemd starts it: WATCHDOG_PID is the daemon's own pid
# (the subshell's, kept across exec).
daemon_start_wd() { # NOTIFY_SOCKET WATCHDOG_USEC INI
	(
		export NOTIFY_SOCKET=$1 WATCHDOG_USEC=$2 WATCHDOG_PID=$BASHPID
		exec "$RRD" -c "$3"
	) >>"$T/daemon.log" 2>&1 &
	DAEMON_PID=$!
}

# pings OUT: "COUNT MAXGAP" of the WATCHDOG=1 lines from the first READY=1
# until now (the time since the last ping counts as a gap too).
pings() {
	python3 - "$1" <<'PY'
import sys, time
t, ready = [], None
for line in open(sys.argv[1]):
    at, msg = line.rstrip("\n").split(" ", 1)
    if msg == "READY=1" and ready is None:
        ready = float(at)
    elif msg == "WATCHDOG=1" and ready is not None:
        t.append(float(at))
marks = [ready] + t + [time.monotonic()]
print(len(t), "%.3f" % max(b - a for a, b in zip(marks, marks[1:])))
PY
}

step "-i NAME means /etc/rapidreviewd/NAME.ini; a bad NAME is a usage error"
# prog OPTIONS: the daemon's --check-config, or rapidreviewctl cases.
for prog in rrd rrctl; do
	run() {
		if [ $prog = rrd ]; then
			"$RRD" --check-config "$@"
		else
			"$RRCTL" "$@" cases
		fi
	}
	rc=0
	run -i no-such_instance1 >"$T/i.out" 2>&1 || rc=$?
	[ "$rc" = 1 ] && grep -q "/etc/rapidreviewd/no-such_instance1.ini" "$T/i.out" ||
	    fail "$prog -i: expected exit 1 naming the INI, got $rc: $(cat "$T/i.out")"
	for bad in "../etc" "North" "a/b" "" "a.ini"; do
		rc=0
		run -i "$bad" >"$T/i.out" 2>&1 || rc=$?
		[ "$rc" = 2 ] || fail "$prog -i '$bad': expected exit 2, got $rc"
	done
	rc=0
	run -i x -c "$T/x.ini" >/dev/null 2>&1 || rc=$?
	[ "$rc" = 2 ] || fail "$prog: -i with -c should be a usage error, got $rc"
done

bed_start "$PARTNERSHIP" "$NOTIFIER" "$MANAGER" pvp@northshire.police.uk \
    di@northshire.police.uk safeguarding@nhs.net
write_config "$T/rr.ini"

step "a SIN notified today waits in the mailbox (one open case)"
today=$(TZ=Europe/London date +%F)
yesterday=$(TZ=Europe/London date -d yesterday +%F)
cat >"$T/sin.eml" <<EOF
From: Duty Manager <$NOTIFIER>
To: $PARTNERSHIP
Subject: OFFICIAL-SENSITIVE Serious Incident Notification
Message-ID: <wd-sin.$$@northshire.gov.uk>
Date: $(date -R)
Content-Type: text/plain; charset=utf-8

Child: Child W
Age: 4
Incident type: Serious harm
Incident date: $yesterday
Date aware: $today
Date notified: $today
Panel reference: SIN-WD-$$
Local authority: Northshire
Agencies involved: police, health
Case background: A test case for the watchdog.
EOF
send_mail "$NOTIFIER" "$PARTNERSHIP" "$T/sin.eml"

step "READY=1, then WATCHDOG=1 every 2s with WATCHDOG_USEC=4000000"
notify_listen "$T/notify.sock" "$T/notify.out"
daemon_start_wd "$T/notify.sock" 4000000 "$T/rr.ini"
wait_for "READY=1" "$T/notify.out" 15 || fail "no READY=1"
wait_for "watchdog: every 2000 ms" "$T/daemon.log" 5 ||
    fail "the daemon did not take WATCHDOG_USEC with its own WATCHDOG_PID"
wait_for "waiting for new mail" "$T/daemon.log" 20 ||
    fail "the daemon did not log in and settle"
sleep 10
read -r n gap <<<"$(pings "$T/notify.out")"
step "  $n pings, longest gap ${gap}s"
[ "$n" -ge 4 ] || fail "only $n WATCHDOG=1 in about 10s"
python3 -c "import sys; sys.exit(not $gap < 4.0)" ||
    fail "a gap of ${gap}s between pings: systemd would have killed it"

step "STATUS= says what the daemon is doing, in words"
wait_for "STATUS=idle; 1 open case; next: " "$T/notify.out" 10 ||
    fail "no STATUS= with the open case: $(grep STATUS= "$T/notify.out")"
grep "STATUS=idle; 1 open case; next: " "$T/notify.out" | tail -1 |
    grep -Eq "next: [a-z ()]+ RR-[0-9]{4}-001 (today|tomorrow|[A-Z][a-z]{2} [0-9]{4}-[0-9]{2}-[0-9]{2})" ||
    fail "STATUS= names no next milestone: $(grep STATUS= "$T/notify.out" | tail -1)"

step "SIGHUP: RELOADING=1 then READY=1"
kill -HUP "$DAEMON_PID"
wait_for "reload: configuration loaded" "$T/daemon.log" 10 || fail "no reload"
sleep 0.5
awk '{ $1 = ""; print }' "$T/notify.out" | grep -E "RELOADING=1|READY=1" |
    tr -d ' ' | tr '\n' ' ' | grep -q "READY=1 RELOADING=1 READY=1" ||
    fail "not READY, RELOADING, READY: $(grep -E 'RELOADING|READY' "$T/notify.out")"

step "SIGTERM: STOPPING=1 and exit 0"
daemon_stop || fail "the daemon did not exit 0 on SIGTERM"
grep -q " STOPPING=1$" "$T/notify.out" || fail "no STOPPING=1"
read -r n gap <<<"$(python3 - "$T/notify.out" <<'PY'
import sys
t = [float(l.split(" ", 1)[0]) for l in open(sys.argv[1]) if l.rstrip().endswith(" WATCHDOG=1")]
print(len(t), "%.3f" % max(b - a for a, b in zip(t, t[1:])))
PY
)"
step "  all told $n pings, longest gap ${gap}s"
python3 -c "import sys; sys.exit(not $gap < 4.0)" ||
    fail "a gap of ${gap}s between pings (SIGHUP or ingest held the loop)"

step "a stalled IMAP server: accepts, never answers"
python3 "$STALL" "$T/stall.port" "$T/stall.log" &
EXTRA_PIDS="$EXTRA_PIDS $!"
python3 "$STALL" "$T/stall2.port" &
EXTRA_PIDS="$EXTRA_PIDS $!"
wait_for "" "$T/stall.port" 5 && wait_for "" "$T/stall2.port" 5 ||
    fail "the stall server did not start"
sleep 0.2
TIMEOUT=5
cp "$T/rr.ini" "$T/stall.ini"
ini_set "$T/stall.ini" mailbox url "imaps://localhost:$(cat "$T/stall.port")/INBOX"
ini_set "$T/stall.ini" mailbox timeout "$TIMEOUT"
cp "$T/stall.ini" "$T/stall-plain.ini"
ini_set "$T/stall-plain.ini" mailbox url "imap://localhost:$(cat "$T/stall2.port")/INBOX"

# Meanwhile: --once against a server that never sends its greeting.
( s=$(date +%s%N); rc=0
  "$RRD" --once -c "$T/stall-plain.ini" >"$T/once.log" 2>&1 || rc=$?
  echo "$rc $(( ($(date +%s%N) - s) / 1000000 ))" >"$T/once.rc" ) &
once_pid=$!

# The watchdog interval must exceed the timeout plus a second (see loop.c);
# 8s with a 5s timeout: systemd needs every gap under 8s.
: >"$T/notify.out"
: >"$T/daemon.log"
daemon_start_wd "$T/notify.sock" 8000000 "$T/stall.ini"
wait_for "READY=1" "$T/notify.out" 15 || fail "no READY=1 against the stall"
wait_for "reconnecting in 4s" "$T/daemon.log" 40 ||
    fail "no third attempt: $(cat "$T/daemon.log")"

read -r n gap <<<"$(pings "$T/notify.out")"
step "  $n pings, longest gap ${gap}s (timeout ${TIMEOUT}s, interval 8s)"
python3 -c "import sys; sys.exit(not $gap <= $TIMEOUT + 1)" ||
    fail "a gap of ${gap}s: a stalled server held the loop past the timeout"
[ "$n" -ge 4 ] || fail "only $n pings while the server stalled"

step "  the log names the failure and the backoff grows: 1s, 2s, 4s"
grep -E "mailbox: localhost:[0-9]+: .*(timed out|timeout).*; reconnecting in" \
    "$T/daemon.log" >"$T/attempts" || fail "no failure logged: $(cat "$T/daemon.log")"
sed -n 's/.*reconnecting in \([0-9]*s\)$/\1/p' "$T/attempts" | head -3 |
    tr '\n' ' ' | grep -q "^1s 2s 4s $" ||
    fail "backoff does not grow 1s, 2s, 4s: $(cat "$T/attempts")"
grep -q "STATUS=reconnecting in [0-9]*s: localhost:[0-9]*: .*; 1 open case" \
    "$T/notify.out" || fail "no 'reconnecting in' STATUS=: $(grep STATUS= "$T/notify.out")"
python3 - "$T/stall.log" "$TIMEOUT" <<'PY' || fail "the server saw no backoff: $(cat "$T/stall.log")"
import sys
acc = [float(l.split()[0]) for l in open(sys.argv[1]) if " accept " in l]
t = float(sys.argv[2])
assert len(acc) >= 3, acc
d = [b - a for a, b in zip(acc, acc[1:])][:2]
# Each try waits the timeout, then 1s, then 2s.
assert t + 0.8 <= d[0] <= t + 1 + 1.5, d
assert t + 1.8 <= d[1] <= t + 2 + 1.5, d
print("  accepts %.2fs and %.2fs apart" % tuple(d))
PY

step "  SIGTERM during a stalled connect stops it within the timeout"
n0=$(grep -c " accept " "$T/stall.log")
i=0
while [ "$(grep -c " accept " "$T/stall.log")" = "$n0" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ "$(grep -c " accept " "$T/stall.log")" -gt "$n0" ] || fail "no fourth attempt"
sleep 0.5
s=$(date +%s%N)
daemon_stop || fail "the daemon did not exit 0 on SIGTERM during a stall"
ms=$(( ($(date +%s%N) - s) / 1000000 ))
step "  stopped ${ms}ms after SIGTERM"
[ "$ms" -le $(( (TIMEOUT + 2) * 1000 )) ] || fail "SIGTERM took ${ms}ms"
grep -q " STOPPING=1$" "$T/notify.out" || fail "no STOPPING=1 after the stall"

step "--once against a server that sends no greeting gives up after the timeout"
wait "$once_pid" || true
read -r rc ms <"$T/once.rc"
step "  exit $rc after ${ms}ms"
[ "$rc" = 1 ] || fail "--once against a stall: exit $rc: $(cat "$T/once.log")"
[ "$ms" -le $(( (TIMEOUT + 2) * 1000 )) ] || fail "--once took ${ms}ms"
grep -q "no greeting within the timeout" "$T/once.log" ||
    fail "no clear reason: $(cat "$T/once.log")"
grep -q "reconnecting" "$T/once.log" && fail "--once does not reconnect"

pass
