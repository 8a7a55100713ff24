# rapidreviewd - plain Makefile. See README.md.
#
#   make            build both programs into $(BUILD)/
#   make check      install missing Debian packages, build, run every test
#   make demo       start loopback mail servers and the daemon on a sample case
#   make install    PREFIX=/usr/local DESTDIR=
#   WERROR=1        warnings are errors
#   SANITIZE=1      AddressSanitizer + UndefinedBehaviorSanitizer (builds in build-san/)

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
SBINDIR	?= $(PREFIX)/sbin
DATADIR	?= $(PREFIX)/share/rapidreviewd
SYSCONFDIR ?= /etc
UNITDIR	?= /lib/systemd/system

CC	?= cc
PKGS	= libetpan sqlite3 gnutls json-c libxml-2.0 libcurl zlib libical \
	  cairo-pdf pangocairo fontconfig
VERSION	= 0.1.0

ifeq ($(SANITIZE),1)
BUILD	?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined
else
BUILD	?= build
SANFLAGS =
endif

WARNINGS = -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes \
	   -Wstrict-prototypes -Wpointer-arith -Wcast-qual -Wwrite-strings \
	   -Wno-unused-parameter -Wno-format-nonliteral
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libetpan's .pc carries a no-PIE specs file that clashes with sanitizers.
PKG_LIBS := $(filter-out -specs=%,$(shell pkg-config --libs $(PKGS) 2>/dev/null))

CPPFLAGS += -Iinclude -I/usr/include/iniparser -D_GNU_SOURCE \
	    -DRR_VERSION='"$(VERSION)"' -DRR_DATADIR='"$(DATADIR)"'
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 $(WARNINGS) $(SANFLAGS) $(PKG_CFLAGS) -MMD -MP
LDFLAGS	+= $(SANFLAGS)
LDLIBS	+= $(PKG_LIBS) -liniparser

# The core both programs link: everything but the two front doors.
CORE_SRCS = \
	daemon/agencyreturn.c \
	daemon/alert.c \
	daemon/calendar.c \
	daemon/cases.c \
	daemon/chronology.c \
	daemon/classify.c \
	daemon/commands.c \
	daemon/compose.c \
	daemon/config.c \
	daemon/csv.c \
	daemon/date.c \
	daemon/db.c \
	daemon/docx.c \
	daemon/formxml.c \
	daemon/engine.c \
	daemon/graph.c \
	daemon/graphsend.c \
	daemon/graphsrc.c \
	daemon/html.c \
	daemon/ics.c \
	daemon/imap.c \
	daemon/imapsrc.c \
	daemon/log.c \
	daemon/maildir.c \
	daemon/mailer.c \
	daemon/mailnames.c \
	daemon/meeting.c \
	daemon/mime.c \
	daemon/notify.c \
	daemon/oauth.c \
	daemon/odt.c \
	daemon/outbox.c \
	daemon/pack.c \
	daemon/purge.c \
	daemon/quote.c \
	daemon/requests.c \
	daemon/returnform.c \
	daemon/returns.c \
	daemon/schedule.c \
	daemon/schema.c \
	daemon/secret.c \
	daemon/sendmail.c \
	daemon/sin.c \
	daemon/smtp.c \
	daemon/store.c \
	daemon/template.c \
	daemon/text.c \
	daemon/textform.c \
	daemon/tls.c \
	daemon/tnef.c \
	daemon/token.c \
	daemon/utf8.c \
	daemon/xmalloc.c \
	daemon/zip.c

DAEMON_SRCS = daemon/main.c daemon/loop.c
CTL_SRCS = daemon/ctl.c daemon/inspect.c daemon/oauthtest.c daemon/report.c

UNIT_TESTS = \
	test_agencyreturn \
	test_calendar \
	test_classify \
	test_compose \
	test_config \
	test_csv \
	test_date \
	test_docx \
	test_graph \
	test_ics \
	test_mailnames \
	test_mime \
	test_oauth \
	test_outbox \
	test_pack \
	test_purge \
	test_returnform \
	test_schedule \
	test_sin \
	test_store \
	test_template \
	test_textform \
	test_token \
	test_zip

CORE_OBJS   = $(CORE_SRCS:%.c=$(BUILD)/%.o)
DAEMON_OBJS = $(DAEMON_SRCS:%.c=$(BUILD)/%.o)
CTL_OBJS    = $(CTL_SRCS:%.c=$(BUILD)/%.o)
TEST_BINS   = $(UNIT_TESTS:%=$(BUILD)/tests/%) $(BUILD)/tests/imapcheck \
	      $(BUILD)/tests/outboxctl $(BUILD)/tests/packbench

# The Word return form every request carries, built from its XML sources.
FORM_DOCX = templates/forms/agency-return.docx
FORM_SRCS = $(wildcard forms/agency-return/*.xml forms/agency-return/_rels/.rels \
	forms/agency-return/*/*.xml forms/agency-return/*/_rels/*.rels)

all: $(BUILD)/rapidreviewd $(BUILD)/rapidreviewctl $(FORM_DOCX)

$(FORM_DOCX): scripts/build-form $(FORM_SRCS)
	@mkdir -p $(dir $@)
	python3 scripts/build-form forms/agency-return $@

# The default data path is compiled in: rebuild what uses it when it changes.
$(BUILD)/.datadir: FORCE
	@mkdir -p $(BUILD)
	@echo '$(DATADIR)' | cmp -s - $@ 2>/dev/null || echo '$(DATADIR)' > $@
$(BUILD)/daemon/config.o $(BUILD)/daemon/ctl.o: $(BUILD)/.datadir
FORCE:

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/rapidreviewd: $(DAEMON_OBJS) $(CORE_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/rapidreviewctl: $(CTL_OBJS) $(CORE_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests link the core with cmocka; each is one table-driven binary.
$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(CORE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# A small IMAP client over the daemon's own imap.c and tls.c, for tests.
$(BUILD)/tests/imapcheck: $(BUILD)/tests/tools/imapcheck.o $(CORE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Queue and flush the outbox from the command line, for the SMTP tests.
$(BUILD)/tests/outboxctl: $(BUILD)/tests/tools/outboxctl.o $(CORE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Time the meeting pack on a generated case (bench/pack.sh).
$(BUILD)/tests/packbench: $(BUILD)/tests/tools/packbench.o $(CORE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tests: all $(TEST_BINS)

# libFuzzer targets over the parsers: tests/fuzz/fuzz_NAME.c, linked with the
# whole core built by clang with coverage instrumentation.
FUZZ_CC	?= clang
FUZZ_BUILD = build-fuzz
FUZZ_TARGETS = fuzz_mime fuzz_sin fuzz_csv fuzz_textform fuzz_docx fuzz_odt \
	       fuzz_oauth
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS = -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
	      -fno-omit-frame-pointer $(PKG_CFLAGS)

$(FUZZ_BUILD)/%: tests/fuzz/%.c tests/fuzz/fuzz_config.h tests/fuzz/fuzz_forms.h \
    $(CORE_SRCS)
	@mkdir -p $(FUZZ_BUILD)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(LDLIBS)

fuzz: deps $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)

fuzz-run: fuzz
	sh tests/run-fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

deps:
	@sh scripts/install-deps

check: deps
	$(MAKE) tests
	sh tests/run-tests $(BUILD)

demo: deps
	$(MAKE) all
	bash scripts/demo $(BUILD)

demo-stop:
	bash scripts/demo stop

# Man pages, units and data; the man pages name DATADIR as installed.
install uninstall: MANDIR ?= $(PREFIX)/share/man
install uninstall: UNITS = rapidreviewd.service rapidreviewd@.service
install uninstall: MANPAGES = man/rapidreviewctl.1 man/rapidreviewd.ini.5 \
	man/rapidreviewd.8

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(DATADIR)/templates $(DESTDIR)$(DATADIR)/examples \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BUILD)/rapidreviewd $(DESTDIR)$(SBINDIR)/rapidreviewd
	install -m 0755 $(BUILD)/rapidreviewctl $(DESTDIR)$(BINDIR)/rapidreviewctl
	install -m 0644 config/bank-holidays.json $(DESTDIR)$(DATADIR)/bank-holidays.json
	@# The example's relative paths point into the source tree: make them
	@# the installed ones, so that it passes --check-config where it lies.
	sed -e 's#^\(holidays_file *= *\)[^ ;]*#\1$(DATADIR)/bank-holidays.json#' \
	    -e 's#^\(directory *= *\)[^ ;]*#\1$(DATADIR)/templates#' \
	    config/rapidreviewd.ini.example \
	    > $(DESTDIR)$(DATADIR)/examples/rapidreviewd.ini.example
	chmod 0644 $(DESTDIR)$(DATADIR)/examples/rapidreviewd.ini.example
	@# Templates: whatever templates/ holds, folders included.
	if [ -d templates ]; then \
	    for d in $$(cd templates && find . -mindepth 1 -type d); do \
	        install -d $(DESTDIR)$(DATADIR)/templates/$$d || exit 1; \
	    done; \
	    for f in $$(cd templates && find . -type f); do \
	        install -m 0644 templates/$$f \
	            $(DESTDIR)$(DATADIR)/templates/$$f || exit 1; \
	    done; \
	fi
	for u in $(UNITS); do \
	    sed 's#@SBINDIR@#$(SBINDIR)#g' systemd/$$u \
	        > $(DESTDIR)$(UNITDIR)/$$u && \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	for m in $(MANPAGES); do \
	    s=$${m##*.}; \
	    sed 's#/usr/share/rapidreviewd#$(DATADIR)#g' $$m \
	        > $(DESTDIR)$(MANDIR)/man$$s/$${m##*/} && \
	    chmod 0644 $(DESTDIR)$(MANDIR)/man$$s/$${m##*/} || exit 1; \
	done

# Removes what install put there, and the folders it made under DATADIR
# when they are left empty.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/rapidreviewd $(DESTDIR)$(BINDIR)/rapidreviewctl \
	    $(DESTDIR)$(DATADIR)/bank-holidays.json \
	    $(DESTDIR)$(DATADIR)/examples/rapidreviewd.ini.example \
	    $(UNITS:%=$(DESTDIR)$(UNITDIR)/%)
	for m in $(MANPAGES); do \
	    rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; \
	done
	if [ -d templates ]; then \
	    for f in $$(cd templates && find . -type f); do \
	        rm -f $(DESTDIR)$(DATADIR)/templates/$$f; \
	    done; \
	    for d in $$(cd templates && find . -mindepth 1 -type d | sort -r); do \
	        rmdir $(DESTDIR)$(DATADIR)/templates/$$d 2>/dev/null || :; \
	    done; \
	fi
	for d in templates examples; do \
	    rmdir $(DESTDIR)$(DATADIR)/$$d 2>/dev/null || :; \
	done
	rmdir $(DESTDIR)$(DATADIR) 2>/dev/null || :

clean:
	rm -rf build build-san build-fuzz $(FORM_DOCX)

.PHONY: all tests deps check demo demo-stop install uninstall clean fuzz FORCE \
	fuzz-run

-include $(wildcard $(BUILD)/daemon/*.d $(BUILD)/tests/*/*.d)
.SECONDARY:
