#!/bin/bash
# maildir.sh - the Maildir mail source: files in new/ (and unflagged ones
# in cur/) are recorded once and renamed into cur/ with the S flag after
# the commit; a second pass records nothing; the running daemon sees a new
# file through inotify within two seconds.
TEST=maildir
. "$(dirname "$0")/../lib/testlib.sh"

MD=$T/Maildir
mkdir -p "$MD/new" "$MD/cur" "$MD/tmp" "$T/state"
chmod 700 "$T/state"
cat >"$T/rr.ini" <<INI
[partnership]
name = Test SCP
address = $PARTNERSHIP
business_manager = manager@northshire-scp.org.uk
[mailbox]
url = maildir:$MD
poll_seconds = 60
[smtp]
sendmail = /bin/true
[storage]
database = $T/state/rr.db
[templates]
directory = $RR_SRC/templates
[calendar]
holidays_file = $RR_SRC/config/bank-holidays.json
[notifiers]
allow = *@northshire.gov.uk
INI
db() { sqlite3 -cmd '.timeout 5000' "$T/state/rr.db" "$@"; }
deliver() { # NAME DIR: write in tmp/, then rename, as an MDA does
	printf 'From: a@example.org\r\nTo: %s\r\nSubject: maildir\r\nMessage-ID: <%s@example.org>\r\n\r\nbody\r\n' \
	    "$PARTNERSHIP" "$1" >"$MD/tmp/$1"
	mv "$MD/tmp/$1" "$MD/$2/$1${3:-}"
}

step "three in new/ and one unflagged in cur/: --once records all four"
deliver m1.host new
deliver m2.host new
deliver m3.host new
deliver m4.host cur ":2,"
"$RRD" --once -c "$T/rr.ini" >"$T/once.log" 2>&1 || { cat "$T/once.log"; fail "--once failed"; }
[ "$(db "SELECT count(*) FROM messages WHERE direction = 'in'")" = 4 ] ||
    fail "$(db "SELECT count(*) FROM messages WHERE direction = 'in'") of 4 recorded"
[ -z "$(ls "$MD/new")" ] || fail "new/ is not empty"
for m in m1 m2 m3 m4; do
	[ -f "$MD/cur/$m.host:2,S" ] || fail "$m was not renamed into cur/ with S"
done

step "a second pass records nothing again"
"$RRD" --once -c "$T/rr.ini" >>"$T/once.log" 2>&1 || fail "second --once failed"
[ "$(db "SELECT count(*) FROM messages WHERE direction = 'in'")" = 4 ] ||
    fail "a message was recorded twice"

step "the ledger knows a file whose rename was lost"
deliver m5.host new
"$RRD" --once -c "$T/rr.ini" >>"$T/once.log" 2>&1 || fail "--once failed"
mv "$MD/cur/m5.host:2,S" "$MD/new/m5.host"	# as if killed before the rename
"$RRD" --once -c "$T/rr.ini" >>"$T/once.log" 2>&1 || fail "--once failed"
[ "$(db "SELECT count(*) FROM messages WHERE direction = 'in'")" = 5 ] ||
    fail "the file was recorded again"
[ -f "$MD/cur/m5.host:2,S" ] || fail "the file was not renamed"

step "the running daemon sees a new file through inotify"
daemon_start
wait_for "watching Maildir" "$T/daemon.log" 10 || fail "the daemon did not watch the Maildir"
sleep 0.5
start=$(date +%s%N)
deliver m6.host new
while [ "$(db "SELECT count(*) FROM messages WHERE msgid = 'm6.host@example.org'")" = 0 ]; do
	[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 5000 ] || fail "not recorded within 5 s"
	sleep 0.05
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
step "recorded ${ms} ms after delivery"
[ "$ms" -le 2000 ] || fail "took ${ms} ms"
daemon_stop || fail "the daemon did not stop cleanly"

pass
