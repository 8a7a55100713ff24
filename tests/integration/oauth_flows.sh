#!/bin/bash
# oauth_flows.sh - each OAuth 2.0 flow of SPEC §7.1 from the administrator's
# side, against the real mail bed (Dovecot checks XOAUTH2 tokens with
# tests/tools/fakeidp) and the fake identity provider:
#   1. refresh_token (Microsoft, delegated, confidential client):
#      `rapidreviewctl oauth test` logs in to IMAP and SMTP, prints no token,
#      and rewrites the rotated refresh token in the state folder (the old
#      one is refused, the new file is 0600, root's, no temporary file left)
#   2. `rapidreviewctl oauth login` (device flow, RFC 8628): prints the
#      address and the code, stores a working refresh token 0600; a denied
#      code ends it non-zero with a plain message
#   3. service_account (Google): a JSON key made with openssl at test time,
#      a JWT bearer grant, then IMAP XOAUTH2 as the mailbox user (sub)
#   4. the provider refuses (invalid_client): the AADSTS code and a hint,
#      never the token nor the client secret
#   5. --check-config: the example passes from a copy; password logins to
#      Microsoft 365 IMAP and Gmail SMTP fail and name xoauth2 and [oauth]
#   6. a long-running daemon on XOAUTH2 for IMAP and SMTP sends mail; no
#      secret, access token or refresh token in ps, /proc/PID/cmdline or
#      environ, the -v log, the database (dump and raw files) or the state
#      folder (but for the refresh token file itself)
TEST=oauth_flows
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib/testlib.sh"

MANAGER=manager@northshire-scp.org.uk
NOTIFIER=duty.manager@northshire.gov.uk
TENANT=northshire.onmicrosoft.com
CONF_APP=3f1c0c3e-0000-4000-8000-0000000f1001	# confidential, delegated
PUB_APP=3f1c0c3e-0000-4000-8000-0000000f1002	# public, device flow
CC_APP=3f1c0c3e-0000-4000-8000-0000000f1003	# client_credentials
SA=rr-flows@northshire-rr.iam.gserviceaccount.com
hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
# Recognisable, and not in the environment of anything this test starts.
CONF_SECRET=flows-conf-secret-$(hex 12)
CC_SECRET=flows-cc-secret-$(hex 12)
RT0=0.AXkA$(hex 32)
# What fakeidp's access and refresh tokens look like.
TOKEN_RE='eyJ0eXAi|0\.AXkA|ya29\.'
DSCOPE='offline_access https://outlook.office365.com/IMAP.AccessAsUser.All https://outlook.office365.com/SMTP.Send'
ST=$T/state
RTF=$ST/oauth-refresh-token
LOGIN_PID=

# The fake's log and our outputs help more than the servers' on a failure.
fail() {
	for f in "$B/fakeidp.log" "$T/out"; do
		[ -s "$f" ] && { echo "--- tail of $f"; tail -n 15 "$f"; } >&2
	done
	echo "$TEST: FAIL: $*" >&2
	exit 1
}
# fakeidp is stopped even on failure (testlib's trap kills EXTRA_PIDS too).
cleanup() {
	set +e
	[ -n "$LOGIN_PID" ] && kill "$LOGIN_PID" 2>/dev/null
	[ -f "$B/fakeidp.pid" ] && "$FAKEIDP" stop "$B" >/dev/null 2>&1
	finish
}
trap cleanup EXIT

idp() { "$FAKEIDP" ctl "$B" "$@"; }
jget() { # JSON KEY: one top-level value
	python3 -c 'import json,sys; v = json.loads(sys.argv[1]).get(sys.argv[2], "")
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"
}
mode_owner() { stat -c '%a %U' "$1"; }
# Every token-looking string and every given literal in FILEs: none allowed.
no_secret_in() { # WHAT FILE...
	local what=$1 lit
	shift
	if grep -aqE "$TOKEN_RE" "$@"; then
		fail "$what holds a token ($(grep -aoE "($TOKEN_RE).{0,6}" "$@" | head -1)...)"
	fi
	for lit in "$CONF_SECRET" "$CC_SECRET" "$RT0"; do
		if grep -aqF -- "$lit" "$@"; then
			fail "$what holds a client secret or refresh token"
		fi
	done
}

# ini_put FILE SECTION KEY VALUE: set the key, or add it to the section;
# VALUE "-" removes it.
ini_put() {
	python3 - "$@" <<'PY'
import sys
path, section, key, value = sys.argv[1:5]
lines, out, cur, done = open(path).readlines(), [], None, False
for i, line in enumerate(lines):
    s = line.strip()
    if s.startswith('['):
        if cur == section and not done and value != "-":
            out.append(f"{key} = {value}\n")
            done = True
        cur = s[1:s.index(']')]
    elif cur == section and s.split('=')[0].strip() == key:
        if not done and value != "-":
            out.append(f"{key} = {value}\n")
        done = True
        continue
    out.append(line)
if cur == section and not done and value != "-":
    out.append(f"{key} = {value}\n")
open(path, 'w').writelines(out)
PY
}

# An INI for the bed whose IMAP and SMTP logins are XOAUTH2 alone, with the
# given [oauth] section.
oauth_ini() { # FILE OAUTH-SECTION
	write_config "$1" "$2"
	ini_put "$1" mailbox password_file -
	ini_put "$1" mailbox auth xoauth2
	ini_put "$1" smtp url "smtp://localhost:$MB_SUBMISSION_PORT"
	ini_put "$1" smtp user "$PARTNERSHIP"
	ini_put "$1" smtp auth xoauth2
	! grep -q password "$1" || fail "$1 still names a password"
}

oauth_test() { # INI: run `oauth test`, output in $T/out; returns its status
	"$RRCTL" -c "$1" oauth test >"$T/out" 2>&1
}

# --- the bed, the provider's registrations ----------------------------------

bed_start "$PARTNERSHIP" "$MANAGER" "$NOTIFIER" pvp@northshire.police.uk \
    safeguarding@nhs.net
umask 077
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/sa.key" 2>/dev/null || fail "openssl genpkey failed"
openssl pkey -in "$T/sa.key" -pubout -out "$T/sa.pub" || fail "openssl pkey -pubout failed"
python3 - "$B/fakeidp.json" "$T/sa.json" <<PY || fail "cannot write the registration"
import json, sys
reg, sa = sys.argv[1:3]
json.dump({"clients": {
    "$CONF_APP": {"secret": "$CONF_SECRET", "mailboxes": ["$PARTNERSHIP"]},
    "$PUB_APP": {"mailboxes": ["$PARTNERSHIP"]},
    "$CC_APP": {"secret": "$CC_SECRET", "mailboxes": ["$PARTNERSHIP"]},
    "google-sa-flows": {"email": "$SA", "public_key_pem": open("$T/sa.pub").read(),
                        "mailboxes": ["$PARTNERSHIP"]}},
  "refresh_tokens": {"$RT0": {"client_id": "$CONF_APP", "user": "$PARTNERSHIP",
                              "scope": "$DSCOPE"}}}, open(reg, "w"))
# A Google service account's JSON key: the private key in PKCS#8 PEM.
json.dump({"type": "service_account", "project_id": "northshire-rr",
           "private_key_id": "0123456789abcdef",
           "private_key": open("$T/sa.key").read(),
           "client_email": "$SA", "client_id": "1000000000000000001",
           "token_uri": "$MB_IDP_URL/google/token"}, open(sa, "w"))
PY
grep -q 'BEGIN PRIVATE KEY' "$T/sa.json" || fail "the key is not PKCS#8"
idp_start

# --- 1. refresh_token -----------------------------------------------------

step "1. refresh_token: oauth test logs in to IMAP and SMTP and rotates the token"
printf '%s\n' "$CONF_SECRET" >"$T/conf-secret"
oauth_ini "$T/rt.ini" "[oauth]
provider = microsoft
flow = refresh_token
tenant = $TENANT
client_id = $CONF_APP
client_secret_file = $T/conf-secret
token_url = $MB_IDP_URL/$TENANT/oauth2/v2.0/token
device_url = $MB_IDP_URL/$TENANT/oauth2/v2.0/devicecode
ca_file = $MB_CA"
printf '%s\n' "$RT0" >"$RTF"	# the default name, in the database's folder
chmod 600 "$RTF"
"$RRD" --check-config -c "$T/rt.ini" >"$T/out" 2>&1 ||
    fail "--check-config refused the refresh_token INI"
oauth_test "$T/rt.ini" || fail "oauth test failed (refresh_token)"
grep -q "^token: obtained from $MB_IDP_URL/$TENANT/oauth2/v2.0/token" "$T/out" ||
    fail "oauth test does not say where the token came from"
grep -q "^IMAP: logged in to localhost:$MB_IMAPS_PORT as $PARTNERSHIP with XOAUTH2" "$T/out" ||
    fail "oauth test does not say the IMAP login worked"
grep -q "^SMTP: logged in to localhost:$MB_SUBMISSION_PORT as $PARTNERSHIP with XOAUTH2" "$T/out" ||
    fail "oauth test does not say the SMTP login worked"
no_secret_in "oauth test's output" "$T/out"
grep -q "Login: user=<$PARTNERSHIP>, method=XOAUTH2" "$B/dovecot.log" ||
    fail "Dovecot saw no XOAUTH2 login"
grep -q "submission-login: Info: Login: user=<$PARTNERSHIP>, method=XOAUTH2" "$B/dovecot.log" ||
    fail "Dovecot's submission service saw no XOAUTH2 login"
RT1=$(cat "$RTF")
[ -n "$RT1" ] && [ "$RT1" != "$RT0" ] || fail "the refresh token file was not rewritten"
case $RT1 in 0.AXkA*) ;; *) fail "the refresh token file holds no refresh token" ;; esac
[ "$(mode_owner "$RTF")" = "600 root" ] ||
    fail "the refresh token file is $(mode_owner "$RTF"), not 600 root"
[ "$(tail -c 1 "$RTF" | od -An -c | tr -d ' ')" = '\n' ] || fail "no line end after the token"
leftover=$(find "$ST" -name '*.tmp*' -o -name '.*' -type f)
[ -z "$leftover" ] || fail "a temporary file was left: $leftover"
# The old one is refused by the provider now (rotation).
# (The form goes in a file: no secret in curl's arguments.)
printf 'grant_type=refresh_token&client_id=%s&client_secret=%s&refresh_token=%s' \
    "$CONF_APP" "$CONF_SECRET" "$RT0" >"$T/old.form"
curl -sS --max-time 10 --cacert "$MB_CA" -o "$T/old.json" --data-binary @"$T/old.form" \
    "$MB_IDP_URL/$TENANT/oauth2/v2.0/token" 2>"$T/err" || fail "curl: $(cat "$T/err")"
rm -f "$T/old.form"
[ "$(jget "$(cat "$T/old.json")" error)" = invalid_grant ] ||
    fail "the old refresh token is not refused: $(cat "$T/old.json")"
# And the new one works: a second run rotates again.
oauth_test "$T/rt.ini" || fail "oauth test failed with the rotated refresh token"
RT2=$(cat "$RTF")
[ "$RT2" != "$RT1" ] || fail "the second run did not rotate the refresh token"
[ "$(mode_owner "$RTF")" = "600 root" ] || fail "after the second run: $(mode_owner "$RTF")"

# --- 2. oauth login (device flow) --------------------------------------------

step "2. oauth login: the device flow, approved"
# An absolute refresh_token_file, in a folder of its own (the state folder
# must hold one refresh token only, for the checks of part 6).
mkdir -m 700 "$T/device"
DRTF=$T/device/oauth-refresh-token
oauth_ini "$T/device.ini" "[oauth]
provider = microsoft
flow = refresh_token
tenant = $TENANT
client_id = $PUB_APP
refresh_token_file = $DRTF
token_url = $MB_IDP_URL/$TENANT/oauth2/v2.0/token
device_url = $MB_IDP_URL/$TENANT/oauth2/v2.0/devicecode
ca_file = $MB_CA"
oauth_test "$T/device.ini" && fail "oauth test worked with no refresh token"
grep -q "no refresh token yet: run rapidreviewctl oauth login" "$T/out" ||
    fail "no plain word that oauth login is needed"

# device_login OUT: start `oauth login`, wait for its code; sets LOGIN_PID, UC
device_login() {
	local i
	"$RRCTL" -c "$T/device.ini" oauth login >"$1" 2>"$1.err" &
	LOGIN_PID=$!
	UC=
	for i in $(seq 1 100); do
		UC=$(sed -n 's/^To sign in, open .* and enter the code \([A-Z0-9]*\)$/\1/p' "$1")
		[ -n "$UC" ] && return 0
		kill -0 "$LOGIN_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$1" "$1.err" >&2
	fail "oauth login printed no code"
}
login_wait() { # the exit status of oauth login, within 20 s
	local i rc=0
	for i in $(seq 1 200); do
		kill -0 "$LOGIN_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$LOGIN_PID" 2>/dev/null && fail "oauth login did not end"
	wait "$LOGIN_PID" || rc=$?
	LOGIN_PID=
	return "$rc"
}

device_login "$T/login.out"
grep -q "^To sign in, open $MB_IDP_URL/devicelogin and enter the code $UC\$" "$T/login.out" ||
    fail "oauth login did not print the verification address"
sleep 1.5	# at least one authorization_pending poll first
idp approve "{\"user_code\": \"$UC\", \"user\": \"$PARTNERSHIP\"}" >/dev/null ||
    fail "fakeidp approve failed"
login_wait || { cat "$T/login.out" "$T/login.out.err"; fail "oauth login did not exit 0"; }
grep -q "^Signed in; the refresh token is stored in $DRTF (0600)" "$T/login.out" ||
    fail "oauth login did not say where the token went"
no_secret_in "oauth login's output" "$T/login.out" "$T/login.out.err"
[ -s "$DRTF" ] || fail "no refresh token stored"
case $(cat "$DRTF") in 0.AXkA*) ;; *) fail "$DRTF holds no refresh token" ;; esac
[ "$(mode_owner "$DRTF")" = "600 root" ] || fail "$DRTF is $(mode_owner "$DRTF")"
oauth_test "$T/device.ini" || fail "oauth test failed with the device flow's token"
grep -q "^IMAP: logged in" "$T/out" && grep -q "^SMTP: logged in" "$T/out" ||
    fail "the device flow's token did not log in"
no_secret_in "oauth test's output" "$T/out"

step "2. oauth login: a denied code"
device_login "$T/deny.out"
idp deny "{\"user_code\": \"$UC\"}" >/dev/null || fail "fakeidp deny failed"
rc=0
login_wait || rc=$?
[ "$rc" != 0 ] || fail "oauth login exited 0 after a denial"
grep -q "^rapidreviewctl: oauth login: the token endpoint refused (HTTP 400): authorization_declined: AADSTS70000: The user declined .*; the sign-in was declined\$" "$T/deny.out.err" ||
    { cat "$T/deny.out.err"; fail "no plain message for the denial"; }
[ "$(wc -l <"$T/deny.out.err")" = 1 ] || fail "more than one line for a denial"
grep -q '^Signed in' "$T/deny.out" && fail "a denied login said it signed in"
no_secret_in "a denied login's output" "$T/deny.out" "$T/deny.out.err"

# --- 3. service_account (Google) ----------------------------------------------

step "3. service_account: JWT bearer grant, IMAP XOAUTH2 as the mailbox user"
chmod 600 "$T/sa.json"
oauth_ini "$T/sa.ini" "[oauth]
provider = google
flow = service_account
service_account_file = $T/sa.json
token_url = $MB_IDP_URL/google/token
ca_file = $MB_CA"
"$RRD" --check-config -c "$T/sa.ini" >"$T/out" 2>&1 ||
    fail "--check-config refused the service_account INI"
jwt0=$(jget "$(idp stats)" token_requests)
oauth_test "$T/sa.ini" || fail "oauth test failed (service_account)"
grep -q "^token: obtained from $MB_IDP_URL/google/token (scope https://mail.google.com/)" "$T/out" ||
    fail "no token from Google's endpoint"
grep -q "^IMAP: logged in to localhost:$MB_IMAPS_PORT as $PARTNERSHIP with XOAUTH2" "$T/out" ||
    fail "the service account's token did not log in to IMAP"
no_secret_in "oauth test's output" "$T/out"
grep -q "BEGIN PRIVATE KEY\|MII" "$T/out" && fail "oauth test printed the key"
jwt1=$(jget "$(idp stats)" token_requests)
python3 -c 'import json,sys; a, b = (json.loads(x).get("jwt_bearer", 0) for x in sys.argv[1:3]); sys.exit(b <= a)' \
    "$jwt0" "$jwt1" || fail "no jwt-bearer grant was made"
grep -q "POST /introspect 200 active=true user=$PARTNERSHIP" "$B/fakeidp.log" ||
    fail "Dovecot was not shown a token for $PARTNERSHIP"
# The JWT's sub is the mailbox user: another user is not allowed to the SA.
cp "$T/sa.ini" "$T/sa-other.ini"
ini_put "$T/sa-other.ini" mailbox user "$MANAGER"
ini_put "$T/sa-other.ini" smtp user "$MANAGER"
oauth_test "$T/sa-other.ini" && fail "the service account acted for a user it may not"
grep -q "unauthorized_client" "$T/out" || fail "the sub was not what the provider judged"
no_secret_in "oauth test's output" "$T/out"

# --- 4. the provider refuses ---------------------------------------------------

step "4. the provider refuses: AADSTS code and a hint, no token or secret"
printf '%s\n' "$CC_SECRET" >"$T/cc-secret"
oauth_ini "$T/cc.ini" "[oauth]
provider = microsoft
flow = client_credentials
tenant = $TENANT
client_id = $CC_APP
client_secret_file = $T/cc-secret
token_url = $MB_IDP_URL/$TENANT/oauth2/v2.0/token
ca_file = $MB_CA"
oauth_test "$T/cc.ini" || fail "oauth test failed (client_credentials)"
grep -q "^IMAP: logged in" "$T/out" && grep -q "^SMTP: logged in" "$T/out" ||
    fail "the client_credentials token did not log in"
no_secret_in "oauth test's output" "$T/out"
idp set '{"refuse": "invalid_client"}' >/dev/null || fail "fakeidp set refuse"
rc=0
oauth_test "$T/cc.ini" || rc=$?
idp set '{"refuse": null}' >/dev/null
[ "$rc" != 0 ] || fail "oauth test exited 0 when the provider refused"
grep -q "^token: FAILED" "$T/out" || fail "oauth test does not say the token failed"
grep -q "invalid_client: AADSTS7000215: Invalid client secret provided" "$T/out" ||
    fail "oauth test does not give the provider's AADSTS code"
grep -q "the client secret is wrong: give the secret's Value, not its Secret ID" "$T/out" ||
    fail "oauth test gives no hint in plain words"
grep -q '^IMAP: logged in\|^SMTP: logged in' "$T/out" && fail "a login claimed to work"
no_secret_in "oauth test's output" "$T/out"

# --- 5. --check-config ---------------------------------------------------------

step "5. --check-config: the example from a copy; password logins to the clouds"
# A copy laid out as the source tree is, so that ../templates and
# bank-holidays.json (relative to the INI's folder) resolve.
mkdir -p "$T/copy/config"
cp "$RR_SRC/config/rapidreviewd.ini.example" "$RR_SRC/config/bank-holidays.json" "$T/copy/config/"
ln -s "$RR_SRC/templates" "$T/copy/templates"
(cd / && "$RRD" --check-config -c "$T/copy/config/rapidreviewd.ini.example") >"$T/out" 2>&1 ||
    fail "--check-config refused the example"
grep -q "configuration OK" "$T/out" || fail "no OK line for the example"

printf 'imap-password\n' >"$T/imap.secret"
chmod 600 "$T/imap.secret"
write_config "$T/o365.ini"
ini_put "$T/o365.ini" mailbox url imaps://outlook.office365.com/INBOX
ini_put "$T/o365.ini" mailbox auth plain
ini_put "$T/o365.ini" mailbox password_file "$T/imap.secret"
rc=0
"$RRD" --check-config -c "$T/o365.ini" >"$T/out" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "a password login to Microsoft 365 IMAP passed --check-config"
grep "outlook.office365\|Microsoft 365" "$T/out" | grep -q "xoauth2.*\[oauth\]" ||
    fail "the refusal does not name the fix (xoauth2, [oauth])"

write_config "$T/gmail.ini"
ini_put "$T/gmail.ini" smtp url smtp://smtp.gmail.com:587
ini_put "$T/gmail.ini" smtp user "$PARTNERSHIP"
ini_put "$T/gmail.ini" smtp password_file "$T/imap.secret"
rc=0
"$RRD" --check-config -c "$T/gmail.ini" >"$T/out" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "a password login to Gmail SMTP passed --check-config"
grep "Google" "$T/out" | grep -q "xoauth2.*\[oauth\]" ||
    fail "the Gmail refusal does not name the fix (xoauth2, [oauth])"

# --- 6. a running daemon: no secret where others can see it ----------------------

step "6. the daemon on XOAUTH2 (refresh_token) sends mail; no secret in ps, /proc, logs, db"
cp "$T/rt.ini" "$T/rr.ini"
before=$(jget "$(idp stats)" tokens_issued)
daemon_start -v
for i in $(seq 1 200); do
	grep -q "waiting for new mail" "$T/daemon.log" && break
	kill -0 "$DAEMON_PID" 2>/dev/null || fail "the daemon exited"
	sleep 0.1
done
grep -q "waiting for new mail" "$T/daemon.log" || fail "the daemon did not log in"
cat >"$T/sin.eml" <<EOF
From: Duty Manager <$NOTIFIER>
To: $PARTNERSHIP
Subject: Serious Incident Notification
Message-ID: <sin-flows.$$@northshire.gov.uk>
Date: $(date -R)
Content-Type: text/plain; charset=utf-8

Child: Child F
Incident type: serious harm
Incident date: $(date +%F)
Panel reference: SIN-$(date +%Y)-$$
Agencies involved: police, health
Case background: Child F was admitted to hospital with injuries.
EOF
send_mail "$NOTIFIER" "$PARTNERSHIP" "$T/sin.eml"
DB=$ST/rr.db
db() { sqlite3 -cmd '.timeout 5000' "$DB" "$@"; }
for i in $(seq 1 150); do
	[ "$(db "SELECT count(*) FROM outbox WHERE state = 'sent'" 2>/dev/null)" -ge 2 ] &&
	    [ "$(db "SELECT count(*) FROM outbox WHERE state <> 'sent'" 2>/dev/null)" = 0 ] && break
	sleep 0.2
done
[ "$(db "SELECT count(*) FROM outbox WHERE state = 'sent'")" -ge 2 ] ||
    fail "the daemon sent no mail: $(db "SELECT state, last_error FROM outbox")"
REF=$(db "SELECT ref FROM cases")
[ -n "$REF" ] || fail "no case opened"
for i in $(seq 1 50); do
	grep -rqsF "[$REF] Rapid Review opened" "$B/mail/$MANAGER/Maildir/new" && break
	sleep 0.2
done
grep -rqsF "[$REF] Rapid Review opened" "$B/mail/$MANAGER/Maildir/new" ||
    fail "the business manager's copy of the acknowledgement did not arrive"
grep -q "submission-login: Info: Login: user=<$PARTNERSHIP>, method=XOAUTH2" "$B/dovecot.log" ||
    fail "no XOAUTH2 submission login"
if grep "Login: user=<$PARTNERSHIP>" "$B/dovecot.log" | grep -v method=XOAUTH2 | grep -q .; then
	fail "the daemon logged in by another method"
fi
[ "$(jget "$(idp stats)" tokens_issued)" -gt "$before" ] || fail "the daemon got no token"
kill -0 "$DAEMON_PID" || fail "the daemon died"
# Other tests may run beside this one, with tokens of their own: every
# process's arguments are searched for this test's secrets, but only the
# daemon's, its children's and this bed's for anything token-shaped.
ps -eo pid=,ppid=,args= >"$T/ps-all.txt"
awk -v d="$DAEMON_PID" -v t="$T" '$1 == d || $2 == d || index($0, t)' \
    "$T/ps-all.txt" >"$T/ps.txt"
tr '\0' '\n' <"/proc/$DAEMON_PID/cmdline" >"$T/cmdline.txt"
tr '\0' '\n' <"/proc/$DAEMON_PID/environ" >"$T/environ.txt"
grep -q "rapidreviewd -c $T/rr.ini -v" "$T/ps.txt" || fail "the daemon is not in ps"
RT3=$(cat "$RTF")
[ "$RT3" != "$RT2" ] || fail "the daemon did not use (and rotate) the refresh token"
for f in ps.txt cmdline.txt environ.txt; do
	no_secret_in "$f" "$T/$f"
done
for lit in "$CONF_SECRET" "$CC_SECRET" "$RT0" "$RT1" "$RT2" "$RT3"; do
	if grep -qF -- "$lit" "$T/ps-all.txt" "$T/cmdline.txt" "$T/environ.txt"; then
		fail "a client secret or refresh token is in ps or /proc"
	fi
done
# The database and every other file of the state folder: its raw files,
# -wal and -shm included, while the daemon runs (they are there then) and
# after it stopped; but not the refresh token file itself.
state_clean() { # WHEN
	local files
	db .dump >"$T/dump.sql" || fail "sqlite3 .dump failed"
	grep -q "sin-flows" "$T/dump.sql" || fail "the dump does not hold the message (wrong database?)"
	no_secret_in "the database ($1)" "$T/dump.sql"
	files=$(find "$ST" -type f ! -path "$RTF")
	[ -n "$files" ] || fail "nothing in the state folder"
	# shellcheck disable=SC2086
	no_secret_in "the state folder ($1)" $files
	# shellcheck disable=SC2086
	if grep -aqF -- "$RT3" "$T/dump.sql" $files; then
		fail "the database or a state file other than $RTF holds the refresh token ($1)"
	fi
}
[ -f "$DB-wal" ] || fail "no $DB-wal while the daemon runs (not in WAL mode?)"
state_clean "daemon running"
daemon_stop || fail "the daemon did not stop cleanly"
no_secret_in "the daemon's -v log" "$T/daemon.log"
grep -qF -- "$RT3" "$T/daemon.log" && fail "the daemon's log holds the refresh token"
state_clean "daemon stopped"
[ "$(mode_owner "$RTF")" = "600 root" ] || fail "after the daemon: $(mode_owner "$RTF")"

"$FAKEIDP" stop "$B" || fail "fakeidp stop"
pass
