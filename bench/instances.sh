#!/bin/bash
# instances.sh [N] - memory of many partnerships on one host: one mail bed
# (tests/lib/mailbed: Dovecot and OpenSMTPD on loopback) with N mailboxes,
# N rapidreviewd daemons, each with its own INI, mailbox user, database and
# reply-token key in its own state folder, as rapidreviewd@NAME.service
# would run them. Waits until every daemon has logged in and sits in IDLE,
# then prints the daemons' total and average resident memory (VmRSS, and
# PSS, which shares the common library pages out fairly) and Dovecot's
# processes' separately; then stops everything.
#
# A benchmark, not a test: make check does not run it. Run as root (the
# mail bed needs it) from the source tree after "make":
#   bash bench/instances.sh          # 50 instances
#   BUILD=build-san bash bench/instances.sh 10
set -eu

N=${1:-50}
RR_SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$RR_SRC/build}
RRD=$BUILD/rapidreviewd
MAILBED=$RR_SRC/tests/lib/mailbed
WAIT=${WAIT:-120}	# seconds for every daemon to reach IDLE

[ -x "$RRD" ] || { echo "instances: no $RRD: run make first" >&2; exit 1; }
case $N in
'' | *[!0-9]*) echo "usage: instances.sh [N]" >&2; exit 2 ;;
esac

T=$(mktemp -d "${TMPDIR:-/tmp}/rr-bench.XXXXXX")
B=$T/bed
PIDS=
cleanup() {
	set +e
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	[ -d "$B" ] && "$MAILBED" stop "$B" >/dev/null 2>&1
	if [ "${KEEP:-0}" = 1 ]; then
		echo "instances: left $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT

user() { echo "user$1@bench.example"; }

users=
for i in $(seq 1 "$N"); do
	users="$users $(user "$i")"
done
echo "instances: starting a mail bed with $N mailboxes"
# shellcheck disable=SC2086
"$MAILBED" start "$B" $users >"$T/mailbed.log" 2>&1 ||
    { cat "$T/mailbed.log" >&2; exit 1; }
set -a
# shellcheck disable=SC1091
. "$B/env"
set +a

for i in $(seq 1 "$N"); do
	d=$T/i$i
	mkdir -p "$d"
	chmod 700 "$d"
	cat >"$d/rr.ini" <<INI
[partnership]
name = Bench Partnership $i
address = $(user "$i")
business_manager = manager$i@bench.example
admins = manager$i@bench.example
[mailbox]
url = imaps://localhost:$MB_IMAPS_PORT/INBOX
user = $(user "$i")
password_file = $B/passwords/$(user "$i")
ca_file = $MB_CA
[smtp]
url = smtp://localhost:$MB_SMTP_PORT
ca_file = $MB_CA
[storage]
database = $d/rr.db
key_file = $d/token.key
[templates]
directory = $RR_SRC/templates
[calendar]
holidays_file = $RR_SRC/config/bank-holidays.json
[notifiers]
allow = *@bench.example
[agency.police]
name = Bench Police
to = police$i@bench.example
allow = *@police.bench.example
INI
done

echo "instances: starting $N daemons"
start=$(date +%s%N)
for i in $(seq 1 "$N"); do
	"$RRD" -c "$T/i$i/rr.ini" >"$T/i$i/daemon.log" 2>&1 &
	PIDS="$PIDS $!"
done

# Every daemon logged in and waiting in IDLE.
idle=0
for _ in $(seq 1 $((WAIT * 10))); do
	idle=0
	for i in $(seq 1 "$N"); do
		if grep -q "logged in to" "$T/i$i/daemon.log" &&
		    grep -q "waiting for new mail (IDLE)" "$T/i$i/daemon.log"; then
			idle=$((idle + 1))
		fi
	done
	[ "$idle" = "$N" ] && break
	sleep 0.1
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [ "$idle" != "$N" ]; then
	echo "instances: only $idle of $N daemons reached IDLE in ${WAIT}s" >&2
	for i in $(seq 1 "$N"); do
		grep -q "waiting for new mail" "$T/i$i/daemon.log" ||
		    { echo "--- i$i"; tail -5 "$T/i$i/daemon.log"; }
	done >&2
	KEEP=1
	exit 1
fi
for p in $PIDS; do
	kill -0 "$p" 2>/dev/null || { echo "instances: daemon $p died" >&2; exit 1; }
done
echo "instances: all $N logged in and idling after ${ms}ms"
sleep 2		# let start-up garbage settle

# "COUNT RSS PSS USS MIN MAX" in kB over the pids given: VmRSS, Pss, and
# private pages (what exiting would give back), min and max VmRSS.
mem() {
	python3 - "$@" <<'PY'
import sys
rss, pss, uss, n, each = 0, 0, 0, 0, []
for pid in sys.argv[1:]:
    try:
        r = [int(l.split()[1]) for l in open(f"/proc/{pid}/status")
             if l.startswith("VmRSS:")][0]
        roll = {l.split()[0]: int(l.split()[1])
                for l in open(f"/proc/{pid}/smaps_rollup")
                if l.split()[-1:] == ["kB"]}
    except (OSError, IndexError):
        continue
    rss, n = rss + r, n + 1
    pss += roll.get("Pss:", 0)
    uss += roll.get("Private_Clean:", 0) + roll.get("Private_Dirty:", 0)
    each.append(r)
print(n, rss, pss, uss, min(each) if each else 0, max(each) if each else 0)
PY
}

# The Dovecot master of this bed and every process under it.
descendants() {
	local p c
	for p in "$@"; do
		echo "$p"
		for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
			descendants "$c"
		done
	done
}
dmaster=$(sed -n '1{s/[^0-9]//g;p;q;}' "$B/dovecot/master.pid")
dpids=$(descendants "$dmaster")

# shellcheck disable=SC2086
read -r n rss pss uss lo hi <<<"$(mem $PIDS)"
# shellcheck disable=SC2086
read -r dn drss dpss duss _ _ <<<"$(mem $dpids)"
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
echo
echo "rapidreviewd: $n daemons"
echo "  total       VmRSS $(mib "$rss"), PSS $(mib "$pss"), private $(mib "$uss")"
echo "  per daemon  VmRSS $(mib $((rss / n))) average ($(mib "$lo") to $(mib "$hi")), PSS $(mib $((pss / n))), private $(mib $((uss / n)))"
echo "dovecot: $dn processes"
echo "  total       VmRSS $(mib "$drss"), PSS $(mib "$dpss"), private $(mib "$duss")"
printf '  by process:'
for p in $dpids; do
	tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | awk 'NF { print $1 }'
done | sed 's|.*/||' | sort | uniq -c | awk '{ printf " %s x%s", $2, $1 } END { print "" }'
echo
echo "instances: stopping"
