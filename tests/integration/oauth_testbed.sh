#!/bin/bash
# oauth_testbed.sh - checks the OAuth 2.0 / Microsoft Graph test bed with
# real clients: tests/lib/mailbed (Dovecot with XOAUTH2 through an oauth2
# passdb, SMTP submission) and tests/tools/fakeidp (token endpoint,
# introspection, Graph mail, control API).
#   (a) a client_credentials token logs in to IMAP with XOAUTH2; a wrong,
#       expired, revoked, other user's or Graph-only token is refused;
#       passwords still work
#   (b) SMTP AUTH XOAUTH2 on the submission port after STARTTLS (Python; and
#       curl --oauth2-bearer, which picks OAUTHBEARER when both are offered)
#       relays a message into a bed user's mailbox
#   (c) Graph: delta paging, $value, folder create, move (immutable id), the
#       @removed change, sendMail delivered into Dovecot with Bcc stripped
#   (d) throttle_once: one 429 Retry-After per kind
#   (e) device flow: pending, slow_down, approve, token, refresh rotation
#   (f) Google service account: RS256 JWT bearer grant, then IMAP XOAUTH2
#   (g) refuse / down: the token endpoint's error shapes
#
# Env: RR_SRC (repository root), BUILD (not needed; accepted for uniformity)

TEST=oauth_testbed
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib/testlib.sh"

MANAGER=manager@northshire-scp.org.uk
SECRET=cc-secret-$(openssl rand -hex 8)
APP=3f1c0c3e-0000-4000-8000-000000000001
DEVAPP=3f1c0c3e-0000-4000-8000-000000000002
SA=rr-reader@northshire-rr.iam.gserviceaccount.com

# The fake's log tail helps more than the servers' on a failure here.
fail() {
	[ -s "$B/fakeidp.log" ] && { echo "--- tail of $B/fakeidp.log"; tail -n 30 "$B/fakeidp.log"; } >&2
	echo "$TEST: FAIL: $*" >&2
	exit 1
}

# --- helpers: one Python file, one subcommand per client action ------------

cat >"$T/oc.py" <<'PY'
import base64, imaplib, json, os, smtplib, socket, ssl, subprocess, sys, time
import urllib.error, urllib.parse, urllib.request

E = os.environ
CTX = ssl.create_default_context(cafile=E["MB_CA"])
URL = E["MB_IDP_URL"]
PART = "rapidreview@northshire-scp.org.uk"


def http(method, url, data=None, headers=None):
    """(status, headers, body bytes); never raises for an HTTP status."""
    if not url.startswith("https:"):
        url = URL + url
    r = urllib.request.Request(url, data=data, headers=headers or {},
                               method=method)
    try:
        with urllib.request.urlopen(r, context=CTX, timeout=20) as a:
            return a.status, dict(a.headers), a.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def xoauth2(user, tok):
    return "user=%s\x01auth=Bearer %s\x01\x01" % (user, tok)


def cmd_token(path, *kv):
    form = dict(x.split("=", 1) for x in kv)
    st, _, body = http("POST", path, urllib.parse.urlencode(form).encode(),
                       {"Content-Type": "application/x-www-form-urlencoded"})
    print(json.dumps({"status": st, "body": json.loads(body)}))


class IMAP(imaplib.IMAP4_SSL):
    # From another loopback address when asked: Dovecot's auth penalty
    # (2, 4, 8 ... 15 s) grows per client IP with each refused login.
    src = None

    def _create_socket(self, timeout):
        sock = socket.create_connection((self.host, self.port), timeout,
                                        source_address=self.src)
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


def cmd_imap(user, tok, src=None):
    IMAP.src = (src, 0) if src else None
    c = IMAP("localhost", int(E["MB_IMAPS_PORT"]), ssl_context=CTX, timeout=30)
    try:
        c.authenticate("XOAUTH2", lambda _: xoauth2(user, tok).encode())
        typ, _ = c.select("INBOX")
        print("OK" if typ == "OK" else "NO select")
        c.logout()
        return 0
    except imaplib.IMAP4.error as e:
        print("NO %s" % e)
        return 1


def cmd_smtp(user, tok, rcpt, subject, src=None):
    s = smtplib.SMTP(timeout=30, source_address=(src, 0) if src else None)
    s.connect("127.0.0.1", int(E["MB_SUBMISSION_PORT"]))
    s._host = "localhost"
    s.ehlo("client.example.org")
    s.starttls(context=CTX)
    s.ehlo("client.example.org")
    if "XOAUTH2" not in s.esmtp_features.get("auth", ""):
        print("NO: no XOAUTH2 in %r" % s.esmtp_features.get("auth"))
        return 1
    code, msg = s.docmd("AUTH", "XOAUTH2 " +
                        base64.b64encode(xoauth2(user, tok).encode()).decode())
    if code == 334:
        # A refused token: Dovecot sends the JSON challenge; answer it empty.
        code, msg = s.docmd("")
    if code != 235:
        print("NO %d %s" % (code, msg.decode()))
        s.close()
        return 1
    s.sendmail(user, [rcpt], ("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n"
                              "Message-ID: <%s@test>\r\n\r\nbody\r\n" %
                              (user, rcpt, subject, subject)).encode())
    s.quit()
    print("OK")
    return 0


def cmd_jwt(keyfile, iss, sub, scope, aud, life="3600"):
    now = int(time.time())
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    head = b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"iss": iss, "sub": sub, "scope": scope, "aud": aud,
                           "iat": now, "exp": now + int(life)}).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", keyfile],
                         input=(head + "." + body).encode(),
                         capture_output=True, check=True).stdout
    print(head + "." + body + "." + b64(sig))


def graph_token():
    st, _, b = http("POST", "/t/oauth2/v2.0/token", urllib.parse.urlencode({
        "grant_type": "client_credentials", "client_id": E["APP"],
        "client_secret": E["SECRET"],
        "scope": "https://graph.microsoft.com/.default"}).encode())
    assert st == 200, (st, b)
    return json.loads(b)["access_token"]


def ctl(verb, obj):
    st, _, b = http("POST", "/_test/" + verb, json.dumps(obj).encode(),
                    {"Content-Type": "application/json"})
    assert st == 200, (verb, st, b)
    return json.loads(b)


def cmd_graph():
    tok = graph_token()
    H = {"Authorization": "Bearer " + tok, "Prefer": 'IdType="ImmutableId"'}
    MB = "/v1.0/users/" + PART

    def g(method, path, obj=None, headers=None, raw=None, ctype=None):
        h = dict(headers if headers is not None else H)
        data = None
        if obj is not None:
            data = json.dumps(obj).encode()
            h["Content-Type"] = "application/json"
        if raw is not None:
            data, h["Content-Type"] = raw, ctype
        url = path if path.startswith("https:") else MB + path
        st, hd, b = http(method, url, data, h)
        return st, hd, b

    def gj(*a, **k):
        st, hd, b = g(*a, **k)
        return st, (json.loads(b) if b else None)

    # Auth: none, garbage, an IMAP-audience token, another mailbox.
    st, b = gj("GET", "/mailFolders", headers={})
    assert st == 401 and b["error"]["code"] == "InvalidAuthenticationToken", b
    st, b = gj("GET", "/mailFolders", headers={"Authorization": "Bearer junk"})
    assert st == 401, b
    st, _, ob = http("POST", "/t/oauth2/v2.0/token", urllib.parse.urlencode({
        "grant_type": "client_credentials", "client_id": E["APP"],
        "client_secret": E["SECRET"],
        "scope": "https://outlook.office365.com/.default"}).encode())
    st, b = gj("GET", "/mailFolders", headers={
        "Authorization": "Bearer " + json.loads(ob)["access_token"]})
    assert st == 401, ("an IMAP token reached Graph", st, b)
    st, b = gj("GET", URL + "/v1.0/users/someone@else.example/mailFolders")
    assert st == 403 and b["error"]["code"] == "ErrorAccessDenied", (st, b)
    print("graph: 401 without a live Graph token, 403 for another mailbox")

    # Twelve messages in the Graph inbox: delta pages of 10, then 2.
    raws = {}
    for i in range(12):
        raw = ("From: Social Care <duty@northshire.gov.uk>\r\nTo: <%s>\r\n"
               "Subject: graph %02d\r\nMessage-ID: <g%02d@test>\r\n\r\n"
               "body %02d\r\n" % (PART, i, i, i))
        mid = ctl("deliver", {"mailbox": PART, "folder": "inbox",
                              "mime": raw})["id"]
        raws[mid] = raw.encode()
    st, b = gj("GET", "/mailFolders/inbox/messages/delta?$select=subject,from")
    assert st == 200 and len(b["value"]) == 10 and "@odata.nextLink" in b, b
    assert set(b["value"][0]) <= {"id", "subject", "from", "@odata.type",
                                  "@odata.etag"}, b["value"][0]
    seen = [m["id"] for m in b["value"]]
    st, b = gj("GET", b["@odata.nextLink"])
    assert st == 200 and len(b["value"]) == 2 and "@odata.deltaLink" in b, b
    assert "subject" in b["value"][0] and "toRecipients" not in b["value"][0]
    seen += [m["id"] for m in b["value"]]
    delta = b["@odata.deltaLink"]
    assert sorted(seen) == sorted(raws), "delta did not list every message"
    print("graph: delta gave 10 + 2 messages, then a deltaLink")

    first = seen[0]
    st, _, body = g("GET", "/messages/%s/$value" % first)
    assert st == 200 and body == raws[first], (st, body[:80])
    print("graph: $value is the raw MIME")

    # The processed folder: absent, created, then found by $filter.
    q = "?$filter=" + urllib.parse.quote("displayName eq 'Processed'")
    st, b = gj("GET", "/mailFolders" + q)
    assert st == 200 and b["value"] == [], b
    st, b = gj("POST", "/mailFolders", {"displayName": "Processed"})
    assert st == 201, b
    pid = b["id"]
    st, b = gj("POST", "/mailFolders", {"displayName": "Processed"})
    assert st == 409 and b["error"]["code"] == "ErrorFolderExists", b
    st, b = gj("GET", "/mailFolders" + q)
    assert [f["id"] for f in b["value"]] == [pid], b
    st, b = gj("POST", "/mailFolders/%s/childFolders" % pid,
               {"displayName": "Quarantine"})
    assert st == 201 and b["parentFolderId"] == pid, b
    st, b = gj("GET", "/mailFolders/%s/childFolders" % pid)
    assert [f["displayName"] for f in b["value"]] == ["Quarantine"], b
    print("graph: folders created and found")

    st, b = gj("POST", "/messages/%s/move" % first, {"destinationId": pid})
    assert st == 201 and b["id"] == first and b["parentFolderId"] == pid, b
    listed = ctl("list", {"mailbox": PART, "folder": pid})["messages"]
    assert [m["id"] for m in listed] == [first], listed
    ctl("deliver", {"mailbox": PART, "mime": "From: <x@nhs.net>\r\nTo: <%s>\r\n"
                    "Subject: graph late\r\n\r\nlate\r\n" % PART})
    st, b = gj("GET", delta)
    assert st == 200 and "@odata.deltaLink" in b, b
    removed = [m["id"] for m in b["value"] if "@removed" in m]
    added = [m["subject"] for m in b["value"] if "@removed" not in m]
    assert removed == [first] and added == ["graph late"], b["value"]
    st, b = gj("GET", b["@odata.deltaLink"])
    assert st == 200 and b["value"] == [], b
    print("graph: move keeps the immutable id; delta then gives @removed and "
          "the new message only")

    # sendMail: MIME in base64, delivered by SMTP into Dovecot, Bcc stripped.
    mime = ("From: <%s>\r\nTo: <%s>\r\nBcc: <%s>\r\nSubject: %s\r\n"
            "Message-ID: <sendmail@test>\r\n\r\nsent through Graph\r\n" %
            (PART, E["MANAGER"], PART, E["SUBJECT"]))
    st, hd, b = g("POST", "/sendMail", raw=base64.b64encode(mime.encode()),
                  ctype="text/plain")
    assert st == 202 and b == b"", (st, b)
    st, b = gj("POST", "/sendMail", raw=b"%%% not base64", ctype="text/plain")
    assert st == 400 and b["error"]["code"] == \
        "ErrorMimeContentInvalidBase64String", b
    s = ctl("stats", {})
    assert s["sendmail"] == {"delivered": 1, "failed": 0}, s["sendmail"]
    assert s["immutable_id_seen"] is True, s
    print("graph: sendMail answered 202")


def cmd_throttle():
    tok = graph_token()
    H = {"Authorization": "Bearer " + tok}
    MB = "/v1.0/users/" + PART
    ctl("set", {"throttle_once": True})
    mid = ctl("deliver", {"mailbox": PART, "mime": "From: <a@nhs.net>\r\n"
                          "Subject: throttled\r\n\r\nx\r\n"})["id"]
    before = ctl("stats", {})["throttled"]
    calls = [
        ("folders", "GET", "/mailFolders/inbox", None, None),
        ("delta", "GET", "/mailFolders/inbox/messages/delta", None, None),
        ("value", "GET", "/messages/%s/$value" % mid, None, None),
        ("move", "POST", "/messages/%s/move" % mid,
         json.dumps({"destinationId": "archive"}).encode(), "application/json"),
        ("sendMail", "POST", "/sendMail", base64.b64encode(
            ("From: <%s>\r\nTo: <%s>\r\nSubject: after 429\r\n\r\nx\r\n" %
             (PART, E["MANAGER"])).encode()), "text/plain"),
    ]
    for kind, method, path, data, ctype in calls:
        h = dict(H, **({"Content-Type": ctype} if ctype else {}))
        st, hd, b = http(method, MB + path, data, h)
        assert st == 429 and hd.get("Retry-After") == "1", (kind, st, hd)
        assert json.loads(b)["error"]["code"] == "ApplicationThrottled", b
        st, hd, b = http(method, MB + path, data, h)
        assert st in (200, 201, 202), (kind, "second call", st, b)
    s = ctl("stats", {})
    assert s["throttled"] - before == 5, s
    ctl("set", {"throttle_once": False})
    print("throttle: one 429 with Retry-After: 1 per kind, then normal answers")


if __name__ == "__main__":
    r = globals()["cmd_" + sys.argv[1]](*sys.argv[2:])
    sys.exit(r or 0)
PY

oc() {
	python3 "$T/oc.py" "$@"
}

# refused_from: a fresh loopback source address for a login meant to fail
# (Dovecot's auth penalty is per client IP; 127.0.0.1 stays unpenalised).
refused_from() {
	echo "127.$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))"
}

# jget JSON PATH: a value from a JSON text, PATH like body.access_token
jget() {
	python3 -c 'import json,sys
v = json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v.get(k)
print("" if v is None else (v if isinstance(v, str) else json.dumps(v)))' "$1" "$2"
}

# in_maildir USER TEXT [SECONDS]: wait until a message of USER holds TEXT.
in_maildir() {
	local i=0
	while [ "$i" -lt $((${3:-15} * 10)) ]; do
		grep -rlqF -- "$2" "$B/mail/$1/Maildir/new" "$B/mail/$1/Maildir/cur" \
		    2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# --- the bed and the fake ---------------------------------------------------

step "start the bed and the fake identity provider"
bed_start "$PARTNERSHIP" "$MANAGER"
for v in MB_SUBMISSION_PORT MB_IDP_PORT MB_IDP_URL; do
	[ -n "${!v:-}" ] || fail "$B/env does not set $v"
done
[ "$MB_IDP_URL" = "https://localhost:$MB_IDP_PORT" ] || fail "MB_IDP_URL is $MB_IDP_URL"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/sa.key" 2>/dev/null ||
    fail "openssl genpkey failed"
openssl pkey -in "$T/sa.key" -pubout -out "$T/sa.pub" || fail "openssl pkey failed"
python3 - "$B/fakeidp.json" "$APP" "$SECRET" "$DEVAPP" "$SA" "$T/sa.pub" \
    "$PARTNERSHIP" <<'PY' || fail "cannot write the registration"
import json, sys
out, app, secret, devapp, sa, pub, part = sys.argv[1:8]
json.dump({"clients": {
    app: {"secret": secret, "mailboxes": [part]},
    devapp: {"mailboxes": [part]},
    "google-sa-1": {"email": sa, "public_key_pem": open(pub).read(),
                    "mailboxes": [part]}}}, open(out, "w"), indent=1)
PY
idp_start
export APP SECRET MANAGER
TOKEN_URL=/northshire.onmicrosoft.com/oauth2/v2.0/token

# --- (a) IMAP XOAUTH2 --------------------------------------------------------

step "(a) client_credentials token, IMAP XOAUTH2"
ans=$(oc token "$TOKEN_URL" grant_type=client_credentials client_id="$APP" \
    client_secret="$SECRET" scope=https://outlook.office365.com/.default)
[ "$(jget "$ans" status)" = 200 ] || fail "token request: $ans"
[ "$(jget "$ans" body.token_type)" = Bearer ] || fail "token_type: $ans"
[ "$(jget "$ans" body.expires_in)" = 3599 ] || fail "expires_in: $ans"
TOK=$(jget "$ans" body.access_token)
oc imap "$PARTNERSHIP" "$TOK" >"$T/out" || fail "XOAUTH2 login refused: $(cat "$T/out")"
if oc imap "$PARTNERSHIP" "x$TOK" "$(refused_from)" >"$T/out"; then fail "a wrong token logged in"; fi
if oc imap "$MANAGER" "$TOK" "$(refused_from)" >"$T/out"; then fail "the token logged in as another user"; fi
grep -q 'AUTHENTICATIONFAILED' "$T/out" || fail "refusal: $(cat "$T/out")"
curl -sS --max-time 10 --cacert "$MB_CA" -u "$PARTNERSHIP:$MB_PASS_rapidreview_northshire_scp_org_uk" \
    "imaps://localhost:$MB_IMAPS_PORT/" -X 'STATUS INBOX (MESSAGES)' >/dev/null ||
    fail "password login no longer works"

step "(a) wrong secret, scope without /.default, unknown client"
ans=$(oc token "$TOKEN_URL" grant_type=client_credentials client_id="$APP" \
    client_secret=wrong scope=https://outlook.office365.com/.default)
[ "$(jget "$ans" status)" = 401 ] && [ "$(jget "$ans" body.error)" = invalid_client ] &&
    [ "$(jget "$ans" body.error_codes)" = '[7000215]' ] || fail "wrong secret: $ans"
jget "$ans" body.error_description | grep -q '^AADSTS7000215: ' || fail "description: $ans"
ans=$(oc token "$TOKEN_URL" grant_type=client_credentials client_id="$APP" \
    client_secret="$SECRET" scope=https://outlook.office365.com/IMAP.AccessAsApp)
[ "$(jget "$ans" body.error)" = invalid_scope ] || fail "bad scope: $ans"
ans=$(oc token "$TOKEN_URL" grant_type=client_credentials client_id=nobody \
    client_secret=x scope=https://outlook.office365.com/.default)
[ "$(jget "$ans" body.error)" = unauthorized_client ] &&
    [ "$(jget "$ans" body.error_codes)" = '[700016]' ] || fail "unknown client: $ans"

step "(a) a Graph token is not for IMAP; expiry and revocation refuse logins"
ans=$(oc token "$TOKEN_URL" grant_type=client_credentials client_id="$APP" \
    client_secret="$SECRET" scope=https://graph.microsoft.com/.default)
if oc imap "$PARTNERSHIP" "$(jget "$ans" body.access_token)" "$(refused_from)" >"$T/out"; then
	fail "a Graph token logged in to IMAP"
fi
"$FAKEIDP" ctl "$B" set '{"token_lifetime": 2}' >/dev/null || fail "ctl set"
ans=$(oc token "$TOKEN_URL" grant_type=client_credentials client_id="$APP" \
    client_secret="$SECRET" scope=https://outlook.office365.com/.default)
[ "$(jget "$ans" body.expires_in)" = 2 ] || fail "token_lifetime not applied: $ans"
SHORT=$(jget "$ans" body.access_token)
sleep 2.5
if oc imap "$PARTNERSHIP" "$SHORT" "$(refused_from)" >"$T/out"; then fail "an expired token logged in"; fi
"$FAKEIDP" ctl "$B" set '{"token_lifetime": 3599}' >/dev/null
oc imap "$PARTNERSHIP" "$TOK" >"$T/out" || fail "the long token stopped working"
"$FAKEIDP" ctl "$B" revoke "{\"client_id\": \"$APP\"}" >/dev/null || fail "ctl revoke"
if oc imap "$PARTNERSHIP" "$TOK" "$(refused_from)" >"$T/out"; then fail "a revoked token logged in"; fi
ans=$(oc token "$TOKEN_URL" grant_type=client_credentials client_id="$APP" \
    client_secret="$SECRET" scope=https://outlook.office365.com/.default)
TOK=$(jget "$ans" body.access_token)
stats=$("$FAKEIDP" ctl "$B" stats)
[ "$(jget "$stats" introspections.active)" -ge 2 ] &&
    [ "$(jget "$stats" introspections.inactive)" -ge 4 ] ||
    fail "introspection counts: $stats"
grep -q 'POST /introspect 200 active=true user=rapidreview@northshire-scp.org.uk via=form' \
    "$B/fakeidp.log" || fail "Dovecot did not post the token as a form field"

# --- (b) SMTP submission with XOAUTH2 ----------------------------------------

step "(b) SMTP AUTH XOAUTH2 after STARTTLS relays into Dovecot"
oc smtp "$PARTNERSHIP" "$TOK" "$MANAGER" oauth-smtp-python >"$T/out" ||
    fail "submission refused: $(cat "$T/out")"
in_maildir "$MANAGER" 'Subject: oauth-smtp-python' || fail "the submitted message did not arrive"
if oc smtp "$PARTNERSHIP" "bad$TOK" "$MANAGER" never "$(refused_from)" >"$T/out"; then
	fail "submission took a bad token"
fi
grep -q '^NO 535' "$T/out" || fail "bad token: $(cat "$T/out")"
printf 'From: <%s>\r\nTo: <%s>\r\nSubject: oauth-smtp-curl\r\n\r\nbody\r\n' \
    "$PARTNERSHIP" "$MANAGER" >"$T/curl.eml"
curl -sS --max-time 20 --ssl-reqd --cacert "$MB_CA" \
    "smtp://localhost:$MB_SUBMISSION_PORT" --user "$PARTNERSHIP:" \
    --oauth2-bearer "$TOK" --login-options AUTH=XOAUTH2 \
    --mail-from "$PARTNERSHIP" --mail-rcpt "$MANAGER" -T "$T/curl.eml" 2>"$T/err" ||
    fail "curl bearer submission failed: $(cat "$T/err")"
in_maildir "$MANAGER" 'Subject: oauth-smtp-curl' || fail "curl's message did not arrive"
grep -q 'method=XOAUTH2' "$B/dovecot.log" || fail "no XOAUTH2 login in dovecot.log"

# --- (c) Graph ----------------------------------------------------------------

step "(c) Microsoft Graph: delta, \$value, folders, move, sendMail"
export SUBJECT=graph-sendmail-$(openssl rand -hex 4)
oc graph || fail "Graph checks failed"
in_maildir "$MANAGER" "Subject: $SUBJECT" || fail "sendMail's message did not reach $MANAGER"
in_maildir "$PARTNERSHIP" "Subject: $SUBJECT" || fail "sendMail's Bcc copy did not arrive"
if grep -rqi '^Bcc:' "$B/mail/$PARTNERSHIP/Maildir/new" "$B/mail/$MANAGER/Maildir/new"; then
	fail "a Bcc header was delivered"
fi

# --- (d) throttling -----------------------------------------------------------

step "(d) throttle_once: one 429 per kind"
oc throttle || fail "throttle checks failed"

# --- (e) device flow and refresh rotation ------------------------------------

step "(e) device flow: pending, slow_down, approve, token"
DSCOPE='offline_access https://outlook.office365.com/IMAP.AccessAsUser.All https://outlook.office365.com/SMTP.Send'
DC_URL=/organizations/oauth2/v2.0/devicecode
DGRANT=urn:ietf:params:oauth:grant-type:device_code
# A long interval first, so the second poll is surely too early.
"$FAKEIDP" ctl "$B" set '{"device_interval": 30}' >/dev/null || fail "ctl set"
ans=$(oc token "$DC_URL" client_id="$DEVAPP" scope="$DSCOPE")
[ "$(jget "$ans" status)" = 200 ] || fail "devicecode: $ans"
[ "$(jget "$ans" body.interval)" = 30 ] || fail "device_interval not applied: $ans"
for k in device_code user_code verification_uri interval expires_in message; do
	[ -n "$(jget "$ans" "body.$k")" ] || fail "devicecode answer lacks $k: $ans"
done
DC=$(jget "$ans" body.device_code)
ans=$(oc token "$TOKEN_URL" grant_type=$DGRANT client_id="$DEVAPP" device_code="$DC")
[ "$(jget "$ans" body.error)" = authorization_pending ] || fail "first poll: $ans"
ans=$(oc token "$TOKEN_URL" grant_type=$DGRANT client_id="$DEVAPP" device_code="$DC")
[ "$(jget "$ans" body.error)" = slow_down ] || fail "fast poll: $ans"
# A fresh code, approved by the user, polled at the interval.
"$FAKEIDP" ctl "$B" set '{"device_interval": 1}' >/dev/null
ans=$(oc token "$DC_URL" client_id="$DEVAPP" scope="$DSCOPE")
DC=$(jget "$ans" body.device_code)
UC=$(jget "$ans" body.user_code)
ans=$(oc token "$TOKEN_URL" grant_type=$DGRANT client_id="$DEVAPP" device_code="$DC")
[ "$(jget "$ans" body.error)" = authorization_pending ] || fail "poll before approval: $ans"
"$FAKEIDP" ctl "$B" approve "{\"user_code\": \"$UC\", \"user\": \"$PARTNERSHIP\"}" >/dev/null ||
    fail "ctl approve"
sleep 1.1
ans=$(oc token "$TOKEN_URL" grant_type=$DGRANT client_id="$DEVAPP" device_code="$DC")
[ "$(jget "$ans" status)" = 200 ] || fail "poll after approval: $ans"
RT=$(jget "$ans" body.refresh_token)
[ -n "$RT" ] || fail "no refresh_token with offline_access: $ans"
oc imap "$PARTNERSHIP" "$(jget "$ans" body.access_token)" >"$T/out" ||
    fail "the device-flow token did not log in: $(cat "$T/out")"

step "(e) refresh_token grant rotates the refresh token"
ans=$(oc token "$TOKEN_URL" grant_type=refresh_token client_id="$DEVAPP" refresh_token="$RT")
[ "$(jget "$ans" status)" = 200 ] || fail "refresh: $ans"
RT2=$(jget "$ans" body.refresh_token)
[ -n "$RT2" ] && [ "$RT2" != "$RT" ] || fail "refresh token not rotated: $ans"
ans=$(oc token "$TOKEN_URL" grant_type=refresh_token client_id="$DEVAPP" refresh_token="$RT")
[ "$(jget "$ans" body.error)" = invalid_grant ] &&
    [ "$(jget "$ans" body.error_codes)" = '[70000]' ] || fail "old refresh token: $ans"

# --- (f) Google service account ---------------------------------------------

step "(f) Google service account: JWT bearer grant, then IMAP XOAUTH2"
JG=urn:ietf:params:oauth:grant-type:jwt-bearer
JWT=$(oc jwt "$T/sa.key" "$SA" "$PARTNERSHIP" https://mail.google.com/ \
    "$MB_IDP_URL/google/token") || fail "cannot sign a JWT"
ans=$(oc token /google/token grant_type=$JG assertion="$JWT")
[ "$(jget "$ans" status)" = 200 ] || fail "jwt-bearer: $ans"
oc imap "$PARTNERSHIP" "$(jget "$ans" body.access_token)" >"$T/out" ||
    fail "the service-account token did not log in: $(cat "$T/out")"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/other.key" 2>/dev/null
JWT=$(oc jwt "$T/other.key" "$SA" "$PARTNERSHIP" https://mail.google.com/ \
    "$MB_IDP_URL/google/token")
ans=$(oc token /google/token grant_type=$JG assertion="$JWT")
[ "$(jget "$ans" body.error)" = invalid_grant ] &&
    [ "$(jget "$ans" body.error_description)" = 'Invalid JWT Signature.' ] ||
    fail "a JWT signed with another key: $ans"
JWT=$(oc jwt "$T/sa.key" "$SA" "$PARTNERSHIP" https://mail.google.com/ \
    "$MB_IDP_URL/google/token" 7200)
ans=$(oc token /google/token grant_type=$JG assertion="$JWT")
[ "$(jget "$ans" body.error)" = invalid_grant ] || fail "a two-hour JWT: $ans"

# --- (g) refuse and down --------------------------------------------------------

step "(g) refuse and down"
"$FAKEIDP" ctl "$B" set '{"refuse": "invalid_client"}' >/dev/null || fail "ctl set refuse"
ans=$(oc token "$TOKEN_URL" grant_type=client_credentials client_id="$APP" \
    client_secret="$SECRET" scope=https://outlook.office365.com/.default)
[ "$(jget "$ans" status)" = 401 ] && [ "$(jget "$ans" body.error_codes)" = '[7000215]' ] ||
    fail "refuse: $ans"
"$FAKEIDP" ctl "$B" set '{"refuse": null, "down": true}' >/dev/null
ans=$(oc token "$TOKEN_URL" grant_type=client_credentials client_id="$APP" \
    client_secret="$SECRET" scope=https://outlook.office365.com/.default)
[ "$(jget "$ans" status)" = 503 ] || fail "down: $ans"
"$FAKEIDP" ctl "$B" set '{"down": false}' >/dev/null
if "$FAKEIDP" ctl "$B" set '{"refuse": "no_such_error"}' >/dev/null; then
	fail "ctl accepted an unknown error name"
fi

step "the fake's log holds no secret, token or assertion"
for s in "$SECRET" "$TOK" "$RT" "$RT2" "$DC"; do
	if grep -qF -- "$s" "$B/fakeidp.log"; then
		fail "fakeidp.log holds a secret value"
	fi
done

"$FAKEIDP" stop "$B" || fail "fakeidp stop"
"$FAKEIDP" stop "$B" || fail "fakeidp stop twice"
pass
