#!/bin/bash
# cli.sh - the command lines as an administrator uses them: --check-config
# on the example and on a broken INI, a group-readable secret file, and
# rapidreviewctl's calendar commands.
TEST=cli
. "$(dirname "$0")/../lib/testlib.sh"

step "--check-config passes on the example"
"$RRD" --check-config -c "$RR_SRC/config/rapidreviewd.ini.example" \
    >"$T/out" 2>&1 || { cat "$T/out"; fail "the example does not pass"; }
grep -q "configuration OK" "$T/out" || fail "no OK line"

step "an unknown key, a bad number and a missing required key: all three"
sed -e 's/^business_manager = .*//' \
    -e 's/^poll_seconds = 60 .*/poll_seconds = sixty/' \
    -e 's/^idle = yes/idle = yes\nidle_seconds = 30/' \
    -e "s|^directory = .*|directory = $RR_SRC/templates|" \
    -e "s|^holidays_file = .*|holidays_file = $RR_SRC/config/bank-holidays.json|" \
    "$RR_SRC/config/rapidreviewd.ini.example" >"$T/bad.ini"
rc=0
"$RRD" --check-config -c "$T/bad.ini" >"$T/out" 2>&1 || rc=$?
cat "$T/out"
[ "$rc" != 0 ] || fail "--check-config exited 0 on a broken INI"
line() { grep -n -- "$1" "$T/bad.ini" | head -1 | cut -d: -f1; }
grep -q "^$T/bad.ini:$(line '^idle_seconds'): unknown key 'idle_seconds' in \[mailbox\]" "$T/out" ||
    fail "the unknown key is not reported with its line"
grep -q "^$T/bad.ini:$(line '^poll_seconds'): poll_seconds: 'sixty'" "$T/out" ||
    fail "the bad number is not reported with its line"
grep -q "^$T/bad.ini:$(line '^\[partnership\]'): missing required key 'business_manager'" "$T/out" ||
    fail "the missing key is not reported with its line"
grep -q "3 errors" "$T/out" || fail "the error count is not 3"

step "a group-readable secret file is refused"
printf 's3cret\n' >"$T/imap.secret"
chmod 0640 "$T/imap.secret"
# The example logs in with OAuth: its client secret is the secret here.
sed -e "s|^client_secret_credential = oauth-client-secret.*|client_secret_file = $T/imap.secret|" \
    "$RR_SRC/config/rapidreviewd.ini.example" >"$T/loose.ini"
grep -q "^client_secret_file = $T/imap.secret" "$T/loose.ini" ||
    fail "the example has no client_secret_credential to replace"
sed -i "s|^holidays_file = .*|holidays_file = $RR_SRC/config/bank-holidays.json|; s|^directory = .*|directory = $RR_SRC/templates|" "$T/loose.ini"
rc=0
"$RRD" --check-config -c "$T/loose.ini" >"$T/out" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "a 0640 secret file was accepted"
grep -q "readable by group or others (mode 0640)" "$T/out" ||
    { cat "$T/out"; fail "no clear message for the 0640 secret file"; }
chmod 0600 "$T/imap.secret"
"$RRD" --check-config -c "$T/loose.ini" >"$T/out" 2>&1 ||
    { cat "$T/out"; fail "a 0600 secret file was refused"; }

step "the daemon will not start on a broken INI"
rc=0
"$RRD" -c "$T/bad.ini" >"$T/out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "the daemon started (or crashed, $rc) on a broken INI"
grep -q "not starting" "$T/out" || fail "no reason given for not starting"

step "plaintext IMAP to a host that is not loopback: refused before any connection"
sed -e "s|^url = imaps://outlook.office365.com/INBOX.*|url = imap://mail.example.org/INBOX|" \
    -e 's/^tls = yes/tls = no/' -e "s|^holidays_file = .*|holidays_file = $RR_SRC/config/bank-holidays.json|" \
    "$RR_SRC/config/rapidreviewd.ini.example" >"$T/plain.ini"
rc=0
"$RRD" --once -c "$T/plain.ini" >"$T/out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "plaintext to a remote host was not refused ($rc)"
grep -q "plaintext IMAP to mail.example.org, which is not loopback: TLS is required" "$T/out" ||
    { cat "$T/out"; fail "no clear line for plaintext IMAP"; }
grep -q "plaintext SMTP to smtp.office365.com" "$T/out" ||
    { cat "$T/out"; fail "no clear line for plaintext SMTP"; }
grep -q "logged in\|connect" "$T/out" && fail "the daemon tried to connect"

step "a template with an unknown name fails --check-config with its line"
mkdir -p "$T/templates"
cp -r "$RR_SRC"/templates/* "$T/templates/"
printf 'Dear {{agency_nmae}},\n' >>"$T/templates/reminder.txt"
sed -e "s|^directory = .*|directory = $T/templates|" \
    -e "s|^holidays_file = .*|holidays_file = $RR_SRC/config/bank-holidays.json|" \
    "$RR_SRC/config/rapidreviewd.ini.example" >"$T/tmpl.ini"
rc=0
"$RRD" --check-config -c "$T/tmpl.ini" >"$T/out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "an unknown template name passed --check-config"
grep -q "$T/templates/reminder.txt:$(wc -l <"$T/templates/reminder.txt"): unknown name \"agency_nmae\"" "$T/out" ||
    { cat "$T/out"; fail "the unknown template name is not reported with its line"; }

step "rapidreviewctl workday: the SPEC's worked examples"
check_workday() {
	local got
	got=$("$RRCTL" workday "$1" "$2") || fail "workday $1 $2 failed"
	[ "$got" = "$3" ] || fail "workday $1 $2: expected $3, got $got"
}
check_workday 2024-08-16 15 2024-09-09
check_workday 2024-12-20 15 2025-01-15
check_workday 2024-07-08 5 2024-07-15
check_workday 2024-07-08 15 2024-07-29
check_workday 2024-08-16 5 2024-08-23
check_workday 2024-12-20 5 2024-12-31
# With the example INI and a local closure on 2024-12-27.
sed -e 's/^extra_closures = .*/extra_closures = 2024-12-27/' -e "s|^holidays_file = .*|holidays_file = $RR_SRC/config/bank-holidays.json|" \
    "$RR_SRC/config/rapidreviewd.ini.example" >"$T/closure.ini"
got=$("$RRCTL" -c "$T/closure.ini" workday 2024-12-20 5)
[ "$got" = 2025-01-02 ] || fail "closure not counted: got $got"

step "rapidreviewctl calendar and --json"
"$RRCTL" calendar 2022 >"$T/cal"
[ "$(wc -l <"$T/cal")" = 10 ] || fail "2022 should list 10 holidays"
grep -q "^2022-09-19 Mon" "$T/cal" || fail "the State Funeral is missing"
"$RRCTL" --json workday 2024-08-16 15 | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d == {"day0": "2024-08-16", "n": 15, "date": "2024-09-09",
             "division": "england-and-wales"}, d' ||
    fail "workday --json is not as documented"
"$RRCTL" --json calendar 2023 | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["year"] == 2023 and len(d["holidays"]) == 9, d
assert {"date": "2023-05-08", "weekday": "Mon",
        "title": "Bank holiday for the coronation of King Charles III"} in d["holidays"]
' || fail "calendar --json is not as documented"
rc=0
"$RRCTL" workday 2024-02-30 3 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "a bad date should exit 2, got $rc"
rc=0
"$RRCTL" frobnicate 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "an unknown command should exit 2, got $rc"

pass
