#!/bin/bash
# install.sh - "make install" and "make uninstall" into scratch roots:
# every file in its place with its mode, the installed example INI passing
# --check-config, the man pages linting clean, both systemd units verifying
# and rating 2.0 or lower in "systemd-analyze security", and uninstall
# leaving nothing of ours behind.
#
# Env: RR_SRC (the source tree), BUILD (the build folder, default
# $RR_SRC/build). Install is run with BUILD=$BUILD so that it installs those
# binaries. Under "make check" the outer make's MAKEFLAGS (SANITIZE=1,
# WERROR=1) reach the inner make too; when running this by hand against
# build-san, export SANITIZE=1 as well, or a stale object would be rebuilt
# there without the sanitizers.
# Needs: make, mandoc, groff (groff-base), man-db, systemd-analyze.
TEST=install
. "$(dirname "$0")/../lib/testlib.sh"

BUILD=$(cd "$BUILD" && pwd)
MAX_EXPOSURE=2.0

for tool in make mandoc groff man systemd-analyze; do
	command -v "$tool" >/dev/null 2>&1 ||
	    fail "$tool is missing (scripts/install-deps installs it)"
done
[ -x "$BUILD/rapidreviewd" ] && [ -x "$BUILD/rapidreviewctl" ] ||
    fail "no binaries in $BUILD: build first"

ROOT=$T/root			# DESTDIR
DATA=/usr/share/rapidreviewd	# DATADIR for PREFIX=/usr
UNITS="rapidreviewd.service rapidreviewd@.service"
MANS="man1/rapidreviewctl.1 man5/rapidreviewd.ini.5 man8/rapidreviewd.8"

mk() {
	make --no-print-directory -C "$RR_SRC" BUILD="$BUILD" "$@" \
	    >"$T/make.log" 2>&1 || { cat "$T/make.log"; fail "make $*"; }
}

# mode FILE OCTAL
mode() {
	[ -f "$1" ] || fail "not installed: ${1#"$ROOT"}"
	local m
	m=$(stat -c %a "$1")
	[ "$m" = "$2" ] || fail "${1#"$ROOT"}: mode $m, expected $2"
}

step "make install DESTDIR=\$T/root PREFIX=/usr"
mk install DESTDIR="$ROOT" PREFIX=/usr

step "every file in its place, with its mode, and nothing else"
expected=$T/expected
{
	echo "/usr/sbin/rapidreviewd"
	echo "/usr/bin/rapidreviewctl"
	for u in $UNITS; do echo "/lib/systemd/system/$u"; done
	echo "$DATA/bank-holidays.json"
	echo "$DATA/examples/rapidreviewd.ini.example"
	if [ -d "$RR_SRC/templates" ]; then
		(cd "$RR_SRC/templates" && find . -type f) |
		    sed "s#^\./#$DATA/templates/#"
	fi
	for m in $MANS; do echo "/usr/share/man/$m"; done
} | sort >"$expected"
(cd "$ROOT" && find . -type f -o -type l) | sed 's#^\.##' | sort >"$T/got"
diff -u "$expected" "$T/got" || fail "the installed files are not the expected ones"

mode "$ROOT/usr/sbin/rapidreviewd" 755
mode "$ROOT/usr/bin/rapidreviewctl" 755
cmp -s "$BUILD/rapidreviewd" "$ROOT/usr/sbin/rapidreviewd" ||
    fail "the installed rapidreviewd is not $BUILD/rapidreviewd"
cmp -s "$BUILD/rapidreviewctl" "$ROOT/usr/bin/rapidreviewctl" ||
    fail "the installed rapidreviewctl is not $BUILD/rapidreviewctl"
for u in $UNITS; do
	mode "$ROOT/lib/systemd/system/$u" 644
	grep -q '@SBINDIR@' "$ROOT/lib/systemd/system/$u" &&
	    fail "$u: @SBINDIR@ not substituted"
	grep -q '^ExecStart=/usr/sbin/rapidreviewd ' \
	    "$ROOT/lib/systemd/system/$u" || fail "$u: ExecStart is not /usr/sbin"
done
mode "$ROOT$DATA/bank-holidays.json" 644
cmp -s "$RR_SRC/config/bank-holidays.json" "$ROOT$DATA/bank-holidays.json" ||
    fail "bank-holidays.json differs from config/"
mode "$ROOT$DATA/examples/rapidreviewd.ini.example" 644
[ "$(stat -c %a "$ROOT$DATA/templates")" = 755 ] ||
    fail "$DATA/templates is not mode 755"
if [ -d "$RR_SRC/templates" ]; then
	while read -r f; do
		mode "$ROOT$DATA/templates/$f" 644
		cmp -s "$RR_SRC/templates/$f" "$ROOT$DATA/templates/$f" ||
		    fail "templates/$f differs"
	done < <(cd "$RR_SRC/templates" && find . -type f | sed 's#^\./##')
fi
for m in $MANS; do
	mode "$ROOT/usr/share/man/$m" 644
done

step "the example INI names the installed data, and passes --check-config"
ex=$ROOT$DATA/examples/rapidreviewd.ini.example
grep -q "^holidays_file = $DATA/bank-holidays.json " "$ex" ||
    fail "holidays_file is not $DATA/bank-holidays.json"
grep -q "^directory = $DATA/templates " "$ex" ||
    fail "[templates] directory is not $DATA/templates"
# Under DESTDIR the data is not at $DATA yet: point a copy at the staged
# folder for the check (the real-prefix install below checks it as is).
sed "s#= $DATA/#= $ROOT$DATA/#" "$ex" >"$T/staged.ini"
"$ROOT/usr/sbin/rapidreviewd" --check-config -c "$T/staged.ini" \
    >"$T/out" 2>&1 || { cat "$T/out"; fail "--check-config on the installed example"; }

step "the man pages: mandoc -Tlint and groff, no warnings"
for m in $MANS; do
	page=$ROOT/usr/share/man/$m
	# Style notes are allowed only for cross-references to pages that
	# mandoc's own database does not list (ours are not installed).
	mandoc -Tlint -Wstyle "$page" 2>&1 | grep -v 'mandoc.db' |
	    grep -v 'STYLE: referenced manual not found' >"$T/lint" || :
	[ -s "$T/lint" ] && { cat "$T/lint"; fail "mandoc -Tlint $m"; }
	rc=0
	mandoc -Tlint -Wwarning "$page" >"$T/lint" 2>&1 || rc=$?
	[ "$rc" = 0 ] || { cat "$T/lint"; fail "mandoc -Tlint $m: exit $rc"; }
	groff -z -mdoc -wall "$page" >"$T/lint" 2>&1 ||
	    { cat "$T/lint"; fail "groff $m failed"; }
	[ -s "$T/lint" ] && { cat "$T/lint"; fail "groff warns on $m"; }
	grep -q '@[A-Z]*@' "$page" && fail "$m: a placeholder was left"
done

step "systemd-analyze verify both units (with their man pages)"
units=$T/units
mkdir -p "$units"
for u in $UNITS; do
	# The binary is staged, not in /usr/sbin: point ExecStart at it.
	sed "s#^ExecStart=/usr/sbin/#ExecStart=$ROOT/usr/sbin/#" \
	    "$ROOT/lib/systemd/system/$u" >"$units/$u"
done
ln -s rapidreviewd@.service "$units/rapidreviewd@northshire.service"
for u in rapidreviewd.service rapidreviewd@northshire.service; do
	rc=0
	MANPATH=$ROOT/usr/share/man: systemd-analyze verify "$units/$u" \
	    >"$T/verify" 2>&1 || rc=$?
	[ "$rc" = 0 ] && [ ! -s "$T/verify" ] ||
	    { cat "$T/verify"; fail "systemd-analyze verify $u (exit $rc)"; }
done

step "systemd-analyze security --offline=true: $MAX_EXPOSURE or lower"
for u in rapidreviewd.service rapidreviewd@northshire.service; do
	systemd-analyze security --offline=true "$units/$u" >"$T/security" 2>&1 ||
	    { cat "$T/security"; fail "systemd-analyze security $u failed"; }
	score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' \
	    "$T/security")
	[ -n "$score" ] || { cat "$T/security"; fail "$u: no exposure level"; }
	echo "install: $u: exposure $score"
	awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }' ||
	    { grep '✗' "$T/security"; fail "$u: exposure $score > $MAX_EXPOSURE"; }
done

step "make uninstall DESTDIR=\$T/root PREFIX=/usr leaves nothing of ours"
mk uninstall DESTDIR="$ROOT" PREFIX=/usr
left=$(cd "$ROOT" && find . \( -type f -o -type l -o -name '*rapidreview*' \))
[ -z "$left" ] || { echo "$left"; fail "uninstall left files behind"; }

step "install into a real prefix: the example passes --check-config as is"
P=$T/prefix
mk install PREFIX="$P/usr" UNITDIR="$P/lib/systemd/system"
"$P/usr/sbin/rapidreviewd" --check-config \
    -c "$P/usr/share/rapidreviewd/examples/rapidreviewd.ini.example" \
    >"$T/out" 2>&1 || { cat "$T/out"; fail "--check-config from the installed place"; }
grep -q "configuration OK" "$T/out" || fail "no OK line"
mk uninstall PREFIX="$P/usr" UNITDIR="$P/lib/systemd/system"
left=$(cd "$P" && find . \( -type f -o -type l -o -name '*rapidreview*' \))
[ -z "$left" ] || { echo "$left"; fail "uninstall left files behind in the prefix"; }

pass
