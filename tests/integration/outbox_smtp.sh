#!/bin/bash
# outbox_smtp.sh - the outbox and the libcurl SMTP sink against the real
# OpenSMTPD (delivering into Dovecot) on loopback, driven by
# tests/tools/outboxctl: three messages to two users over STARTTLS with
# AUTH, each in its mailbox exactly once; bytes as queued (dots); SMTPS;
# the wrong CA, the wrong host name and a refused login are temporary,
# recorded, and later sent; the SMTP server stopped, then started:
# retried with backoff (other mail held, untried, meanwhile) and
# delivered once; a recipient refused with 550 fails for good with an
# alert while the other still gets the message; kill -9 after queueing
# or in the middle of a flush loses nothing and sends nothing twice but
# the one message in flight.
TEST=outbox_smtp
. "$(dirname "$0")/../lib/testlib.sh"
MAILTOOL=$RR_SRC/tests/tools/mailtool
OUTBOXCTL=${OUTBOXCTL:-$BUILD/tests/outboxctl}
[ -x "$OUTBOXCTL" ] || fail "$OUTBOXCTL is not built"

ALICE=alice@example.org
BOB=bob@example.org
NOBODY=nobody@example.org
DOMAIN=${PARTNERSHIP#*@}
ID=ob$$

bed_start "$PARTNERSHIP" "$ALICE" "$BOB"
write_config "$T/rr.ini"
# Submit with SMTP AUTH as the partnership, as against Office 365.
sed -i "/^\[smtp\]/a user = $PARTNERSHIP\\npassword_file = $(passfile "$PARTNERSHIP")" \
    "$T/rr.ini"
DB=$T/state/rr.db

db() {
	sqlite3 -cmd '.timeout 5000' "$DB" "$@"
}
ctl() {
	"$OUTBOXCTL" -c "$T/rr.ini" "$@"
}
# The outbox rows of message TOKEN (one column, one line per recipient).
rows() {
	db "SELECT $2 FROM outbox o JOIN messages m ON m.id = o.message_id
	    WHERE m.msgid = '$1@$DOMAIN' ORDER BY o.recipient"
}
# Message-IDs in USER's inbox starting with PREFIX, sorted.
inbox() {
	"$MAILTOOL" ids "$1" "$(passfile "$1")" INBOX | grep "^$2" | sort || true
}
# Wait until USER's inbox holds N messages starting with PREFIX.
wait_inbox() {
	local user=$1 prefix=$2 n=$3 i=0
	while [ "$(inbox "$user" "$prefix" | wc -l)" -lt "$n" ]; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || return 1
		sleep 0.2
	done
}
queue() {
	ctl queue "$PARTNERSHIP" "$1" "$2" >/dev/null ||
	    fail "queueing $2 failed"
}
flush() {
	ctl "$@" flush 2>>"$T/flush.log" || fail "flush failed: $(tail -3 "$T/flush.log")"
}
now() {
	date +%s
}

step "three messages to two users over STARTTLS with AUTH"
queue "$ALICE" "$ID-1"
queue "$ALICE,$BOB" "$ID-2"
queue "$BOB" "$ID-3"
[ "$(db "SELECT count(*) FROM outbox WHERE state = 'queued'")" = 4 ] ||
    fail "expected 4 queued rows"
[ "$(flush)" = 4 ] || fail "the flush did not send 4"
[ "$(db "SELECT count(*) FROM outbox WHERE state = 'sent' AND attempts = 1
    AND smtp_code = 250")" = 4 ] || fail "rows not recorded as sent"
[ "$(db "SELECT count(*) FROM outbox_attempts WHERE result = 'sent'")" = 4 ] ||
    fail "attempts not recorded"
wait_inbox "$ALICE" "$ID-" 2 || fail "alice's messages did not arrive"
wait_inbox "$BOB" "$ID-" 2 || fail "bob's messages did not arrive"
[ "$(flush)" = 0 ] || fail "a second flush sent again"
sleep 1
[ "$(inbox "$ALICE" "$ID-" | tr '\n' ' ')" = "$ID-1@$DOMAIN $ID-2@$DOMAIN " ] ||
    fail "alice holds: $(inbox "$ALICE" "$ID-" | tr '\n' ' ')"
[ "$(inbox "$BOB" "$ID-" | tr '\n' ' ')" = "$ID-2@$DOMAIN $ID-3@$DOMAIN " ] ||
    fail "bob holds: $(inbox "$BOB" "$ID-" | tr '\n' ' ')"

step "bytes as queued: a lone dot and a leading dot survive (curl dot-stuffs)"
printf 'From: %s\r\nTo: %s\r\nSubject: dots\r\nMessage-ID: <%s-dot@%s>\r\n\r\nbefore\r\n.\r\n.leading-%s\r\nafter-%s\r\n' \
    "$PARTNERSHIP" "$ALICE" "$ID" "$DOMAIN" "$ID" "$ID" >"$T/dots.eml"
[ "$(ctl queue-raw "$PARTNERSHIP" "$ALICE" "$T/dots.eml")" = 1 ] ||
    fail "queue-raw failed"
[ "$(flush)" = 1 ] || fail "the dotted message was not sent"
"$IMAPCHECK" -h localhost -p "$MB_IMAPS_PORT" -a "$MB_CA" -u "$ALICE" \
    -P "$(passfile "$ALICE")" -w "after-$ID" -t 20 >"$T/dots.got" ||
    fail "the dotted message did not arrive whole"
tr -d '\r' <"$T/dots.got" | grep -qx "\.leading-$ID" ||
    fail "the leading dot was lost"
tr -d '\r' <"$T/dots.got" | grep -qx "\." || fail "the lone dot line was lost"

step "SMTPS (TLS from the first byte)"
cp "$T/rr.ini" "$T/smtps.ini"
ini_set "$T/smtps.ini" smtp url "smtps://localhost:$MB_SMTPS_PORT"
queue "$ALICE" "$ID-s"
[ "$("$OUTBOXCTL" -c "$T/smtps.ini" flush)" = 1 ] || fail "SMTPS did not send"
wait_inbox "$ALICE" "$ID-s" 1 || fail "the SMTPS message did not arrive"

step "the wrong CA: nothing sent, a temporary TLS failure recorded"
cp "$T/rr.ini" "$T/badca.ini"
ini_set "$T/badca.ini" smtp ca_file "$MB_OTHER_CA"
queue "$ALICE" "$ID-4"
t=$(now)
[ "$("$OUTBOXCTL" -c "$T/badca.ini" -n "$t" flush 2>>"$T/flush.log")" = 0 ] ||
    fail "sent through a server the CA does not vouch for"
[ "$(rows "$ID-4" "state || ':' || attempts || ':' || (next_attempt_at - $t) || ':' || (smtp_code IS NULL)")" = "queued:1:60:1" ] ||
    fail "wrong CA: row is $(rows "$ID-4" "state || ':' || attempts || ':' || (next_attempt_at - $t)")"
db "SELECT result || ' ' || error FROM outbox_attempts WHERE outbox_id =
    (SELECT o.id FROM outbox o JOIN messages m ON m.id = o.message_id
    WHERE m.msgid = '$ID-4@$DOMAIN')" >"$T/err"
grep -q "^temporary .*certificate" "$T/err" ||
    fail "wrong CA: attempt recorded as '$(cat "$T/err")'"

step "the wrong host name: the same"
cp "$T/rr.ini" "$T/badname.ini"
ini_set "$T/badname.ini" smtp url "smtp://127.0.0.1:$MB_SMTP_PORT"
[ "$("$OUTBOXCTL" -c "$T/badname.ini" -n "$((t + 60))" flush 2>>"$T/flush.log")" = 0 ] ||
    fail "sent to a server whose certificate names another host"
[ "$(rows "$ID-4" "state || ':' || attempts || ':' || (next_attempt_at - $t)")" = "queued:2:180" ] ||
    fail "wrong name: row is $(rows "$ID-4" "state || ':' || attempts || ':' || (next_attempt_at - $t)")"

step "a refused login: temporary too"
printf 'not-the-password\n' >"$T/wrong.secret"
chmod 600 "$T/wrong.secret"
cp "$T/rr.ini" "$T/badpw.ini"
ini_set "$T/badpw.ini" smtp password_file "$T/wrong.secret"
[ "$("$OUTBOXCTL" -c "$T/badpw.ini" -n "$((t + 180))" flush 2>>"$T/flush.log")" = 0 ] ||
    fail "sent without a valid login"
[ "$(rows "$ID-4" "state || ':' || attempts || ':' || smtp_code")" = "queued:3:535" ] ||
    fail "refused login: row is $(rows "$ID-4" "state || ':' || attempts || ':' || smtp_code")"

step "with the right settings, after the backoff: delivered once"
[ "$(flush -n "$((t + 179))")" = 0 ] || fail "sent before its time"
[ "$(flush -n "$((t + 180 + 240))")" = 1 ] || fail "not sent after the backoff"
wait_inbox "$ALICE" "$ID-4" 1 || fail "the message did not arrive"
[ "$(db "SELECT count(*) FROM alerts")" = 0 ] || fail "a temporary failure raised an alert"

step "the SMTP server stopped: queued, attempts recorded, backoff doubling"
"$MAILBED" stop-smtp "$B" >/dev/null
queue "$BOB" "$ID-5"
queue "$ALICE" "$ID-5h"
t=$(now)
[ "$(flush -n "$t")" = 0 ] || fail "sent with the server down"
[ "$(rows "$ID-5" "state || ':' || attempts || ':' || (next_attempt_at - $t)")" = "queued:1:60" ] ||
    fail "server down: row is $(rows "$ID-5" "state || ':' || attempts")"
# Unreachable: the next row waits with the first, untried.
[ "$(rows "$ID-5h" "state || ':' || attempts || ':' || (next_attempt_at - $t)")" = "queued:0:60" ] ||
    fail "server down: second row is $(rows "$ID-5h" "state || ':' || attempts || ':' || (next_attempt_at - $t)")"
[ "$(flush -n "$((t + 59))")" = 0 ] || fail "tried before the backoff"
[ "$(rows "$ID-5" attempts)" = 1 ] || fail "tried before the backoff"
[ "$(flush -n "$((t + 60))")" = 0 ] || fail "sent with the server down"
[ "$(rows "$ID-5" "attempts || ':' || (next_attempt_at - $t)")" = "2:180" ] ||
    fail "second backoff: $(rows "$ID-5" "attempts || ':' || (next_attempt_at - $t)")"
grep -q "curl error 7" <<<"$(db "SELECT group_concat(error, '|') FROM outbox_attempts
    WHERE result = 'temporary' AND error LIKE '%connect%'")" ||
    fail "no connection failure recorded"
[ "$("$OUTBOXCTL" -c "$T/rr.ini" next-due)" = "$((t + 180))" ] ||
    fail "next-due is not the retry time"

step "started again: delivered exactly once"
"$MAILBED" start-smtp "$B" >/dev/null
[ "$(flush -n "$((t + 180))")" = 2 ] || fail "not sent once the server was back"
[ "$(rows "$ID-5" "state || ':' || attempts")" = "sent:3" ] ||
    fail "row after the restart: $(rows "$ID-5" "state || ':' || attempts")"
[ "$(rows "$ID-5h" "state || ':' || attempts")" = "sent:1" ] ||
    fail "held row after the restart: $(rows "$ID-5h" "state || ':' || attempts")"
wait_inbox "$BOB" "$ID-5" 1 || fail "the message did not arrive"
wait_inbox "$ALICE" "$ID-5h" 1 || fail "the held message did not arrive"
[ "$(flush -n "$((t + 10000))")" = 0 ] || fail "sent again"

step "a recipient refused with 550: failed with an alert; the other gets it"
queue "$ALICE,$NOBODY" "$ID-6"
[ "$(flush)" = 1 ] || fail "expected one sent"
[ "$(rows "$ID-6" "o.recipient || ':' || state || ':' || smtp_code" | tr '\n' ' ')" = \
    "$ALICE:sent:250 $NOBODY:failed:550 " ] ||
    fail "550: rows are $(rows "$ID-6" "o.recipient || ':' || state || ':' || smtp_code" | tr '\n' ' ')"
[ "$(db "SELECT count(*) FROM outbox_attempts WHERE result = 'permanent' AND smtp_code = 550")" = 1 ] ||
    fail "no permanent attempt recorded"
[ "$(db "SELECT count(*) FROM alerts WHERE kind = 'delivery' AND detail LIKE '%550%'
    AND detail NOT LIKE '%@%' AND message_id = (SELECT id FROM messages WHERE msgid = '$ID-6@$DOMAIN')")" = 1 ] ||
    fail "no alert: $(db "SELECT kind, detail FROM alerts")"
wait_inbox "$ALICE" "$ID-6" 1 || fail "alice did not get the message"
[ "$(flush -n "$(($(now) + 86400))")" = 0 ] || fail "the refused recipient was tried again"

step "kill -9 after the queue's commit, before any flush: sent once later"
ctl -w queue "$PARTNERSHIP" "$ALICE" "$ID-7" >"$T/q7.out" 2>&1 &
qpid=$!
EXTRA_PIDS="$EXTRA_PIDS $qpid"
wait_for "$ID-7" "$T/q7.out" 10 || fail "the queue did not commit"
kill -KILL "$qpid"
wait "$qpid" 2>/dev/null || true
[ "$(rows "$ID-7" state)" = queued ] || fail "the queued message was lost"
[ "$(flush)" = 1 ] || fail "the message queued before the kill was not sent"
wait_inbox "$ALICE" "$ID-7" 1 || fail "it did not arrive"

step "kill -9 in the middle of a flush: nothing lost, at most one twice"
# More than OpenSMTPD's 100 messages a session: the kept connection is
# refused at the 101st and the sink goes on over a new one.
N=300
ctl -r "$N" queue "$PARTNERSHIP" "$BOB" "$ID-k" >/dev/null || fail "queueing failed"
kills=0
for round in 1 2 3; do
	# Not through ctl(): $! must be outboxctl itself, not a subshell.
	"$OUTBOXCTL" -c "$T/rr.ini" flush >/dev/null 2>>"$T/flush.log" &
	fpid=$!
	sleep "0.$((RANDOM % 3 + 1))"
	kill -KILL "$fpid" 2>/dev/null && kills=$((kills + 1))
	wait "$fpid" 2>/dev/null || true
	sent=$(db "SELECT count(*) FROM outbox WHERE state = 'sent' AND
	    message_id IN (SELECT id FROM messages WHERE msgid LIKE '$ID-k%')")
	step "round $round: $sent of $N sent, $(db "SELECT count(*) FROM
	    outbox WHERE state = 'sending'") left in flight"
done
[ "$kills" -ge 1 ] || fail "every flush ended before its kill: no kill tested"
flush >/dev/null
[ "$(db "SELECT count(*) FROM outbox WHERE state = 'sent' AND message_id IN
    (SELECT id FROM messages WHERE msgid LIKE '$ID-k%')")" = "$N" ] ||
    fail "not every message was sent after the kills"
[ "$(db "SELECT count(*) FROM outbox_attempts WHERE result <> 'sent'
    AND outbox_id IN (SELECT o.id FROM outbox o JOIN messages m ON
    m.id = o.message_id WHERE m.msgid LIKE '$ID-k%')")" = 0 ] ||
    fail "a send failed: $(db "SELECT error FROM outbox_attempts WHERE result <> 'sent' LIMIT 3")"
wait_inbox "$BOB" "$ID-k" "$N" ||
    fail "only $(inbox "$BOB" "$ID-k" | sort -u | wc -l) of $N arrived"
sleep 1
got=$(inbox "$BOB" "$ID-k")
[ "$(sort -u <<<"$got" | wc -l)" = "$N" ] || fail "a message is missing"
twice=$(uniq -d <<<"$got" | wc -l)
[ "$twice" -le "$kills" ] || fail "$twice messages arrived twice after $kills kills"
step "$kills kills, $twice in-flight message(s) sent twice"

pass
