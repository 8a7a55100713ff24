#!/bin/bash
# log_privacy.sh - a whole case through the daemon with a distinctive child
# identifier, author names, subjects and body text; none of them may appear
# anywhere in the daemon's output (SPEC §8: logs carry case references and
# Message-IDs, never bodies, subjects or names).
TEST=log_privacy
. "$(dirname "$0")/../lib/testlib.sh"
NOTIFIER=duty.manager@northshire.gov.uk
CHILD="Zephyrina Quillfeather"
AUTHOR="Obadiah Marchbanks"
BODY="the lantern in the orchard was still lit"
SUBJECT="Kestrel Vantablack"

bed_start "$PARTNERSHIP" manager@northshire-scp.org.uk "$NOTIFIER" \
    pvp@northshire.police.uk safeguarding@nhs.net
write_config "$T/rr.ini"

cat >"$T/sin.eml" <<EOF2
From: Duty Manager <$NOTIFIER>
To: $PARTNERSHIP
Subject: Serious Incident Notification - $SUBJECT
Message-ID: <privacy-sin.$$@northshire.gov.uk>
Content-Type: text/plain; charset=utf-8

Child: $CHILD
Incident type: serious harm
Incident date: 2024-07-03
Date aware: 2024-07-04
Date notified: 2024-07-08
Panel reference: SIN-2024-99999
Agencies involved: police, health
Case background: $CHILD was found at home; $BODY.
EOF2
send_mail "$NOTIFIER" "$PARTNERSHIP" "$T/sin.eml"
sleep 1
"$RRD" -v --once --now 2024-07-08T09:00 -c "$T/rr.ini" >>"$T/daemon.log" 2>&1 ||
    fail "--once failed"
[ "$(sqlite3 "$T/state/rr.db" "SELECT count(*) FROM cases")" = 1 ] || fail "no case opened"

step "a return with the author's name, typed into a reply"
cat >"$T/reply.eml" <<EOF2
From: $AUTHOR <pvp@northshire.police.uk>
To: $PARTNERSHIP
Subject: RE: [RR-2024-001] $SUBJECT
Message-ID: <privacy-reply.$$@northshire.police.uk>

--- RAPID REVIEW RETURN RR-2024-001 BEGIN ---
Completed by: $AUTHOR
Involved with the child or family (yes/no): yes
Summary of involvement: $BODY
--- END ---
EOF2
send_mail pvp@northshire.police.uk "$PARTNERSHIP" "$T/reply.eml"
sleep 1
for now in 2024-07-08T09:05 2024-07-11T09:00 2024-07-16T09:00; do
	"$RRD" -v --once --now "$now" -c "$T/rr.ini" >>"$T/daemon.log" 2>&1 ||
	    fail "--once --now $now failed"
done
"$RRCTL" -c "$T/rr.ini" ingest "$T/reply.eml" >/dev/null 2>>"$T/daemon.log" || true
# Incomplete (no chronology, no analysis): a draft, and a query went.
[ "$(sqlite3 "$T/state/rr.db" "SELECT state FROM requests WHERE agency = 'police'")" = draft ] ||
    fail "the reply was not recorded"
grep -q "RR-2024-001" "$T/daemon.log" || fail "the log does not name the case at all"

step "nothing personal in the daemon's output"
for secret in "$CHILD" "Zephyrina" "Quillfeather" "$AUTHOR" "Marchbanks" \
    "$BODY" "orchard" "$SUBJECT" "Vantablack"; do
	if grep -qiF -- "$secret" "$T/daemon.log"; then
		grep -iF -- "$secret" "$T/daemon.log" | head -3
		fail "the daemon's output contains \"$secret\""
	fi
done
[ "$(wc -l <"$T/daemon.log")" -gt 10 ] || fail "suspiciously little output"

pass
