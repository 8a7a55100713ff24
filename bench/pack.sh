#!/bin/bash
# pack.sh [RUNS] - how long the meeting pack takes to build: a case of five
# agency returns, 200 chronology rows, a 2,000-word answer and a chronology
# row taller than a page (tests/tools/packbench.c), in a temporary
# database; pack_build is timed over RUNS runs (20 by default) and the
# first (cold: fonts loaded) run, minimum, median and maximum are printed
# in milliseconds, with the PDF's size and page count.
#
# A benchmark, not a test: make check does not run it. From the source
# tree:
#   bash bench/pack.sh                  # 20 runs
#   BUILD=build-san SANITIZE=1 bash bench/pack.sh 5
#   PDF=/tmp/pack.pdf bash bench/pack.sh     # keep the PDF
#   PNG=/tmp/packpng bash bench/pack.sh      # and its first pages as PNG
# The target is a pack in well under a second; expect about 0.1 s.
set -eu

RUNS=${1:-20}
RR_SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}

case $RUNS in
'' | *[!0-9]*) echo "usage: pack.sh [RUNS]" >&2; exit 2 ;;
esac
cd "$RR_SRC"
make -s BUILD="$BUILD" "$BUILD/tests/packbench" ||
    { echo "pack: cannot build $BUILD/tests/packbench" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/rr-bench-pack.XXXXXX")
trap 'rm -rf "$T"' EXIT
"$BUILD/tests/packbench" -n "$RUNS" -o "$T/pack.pdf" 2>/dev/null
if [ -n "${PDF:-}" ]; then
	cp "$T/pack.pdf" "$PDF"
	echo "pack: PDF in $PDF"
fi
if [ -n "${PNG:-}" ]; then
	command -v pdftoppm >/dev/null ||
	    { echo "pack: pdftoppm (poppler-utils) is needed for PNG" >&2;
	      exit 1; }
	mkdir -p "$PNG"
	pdftoppm -r 60 -png -f 1 -l 6 "$T/pack.pdf" "$PNG/p"
	echo "pack: pages 1 to 6 in $PNG"
fi
