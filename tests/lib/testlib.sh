# testlib.sh - shared helpers for the integration tests (bash).
#
# Source it after setting TEST (the test's name). It makes $T (a fresh
# temporary directory, removed on success, kept on failure), and gives:
#   bed_start USER...      start tests/lib/mailbed in $T/bed and load its env
#   idp_start              start tests/tools/fakeidp on the bed ($B/fakeidp.json
#                          written first); it is stopped with the test
#   write_config FILE [EXTRA_INI]   an INI for the daemon against the bed
#   send_mail FROM TO FILE submit over SMTP with STARTTLS required
#   wait_for TEXT FILE [SECONDS]    wait until FILE contains TEXT
#   daemon_start [ARGS]    run rapidreviewd -c $T/rr.ini in the background
#   daemon_stop            SIGTERM it and wait
#   fail MSG / step MSG
# The partnership mailbox is rapidreview@northshire-scp.org.uk.

set -eu

RR_SRC=${RR_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$RR_SRC/build}
MAILBED=$RR_SRC/tests/lib/mailbed
FAKEIDP=$RR_SRC/tests/tools/fakeidp
RRD=$BUILD/rapidreviewd
RRCTL=$BUILD/rapidreviewctl
IMAPCHECK=$BUILD/tests/imapcheck
PARTNERSHIP=rapidreview@northshire-scp.org.uk
T=$(mktemp -d "${TMPDIR:-/tmp}/rr-$TEST.XXXXXX")
B=$T/bed
DAEMON_PID=
EXTRA_PIDS=		# helpers a test started; killed at the end
test_ok=0

finish() {
	set +e
	for p in $EXTRA_PIDS; do
		kill "$p" 2>/dev/null
	done
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -KILL "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
	fi
	[ -d "$B" ] && "$MAILBED" stop "$B" >/dev/null 2>&1
	if [ "$test_ok" = 1 ]; then
		rm -rf "$T"
	else
		for f in "$T/daemon.log" "$B/dovecot.log" "$B/smtpd.log"; do
			[ -s "$f" ] && { echo "--- tail of $f"; tail -n 25 "$f"; }
		done >&2
		echo "$TEST: FAILED; left $T for inspection" >&2
	fi
}
trap finish EXIT

fail() {
	echo "$TEST: FAIL: $*" >&2
	exit 1
}

step() {
	echo "$TEST: $*"
}

pass() {
	test_ok=1
	echo "$TEST: PASS"
}

bed_start() {
	"$MAILBED" start "$B" "$@" >"$T/mailbed.log" 2>&1 ||
	    { cat "$T/mailbed.log" >&2; fail "the mail test bed did not start"; }
	set -a
	# shellcheck disable=SC1091
	. "$B/env"
	set +a
}

idp_start() {
	"$FAKEIDP" start "$B" >"$T/fakeidp-start.log" 2>&1 ||
	    { cat "$T/fakeidp-start.log" >&2; fail "fakeidp did not start"; }
	EXTRA_PIDS="$EXTRA_PIDS $(cat "$B/fakeidp.pid")"
}

# password_file of a bed user (mode 0600, made by mailbed).
passfile() {
	echo "$B/passwords/$1"
}

write_config() {
	local file=$1 extra=${2:-}
	mkdir -p "$T/state"
	chmod 700 "$T/state"
	cat >"$file" <<INI
[partnership]
name = Northshire Safeguarding Children Partnership
address = $PARTNERSHIP
business_manager = manager@northshire-scp.org.uk
admins = manager@northshire-scp.org.uk
[mailbox]
url = imaps://localhost:$MB_IMAPS_PORT/INBOX
user = $PARTNERSHIP
password_file = $(passfile "$PARTNERSHIP")
ca_file = $MB_CA
timeout = 10
poll_seconds = 5
[smtp]
url = smtp://localhost:$MB_SMTP_PORT
ca_file = $MB_CA
[storage]
database = $T/state/rr.db
[templates]
directory = $RR_SRC/templates
[calendar]
holidays_file = $RR_SRC/config/bank-holidays.json
[notifiers]
allow = *@northshire.gov.uk
[agency.police]
name = Northshire Police
aliases = Police, PPU
to = pvp@northshire.police.uk
allow = *@northshire.police.uk
escalate_to = di@northshire.police.uk
always_request = yes
[agency.health]
name = Northshire ICB
aliases = Health, NHS
to = safeguarding@nhs.net
allow = *@nhs.net
always_request = yes
$extra
INI
}

# Replace key = value in section of an INI (first match after the section).
ini_set() {
	local file=$1 section=$2 key=$3 value=$4
	python3 - "$file" "$section" "$key" "$value" <<'PY'
import sys
path, section, key, value = sys.argv[1:5]
out, cur, done = [], None, False
for line in open(path):
    s = line.strip()
    if s.startswith('['):
        cur = s[1:s.index(']')]
    elif not done and cur == section and s.split('=')[0].strip() == key:
        line = f"{key} = {value}\n"
        done = True
    out.append(line)
if not done:
    raise SystemExit(f"no {key} in [{section}]")
open(path, 'w').writelines(out)
PY
}

send_mail() {
	local from=$1 to=$2 file=$3
	curl -sS --ssl-reqd --cacert "$MB_CA" --max-time 20 \
	    "smtp://localhost:$MB_SMTP_PORT" --mail-from "$from" \
	    --mail-rcpt "$to" -T "$file" ||
	    fail "SMTP submission from $from to $to failed"
}

wait_for() {
	local text=$1 file=$2 secs=${3:-10} i=0
	while [ "$i" -lt $((secs * 10)) ]; do
		grep -qF -- "$text" "$file" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

daemon_start() {
	"$RRD" -c "$T/rr.ini" "$@" >>"$T/daemon.log" 2>&1 &
	DAEMON_PID=$!
}

daemon_stop() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null || true
	local rc=0
	wait "$DAEMON_PID" || rc=$?
	DAEMON_PID=
	return "$rc"
}
