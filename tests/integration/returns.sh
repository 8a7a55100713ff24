#!/bin/bash
# returns.sh - agency returns (SPEC §3.3) end to end through the real
# OpenSMTPD and Dovecot, driven with --once --now:
# - the request carries the daemon's Word form; police fill it in, it goes
#   through LibreOffice (soffice --convert-to docx, and to odt), and each
#   is read with every field and chronology row intact (accents, curly
#   quotes, a multi-line answer); the ODT supersedes the DOCX, both kept;
# - csc's own Word-style layout and education's answers typed into an
#   Outlook-style top-posted reply are read to the same fields;
# - a chronology CSV in UTF-8 with BOM and one in Windows-1252 with
#   semicolons give the same rows;
# - health's incomplete return gets a query naming exactly what is
#   missing; the resubmission supersedes it and gets a receipt;
# - a zip bomb, a DOCTYPE with an external entity, a .docm, 100,000 zip
#   entries and an encrypted file are refused with a clear reply while the
#   daemon runs on with bounded memory; every corpus document is read or
#   refused; an NHSmail [secure] notice alerts the business manager;
# - every agency returned: the case is returns_complete, and
#   `rapidreviewctl chronology` merges the rows in date order.
TEST=returns
. "$(dirname "$0")/../lib/testlib.sh"
MAILTOOL=$RR_SRC/tests/tools/mailtool
FORMFILL=$RR_SRC/tests/tools/formfill
FIX=$RR_SRC/tests/fixtures/returns
NOTIFIER=duty.manager@northshire.gov.uk
MANAGER=manager@northshire-scp.org.uk
POLICE=pvp@northshire.police.uk
HEALTH=safeguarding@nhs.net
CSC=csc@northshire-cc.gov.uk
EDU=education@northshire-cc.gov.uk

command -v soffice >/dev/null || fail "soffice (libreoffice-writer-nogui) is not installed"
bed_start "$PARTNERSHIP" "$MANAGER" "$NOTIFIER" "$POLICE" \
    di@northshire.police.uk "$HEALTH" "$CSC" "$EDU"
write_config "$T/rr.ini" "[agency.csc]
name = Northshire Children's Social Care
aliases = CSC, Children's Social Care
to = $CSC
allow = $CSC
always_request = yes
[agency.education]
name = Northshire Education Safeguarding
aliases = Education
to = $EDU
allow = $EDU
always_request = yes"
DB=$T/state/rr.db
REF=RR-2024-001
db() { sqlite3 -cmd '.timeout 5000' "$DB" "$@"; }
dump() { "$MAILTOOL" dump "$1" "$(passfile "$1")" INBOX; }
once() {
	"$RRD" --once --now "$1" -c "$T/rr.ini" >>"$T/daemon.log" 2>&1 ||
	    { tail -20 "$T/daemon.log"; fail "--once --now $1 failed"; }
}
settle() {
	local i
	for i in $(seq 1 100); do
		"$MAILBED" smtpctl "$B" show queue 2>/dev/null | grep -q . || return 0
		sleep 0.2
	done
}
ctl() { "$RRCTL" -c "$T/rr.ini" "$@"; }
token_of() { # the reply token address in the request to $1
	dump "$1" | python3 -c 'import json,sys,re; m=[m for m in json.load(sys.stdin) if "information request" in m["subject"].lower()][0]; print(re.search(r"[\w.+-]+@[\w.-]+", m["reply_to"]).group(0))'
}
reply() { # FROM TEXTFILE [--html F] [ATTACHMENTS...]
	local from=$1 text=$2
	shift 2
	local tok
	tok=$(token_of "$from")
	"$MAILTOOL" compose "$from" "$tok" "RE: OFFICIAL-SENSITIVE [$REF] Information request" \
	    "$text" "$@" >"$T/out.eml" || fail "compose failed"
	send_mail "$from" "$tok" "$T/out.eml"
}
return_json() { ctl --json return "$REF" "$1"; }

step "the SIN opens $REF; each request carries the Word form"
cat >"$T/sin.eml" <<EOF
From: Duty Manager <$NOTIFIER>
To: $PARTNERSHIP
Subject: OFFICIAL-SENSITIVE Serious Incident Notification
Message-ID: <sin.$$@northshire.gov.uk>
Date: Mon, 08 Jul 2024 08:15:00 +0100
Content-Type: text/plain; charset=utf-8

Child: Child J
Age: 5
Incident type: death
Incident date: 2024-07-03
Date aware: 2024-07-04
Date notified: 2024-07-08
Local authority: Northshire
Agencies involved: police, health, children's social care, education
Case background: Child J and his mother were found deceased in the family
home. He was a 5-year-old boy with autism, home educated by his mother.
EOF
send_mail "$NOTIFIER" "$PARTNERSHIP" "$T/sin.eml"
sleep 1
once 2024-07-08T09:00
settle
[ "$(db "SELECT ref FROM cases")" = "$REF" ] || fail "no case"
mkdir -p "$T/got"
MAILTOOL_SAVE=$T/got dump "$POLICE" >"$T/police-request.json"
FORM=$(python3 - "$T/police-request.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))[0]
docx = [a for a in m["attachments"] if a["filename"].endswith(".docx")]
assert len(docx) == 1, m["attachments"]
assert docx[0]["content_type"].endswith("wordprocessingml.document")
assert "--- RAPID REVIEW RETURN RR-2024-001 BEGIN ---" in m["body"]
print(docx[0]["path"])
PY
) || fail "the request has no Word form"
unzip -p "$FORM" word/document.xml | grep -q "RR-2024-001" ||
    fail "the form is not personalised with the case reference"
unzip -p "$FORM" word/document.xml | grep -q "Northshire Police" ||
    fail "the form is not personalised with the agency"

step "police fill the form; LibreOffice saves it as DOCX; every field and row is read"
"$FORMFILL" fill "$FORM" "$FIX/police-full.json" "$T/police-filled.docx" ||
    fail "formfill fill failed"
mkdir -p "$T/lo-docx" "$T/lo-odt"
LO_DOCX=$("$FORMFILL" lo-convert "$T/police-filled.docx" "$T/lo-docx" docx) ||
    fail "LibreOffice could not convert to docx"
LO_ODT=$("$FORMFILL" lo-convert "$T/police-filled.docx" "$T/lo-odt" odt) ||
    fail "LibreOffice could not convert to odt"
unzip -p "$LO_DOCX" word/document.xml | grep -q 'w:tag w:val="rr:' &&
    echo "note: this LibreOffice kept the w:tag" || echo "LibreOffice dropped w:tag, as documented"
printf 'Please find our return attached.\n\nRegards\nDS Zoë Ní Bhriain\n' >"$T/body.txt"
reply "$POLICE" "$T/body.txt" "$LO_DOCX"
sleep 1
once 2024-07-09T09:00
settle

# Compare a stored return with the answers it was made from.
check_return() { # AGENCY ANSWERS.json [what]
	return_json "$1" >"$T/ret-$1.json" || fail "no return stored for $1"
	python3 - "$T/ret-$1.json" "$2" "${3:-all}" <<'PY'
import json, sys, re, datetime
got = json.load(open(sys.argv[1]))
want = json.load(open(sys.argv[2]))
what = sys.argv[3]
def norm(v):
    return re.sub(r"[ \t]+", " ", v.replace("\r\n", "\n")).strip()
def iso(v):
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(v, fmt).strftime("%Y-%m-%d")
        except ValueError:
            pass
    return v
errors = []
if what in ("all", "fields"):
    for k, v in want.items():
        if k == "chronology":
            continue
        if k in ("completed", "first_contact", "last_contact", "signed_off"):
            v = iso(v)
        if k in ("involved", "lcspr_view"):
            v = v.lower()
        g = got.get(k)
        if g is None or norm(g) != norm(v):
            errors.append(f"{k}: want {v!r} got {g!r}")
if what in ("all", "rows"):
    rows = got["chronology"]
    wrows = want.get("chronology", [])
    if len(rows) != len(wrows):
        errors.append(f"rows: want {len(wrows)} got {len(rows)}")
    for w, g in zip(wrows, rows):
        if g["date"] != iso(w["date"]):
            errors.append(f"row date {g['date']} != {w['date']}")
        for k in ("contact_type", "seen", "event", "outcome", "significance", "time"):
            if w.get(k) and norm(g.get(k) or "") != norm(w[k]):
                errors.append(f"row {w['date']} {k}: want {w[k]!r} got {g.get(k)!r}")
if errors:
    print("\n".join(errors))
    sys.exit(1)
PY
}
check_return police "$FIX/police-full.json" || fail "the LibreOffice DOCX was not read faithfully"
[ "$(return_json police | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["source"], r["complete"], r["version"])')" = "docx 1 1" ] ||
    fail "police return not stored as complete docx version 1"
dump "$POLICE" | python3 -c '
import json, sys
r = [m for m in json.load(sys.stdin) if "eceipt" in m["subject"] or "received" in m["subject"].lower()]
assert r, "no receipt"
b = r[-1]["body"]
assert "Chronology entries:    6" in b, b
' || fail "police did not get a receipt with the row count"

step "the same form saved by LibreOffice as ODT supersedes it; both versions kept"
reply "$POLICE" "$T/body.txt" "$LO_ODT"
sleep 1
once 2024-07-09T10:00
settle
check_return police "$FIX/police-full.json" || fail "the LibreOffice ODT was not read faithfully"
[ "$(db "SELECT group_concat(version || ':' || source || ':' || superseded, ' ') FROM (SELECT version, source, superseded FROM returns t JOIN requests r ON r.id = t.request_id WHERE r.agency = 'police' ORDER BY version)")" = "1:docx:1 2:odt:0" ] ||
    fail "versions not kept: $(db "SELECT version, source, superseded FROM returns")"

step "csc's own Word layout and education's typed Outlook reply read to the same fields"
"$FORMFILL" ownlayout "$FIX/csc-answers.json" "$T/csc-own.docx" || fail "ownlayout failed"
reply "$CSC" "$T/body.txt" "$T/csc-own.docx"
# Outlook: the answers typed above the quoted request, with its header block.
{
	"$FORMFILL" typed "$FIX/csc-answers.json" "$REF"
	printf '\n________________________________\nFrom: Northshire SCP Rapid Reviews <%s>\nSent: 08 July 2024 09:00\nTo: %s\nSubject: OFFICIAL-SENSITIVE [%s] Information request\n\nDear colleague,\n\nA Serious Incident Notification has been made.\n' \
	    "$PARTNERSHIP" "$EDU" "$REF"
} >"$T/edu-typed.txt"
reply "$EDU" "$T/edu-typed.txt"
sleep 1
once 2024-07-10T09:00
settle
check_return csc "$FIX/csc-answers.json" || fail "csc's own layout was not read"
check_return education "$FIX/csc-answers.json" || fail "the typed reply was not read"
python3 - "$T/ret-csc.json" "$T/ret-education.json" <<'PY' || fail "the two returns differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
skip = {"source", "attachment_sha256", "received_at", "version", "warnings", "versions", "superseded"}
# Dates as written differ (14/02/2021 typed as 2021-02-14); as read, not.
for r in a["chronology"] + b["chronology"]:
    r.pop("date_text")
diff = [k for k in a if k not in skip and a[k] != b.get(k)]
assert not diff, {k: (a[k], b.get(k)) for k in diff}
PY

step "the same chronology as UTF-8-BOM CSV and as Windows-1252 semicolon CSV"
"$FORMFILL" csv "$FIX/csc-answers.json" "$T/chron-utf8.csv" utf8bom || fail "csv failed"
"$FORMFILL" csv "$FIX/csc-answers.json" "$T/chron-1252.csv" cp1252 || fail "csv failed"
head -c 3 "$T/chron-utf8.csv" | od -An -tx1 | grep -q 'ef bb bf' || fail "no BOM"
grep -q ';' "$T/chron-1252.csv" || fail "not semicolon separated"
"$FORMFILL" typed "$FIX/csc-answers-norows.json" "$REF" >"$T/typed-norows.txt"
reply "$CSC" "$T/typed-norows.txt" "$T/chron-utf8.csv"
sleep 1
once 2024-07-10T10:00
reply "$CSC" "$T/typed-norows.txt" "$T/chron-1252.csv"
sleep 1
once 2024-07-10T11:00
settle
rows_of() {
	db "SELECT h.date || '|' || coalesce(h.time, '') || '|' || coalesce(h.contact_type, '') || '|' || coalesce(h.seen, '') || '|' || coalesce(h.event, '') || '|' || coalesce(h.outcome, '') FROM chronology h JOIN returns t ON t.id = h.return_id JOIN requests r ON r.id = t.request_id WHERE r.agency = 'csc' AND t.version = $1 ORDER BY h.position"
}
# The typed answers are the return; the CSV attached to each gave its rows.
[ "$(db "SELECT group_concat(source || ':' || (attachment_sha256 IS NOT NULL), ' ') FROM (SELECT source, attachment_sha256 FROM returns t JOIN requests r ON r.id = t.request_id WHERE r.agency = 'csc' ORDER BY version)")" = "docx:1 text:1 text:1" ] ||
    fail "the CSV returns were not stored: $(db "SELECT version, source FROM returns t JOIN requests r ON r.id = t.request_id WHERE r.agency = 'csc'")"
[ -n "$(rows_of 2)" ] || fail "no rows from the UTF-8 CSV"
[ "$(rows_of 2)" = "$(rows_of 3)" ] || { rows_of 2; rows_of 3; fail "the two CSVs gave different rows"; }
rows_of 2 | grep -q 'Zoë' || fail "accents lost from the CSV"
check_return csc "$FIX/csc-answers.json" rows || fail "CSV rows differ from the answers"

step "the same answers in an HTML-only reply (as Outlook sends it) are read the same"
python3 - "$T/edu-typed.txt" "$T/edu.html" <<'PY'
import html, sys
text = open(sys.argv[1], encoding="utf-8").read()
body = "".join(f"<p class=MsoNormal>{html.escape(l) or '&nbsp;'}</p>\n" for l in text.splitlines())
open(sys.argv[2], "w", encoding="utf-8").write(
    f"<html><head><meta charset=utf-8></head><body><div class=WordSection1>\n{body}</div></body></html>\n")
PY
reply "$EDU" "$T/edu-typed.txt" --html "$T/edu.html"
sleep 1
once 2024-07-10T12:00
settle
[ "$(db "SELECT version || ':' || source FROM returns t JOIN requests r ON r.id = t.request_id WHERE r.agency = 'education' AND superseded = 0")" = "2:text" ] ||
    fail "the HTML-only reply was not read as a new version"
check_return education "$FIX/csc-answers.json" || fail "the HTML-only reply was not read faithfully"

step "health's incomplete return gets a query naming exactly what is missing"
"$FORMFILL" typed "$FIX/health-incomplete.json" "$REF" >"$T/health1.txt"
reply "$HEALTH" "$T/health1.txt"
sleep 1
once 2024-07-11T09:00
settle
[ "$(db "SELECT state FROM requests WHERE agency = 'health'")" = draft ] || fail "health not a draft"
[ "$(db "SELECT replace(missing, char(10), '; ') FROM returns t JOIN requests r ON r.id = t.request_id WHERE r.agency = 'health'")" = \
    "Chronology; Quality of practice; Impact of practice on outcomes for the child; LCSPR criteria met" ] ||
    fail "the draft does not record what is missing: $(db "SELECT missing FROM returns t JOIN requests r ON r.id = t.request_id WHERE r.agency = 'health'")"
dump "$HEALTH" | python3 -c '
import json, sys
q = [m for m in json.load(sys.stdin) if "Missing:" in m["body"]]
assert len(q) == 1, len(q)
missing = sorted(l.split("Missing:")[1].strip() for l in q[0]["body"].splitlines() if "Missing:" in l)
want = sorted(["Chronology", "Quality of practice", "Impact of practice on outcomes for the child", "LCSPR criteria met"])
assert missing == want, missing
' || fail "the query does not name exactly the missing fields"
"$FORMFILL" typed "$FIX/health-complete.json" "$REF" >"$T/health2.txt"
reply "$HEALTH" "$T/health2.txt"
sleep 1
once 2024-07-11T10:00
settle
[ "$(db "SELECT state FROM requests WHERE agency = 'health'")" = returned ] || fail "health not returned"
[ "$(db "SELECT group_concat(complete || ':' || superseded, ' ') FROM (SELECT complete, superseded FROM returns t JOIN requests r ON r.id = t.request_id WHERE r.agency = 'health' ORDER BY version)")" = "0:1 1:0" ] ||
    fail "health versions wrong"
dump "$HEALTH" | grep -q "Answers read" || fail "health got no receipt"

step "hostile documents are refused with a clear reply; the daemon runs on, memory bounded"
"$FORMFILL" hostile "$T/hostile" || fail "formfill hostile failed"
ls "$T/hostile"
ini_set "$T/rr.ini" mailbox poll_seconds 5
edu_in() { db "SELECT count(*) FROM messages WHERE direction = 'in' AND agency = 'education'"; }
edu_before=$(edu_in)
"$RRD" -c "$T/rr.ini" --now 2024-07-11T11:00 >"$T/daemon-run.log" 2>&1 &
DAEMON_PID=$!
wait_for "logged in to" "$T/daemon-run.log" 20 || fail "the daemon did not start"
for f in zipbomb.docx xxe.docx macro.docm entries100k.docx encrypted.docx; do
	reply "$EDU" "$T/body.txt" "$T/hostile/$f"
done
# Every document of the shared corpus, attached to one reply.
CORPUS=$RR_SRC/../shared/corpus/docs
reply "$EDU" "$T/body.txt" $(ls "$CORPUS"/docx/* "$CORPUS"/odt/* | head -40)
# Six replies: five hostile documents and the corpus (slow under ASan on
# a busy machine: up to three minutes).
for i in $(seq 1 900); do
	[ "$(edu_in)" -ge $((edu_before + 6)) ] && break
	sleep 0.2
done
[ "$(edu_in)" -ge $((edu_before + 6)) ] || fail "the daemon did not take all six replies"
sleep 2
kill -0 "$DAEMON_PID" || fail "the daemon died on hostile input"
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$DAEMON_PID/status")
echo "daemon peak RSS: $((hwm / 1024)) MiB"
# AddressSanitizer's shadow memory and quarantine triple a process's RSS.
limit=256
case $BUILD in *san*) limit=768 ;; esac
[ "$hwm" -lt $((limit * 1024)) ] || fail "memory not bounded: peak ${hwm} kB (limit $limit MiB)"
daemon_stop || true
once 2024-07-11T11:05	# sends whatever the stop left in the outbox
settle
dump "$EDU" >"$T/edu.json"
python3 - "$T/edu.json" <<'PY' || fail "refusals not as expected"
import json, sys
msgs = json.load(open(sys.argv[1]))
refused = [m for m in msgs if "could not accept the attachment" in m["body"]]
names = {}
for m in refused:
    for line in m["body"].splitlines():
        if "could not accept the attachment" in line:
            names[line.split('"')[1]] = m["body"]
for f, why in (("zipbomb.docx", "expand"), ("xxe.docx", "DOCTYPE"),
               ("macro.docm", "macro"), ("entries100k.docx", "files"),
               ("encrypted.docx", "password")):
    assert f in names, (f, list(names))
    assert why.lower() in names[f].lower(), (f, names[f])
for f in ("poi__SimpleMacro.docm", "poi__encrypted_password_is_pass.docx",
          "poi__xxe_external_entity.docx", "odfpy__aes_encrypted.odt"):
    assert f in names, (f, list(names))
PY
[ "$(db "SELECT count(*) FROM returns t JOIN requests r ON r.id = t.request_id WHERE r.agency = 'education' AND t.attachment_sha256 IS NOT NULL")" = 0 ] ||
    fail "a refused or foreign document was stored as education's return"
[ "$(db "SELECT count(*) FROM audit_log WHERE action = 'return.refused'")" -ge 9 ] ||
    fail "refusals not audited"

step "an NHSmail [secure] notice alerts the business manager"
tok=$(token_of "$HEALTH")
printf 'From: %s\r\nTo: %s\r\nSubject: [secure] RE: [%s] Information request\r\nMessage-ID: <secure.%s@nhs.net>\r\n\r\nYou have received an encrypted email from NHSmail.\r\nClick here to read it: https://portal.nhs.net/read?id=1\r\n' \
    "$HEALTH" "$tok" "$REF" "$$" >"$T/secure.eml"
send_mail "$HEALTH" "$tok" "$T/secure.eml"
sleep 1
once 2024-07-12T09:00
settle
[ "$(db "SELECT count(*) FROM alerts WHERE kind = 'secure-notice'")" = 1 ] || fail "no secure-notice alert"
dump "$MANAGER" | grep -q "secure mail portal" || fail "the business manager was not told"
[ "$(db "SELECT state FROM requests WHERE agency = 'health'")" = returned ] || fail "the notice changed the request"

step "every agency has returned: returns_complete; the merged chronology"
[ "$(db "SELECT state FROM cases")" = returns_complete ] ||
    fail "case is $(db "SELECT state FROM cases"); requests: $(db "SELECT agency, state FROM requests")"
ctl chronology "$REF" --csv >"$T/chron.csv" || fail "chronology --csv failed"
python3 - "$T/chron.csv" <<'PY' || fail "merged chronology wrong"
import csv, io, sys
data = open(sys.argv[1], encoding="utf-8-sig").read()
rows = list(csv.DictReader(io.StringIO(data)))
assert rows and "agency" in rows[0], rows[:1]
agencies = {r["agency"] for r in rows}
assert {"Northshire Police", "Northshire Children's Social Care",
        "Northshire Education Safeguarding", "Northshire ICB"} <= agencies, agencies
dated = [(r["date"], r["time"]) for r in rows if r["date"][:1].isdigit()]
assert dated == sorted(dated), dated
PY
ctl --json chronology "$REF" | python3 -c 'import json,sys; a=json.load(sys.stdin); assert len(a) > 10, len(a)' ||
    fail "chronology --json wrong"
cat "$T/daemon-run.log" >>"$T/daemon.log"
grep -q "Zoë" "$T/daemon.log" && fail "personal data in the daemon's log"
pass
