#!/bin/bash
# intake_exactly_once.sh - 500 messages delivered through the real OpenSMTPD
# and Dovecot while the daemon runs, and is killed with SIGKILL at random
# moments at least five times and restarted: each message is recorded once,
# none is lost, and none leaves the inbox without its row committed. Then:
# latency from delivery to record while idling; Dovecot restarted under the
# daemon; the mailbox given a new UIDVALIDITY with the same messages.
TEST=intake_exactly_once
. "$(dirname "$0")/../lib/testlib.sh"
MAILTOOL=$RR_SRC/tests/tools/mailtool
N=${RR_INTAKE_COUNT:-500}

bed_start "$PARTNERSHIP" alice@example.org
write_config "$T/rr.ini"
PF=$(passfile "$PARTNERSHIP")
DB=$T/state/rr.db

db() {
	sqlite3 -cmd '.timeout 5000' "$DB" "$@"
}
folder_ids() {
	"$MAILTOOL" ids "$PARTNERSHIP" "$PF" "$1"
}

step "start the daemon, then deliver $N messages while killing it"
daemon_start
wait_for "logged in to" "$T/daemon.log" 15 || fail "the daemon did not log in"
"$MAILTOOL" send alice@example.org "$PARTNERSHIP" "$N" "intake-$$" \
    --sleep 0.02 &
SENDER=$!
kills=0
while kill -0 "$SENDER" 2>/dev/null || [ "$kills" -lt 5 ]; do
	sleep "0.$((RANDOM % 9 + 1))"
	kill -KILL "$DAEMON_PID" 2>/dev/null || true
	wait "$DAEMON_PID" 2>/dev/null || true
	kills=$((kills + 1))
	daemon_start
	sleep "0.$((RANDOM % 5 + 3))"
done
wait "$SENDER" || fail "sending the messages failed"
step "killed and restarted the daemon $kills times"
[ "$kills" -ge 5 ] || fail "fewer than five kills"

step "wait until the inbox is empty"
i=0
while :; do
	left=$(folder_ids INBOX | wc -l)
	[ "$left" = 0 ] && break
	i=$((i + 1))
	[ "$i" -lt 120 ] || fail "$left messages still in the inbox"
	sleep 0.5
done

step "each message recorded exactly once, and moved only after its commit"
recorded=$(db "SELECT count(*) FROM messages WHERE direction = 'in' AND msgid LIKE 'intake-$$-%'")
distinct=$(db "SELECT count(DISTINCT msgid) FROM messages WHERE direction = 'in' AND msgid LIKE 'intake-$$-%'")
[ "$distinct" = "$N" ] || fail "$distinct of $N messages recorded"
[ "$recorded" = "$N" ] || fail "$recorded rows for $N messages: some twice"
{ folder_ids "Rapid Review/Processed"; folder_ids "Rapid Review/Quarantine"; } |
    grep "^intake-$$-" | sort >"$T/moved"
[ "$(wc -l <"$T/moved")" = "$N" ] ||
    fail "$(wc -l <"$T/moved") of $N messages in the destination folders"
[ "$(uniq -d "$T/moved" | wc -l)" = 0 ] || fail "a message was moved twice"
db "SELECT msgid FROM messages WHERE direction = 'in' AND msgid LIKE 'intake-$$-%'" |
    sort >"$T/committed"
comm -23 "$T/moved" "$T/committed" >"$T/uncommitted"
[ ! -s "$T/uncommitted" ] ||
    fail "moved without a committed row: $(head -3 "$T/uncommitted")"
ledger=$(db "SELECT count(*) FROM mailbox_ledger WHERE msgid LIKE 'intake-$$-%' AND state = 'processed'")
[ "$ledger" = "$N" ] || fail "$ledger ledger rows for $N messages"

step "a message delivered while idling is recorded within 2 seconds"
sleep 1
printf 'From: alice@example.org\r\nTo: %s\r\nSubject: latency\r\nMessage-ID: <latency-%s@example.org>\r\n\r\nhello\r\n' \
    "$PARTNERSHIP" "$$" >"$T/latency.eml"
start=$(date +%s%N)
"$MAILTOOL" lmtp "$PARTNERSHIP" "$T/latency.eml"
while [ "$(db "SELECT count(*) FROM messages WHERE msgid = 'latency-$$@example.org'")" = 0 ]; do
	[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 5000 ] ||
	    fail "not recorded within 5 seconds"
	sleep 0.05
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
step "recorded ${ms} ms after delivery"
[ "$ms" -le 2000 ] || fail "recorded after ${ms} ms, more than 2 seconds"

step "Dovecot restarted under the daemon: reconnect and catch up"
"$MAILBED" stop-imap "$B" >/dev/null
printf 'From: alice@example.org\r\nTo: %s\r\nSubject: outage\r\nMessage-ID: <outage-%s@example.org>\r\n\r\nduring the outage\r\n' \
    "$PARTNERSHIP" "$$" >"$T/outage.eml"
wait_for "reconnecting in" "$T/daemon.log" 20 ||
    fail "no log line for the lost connection"
"$MAILBED" start-imap "$B" >/dev/null
"$MAILTOOL" lmtp "$PARTNERSHIP" "$T/outage.eml"
for i in $(seq 1 60); do
	[ "$(db "SELECT count(*) FROM messages WHERE msgid = 'outage-$$@example.org'")" = 1 ] && break
	sleep 0.5
done
[ "$(db "SELECT count(*) FROM messages WHERE msgid = 'outage-$$@example.org'")" = 1 ] ||
    fail "the message sent after the restart was not caught up"
[ "$(grep -c "logged in to" "$T/daemon.log")" -ge 2 ] ||
    fail "no log line for the new login"

step "new UIDVALIDITY, same messages: nothing processed again"
daemon_stop || true
before_msgs=$(db "SELECT count(*) FROM messages")
before_quar=$(db "SELECT count(*) FROM quarantine")
for f in "Rapid Review/Quarantine" "Rapid Review/Processed"; do
	"$MAILBED" doveadm "$B" move -u "$PARTNERSHIP" INBOX mailbox \
	    "$("$MAILTOOL" name "$PARTNERSHIP" "$PF" "$f")" all ||
	    fail "doveadm move failed"
done
old_uv=$("$MAILBED" doveadm "$B" -f flow mailbox status -u "$PARTNERSHIP" uidvalidity INBOX | sed 's/.*uidvalidity=//')
"$MAILBED" doveadm "$B" mailbox update -u "$PARTNERSHIP" --uid-validity $((old_uv + 1000)) INBOX
[ "$(folder_ids INBOX | wc -l)" -gt "$N" ] || fail "the messages were not put back"
"$RRD" --once -c "$T/rr.ini" >"$T/uv.log" 2>&1 || { cat "$T/uv.log"; fail "--once failed"; }
grep -q "UIDVALIDITY changed" "$T/uv.log" || fail "no log line for the UIDVALIDITY change"
[ "$(db "SELECT count(*) FROM messages")" = "$before_msgs" ] ||
    fail "messages were processed again after the UIDVALIDITY change"
[ "$(db "SELECT count(*) FROM quarantine")" = "$before_quar" ] ||
    fail "messages were quarantined again"
[ "$(folder_ids INBOX | wc -l)" = 0 ] || fail "the inbox was not emptied"

pass
