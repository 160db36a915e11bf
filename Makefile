# regit - schema registry and compatibility checker for Avro events.
#
#   make            build build/regit (and build/libregit.a)
#   make run        install deps if missing, build, serve on ./data/registry.git
#   make test       install deps if missing, build, run every test
#   make test SANITIZE=1   the same under AddressSanitizer + UBSan (build-san/)
#   make test-tsan  the unit tests under ThreadSanitizer (build-tsan/)
#   make fuzz       libFuzzer targets with clang (build-fuzz/)
#   make fuzz-smoke every libFuzzer target for FUZZ_SECONDS (CI: 10 s each)
#   make bench      benchmarks
#   make valgrind   the unit tests under valgrind
#   make lint       banned-function check
#   make analyze    static analysis (cppcheck) of the product sources; clean
#   make cycles     no dependency cycle between source files, folder layering
#   make mutate     known past bugs (tests/mutants.list) must each fail a test
#   make install PREFIX=/usr/local DESTDIR=   (and make uninstall)
#   make man, make completion   build/man/*.1, build/completion/ from the option tables
#
# User CFLAGS/LDFLAGS are honoured; project flags are added around them.
# Sources are found by folder: util/ compat/ store/ registry/ server/ codegen/ make the
# library (plus the web UI's files from ui/, embedded by ui/module.mk), cli/ the binary, tests/<dir>/test_*.c one cmocka binary each.
# A folder may add rules in its own module.mk.

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
SANITIZE ?=

ifeq ($(SANITIZE),1)
BUILD ?= build-san
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else ifeq ($(SANITIZE),thread)
BUILD ?= build-tsan
SAN_FLAGS = -fsanitize=thread -fno-omit-frame-pointer
else
BUILD ?= build
SAN_FLAGS =
endif

DEPS_PC = libmicrohttpd gnutls libgit2 jansson libcrypto libcurl yaml-0.1
PKG_CFLAGS := $(shell pkg-config --cflags $(DEPS_PC) cmocka 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(DEPS_PC) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)
# Avro-C is the reference some tests and benchmarks compare with; no product
# source uses it, so only those programs link it (their folder's module.mk:
# `$(BUILD)/tests/x/test_y: private TEST_LIBS += $(AVRO_LIBS)`). Its own
# lookup, as pkg-config prints nothing at all when one package is missing.
AVRO_CFLAGS := $(shell pkg-config --cflags avro-c 2>/dev/null)
AVRO_LIBS := $(shell pkg-config --libs avro-c 2>/dev/null)
TEST_LIBS ?=

STD = -std=c11 -D_GNU_SOURCE
WARN = -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-missing-field-initializers
OPT ?= -O2 -g
CFLAGS ?=
LDFLAGS ?=
ALL_CFLAGS = $(STD) $(WARN) $(OPT) $(SAN_FLAGS) -I. $(PKG_CFLAGS) $(AVRO_CFLAGS) -MMD -MP $(CFLAGS)
ALL_LDFLAGS = $(SAN_FLAGS) $(LDFLAGS)
LIBS = $(PKG_LIBS) -lcrypt -lpthread -lm

LIB_SRCS := $(sort $(wildcard util/*.c compat/*.c store/*.c registry/*.c server/*.c codegen/*.c))
CLI_SRCS := $(sort $(wildcard cli/*.c))
TEST_SRCS := $(sort $(wildcard tests/*/test_*.c))
TEST_SUPPORT_SRCS := $(sort $(wildcard tests/support/*.c))
FUZZ_SRCS := $(sort $(wildcard fuzz/*_fuzzer.c))

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_SUPPORT_OBJS := $(TEST_SUPPORT_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_BINS := $(TEST_SRCS:%.c=$(BUILD)/%)
# Fuzz targets replayed over their corpora by a plain driver, so gcc builds
# (and sanitizer builds) exercise them in `make test`.
FUZZ_REPLAY_BINS := $(FUZZ_SRCS:fuzz/%_fuzzer.c=$(BUILD)/fuzz/%_replay)

LIBREGIT := $(BUILD)/libregit.a
REGIT := $(BUILD)/regit

.SECONDARY:
.PHONY: all deps test-deps run test test-tsan fuzz fuzz-smoke bench valgrind lint analyze cycles deb \
	mutate install uninstall clean check-build
all: $(REGIT)

deps:
	@scripts/install-deps

test-deps:
	@scripts/install-deps --test

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIBREGIT): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(REGIT): $(CLI_OBJS) $(LIBREGIT)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJS) $(LIBREGIT) $(LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(TEST_SUPPORT_OBJS) $(LIBREGIT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_SUPPORT_OBJS) $(LIBREGIT) $(LIBS) $(CMOCKA_LIBS) $(TEST_LIBS)

$(BUILD)/fuzz/%_replay: $(BUILD)/obj/fuzz/%_fuzzer.o $(BUILD)/obj/fuzz/standalone_driver.o $(LIBREGIT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/obj/fuzz/standalone_driver.o $(LIBREGIT) $(LIBS)

check-build: $(REGIT) $(TEST_BINS) $(FUZZ_REPLAY_BINS)

# Install first (a separate make so the pkg-config lookups above see the
# freshly installed libraries), then build and run everything.
test: test-deps
	@$(MAKE) --no-print-directory check-build
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) tests/run

# The threaded code (the HTTP server, the registry's readers and writers,
# the store's merger) under ThreadSanitizer: the cmocka unit tests only, as
# the integration scripts' timeouts do not allow its slowdown.
test-tsan: test-deps
	@$(MAKE) --no-print-directory SANITIZE=thread $(TEST_BINS:$(BUILD)/%=build-tsan/%)
	@BUILD=build-tsan SANITIZE=thread UNIT_ONLY=1 tests/run

# Mutation check: each bug in tests/mutants.list, applied to a copy of the
# tree under /tmp, must make its tests fail (scripts/mutate).
mutate: test-deps
	@$(MAKE) --no-print-directory check-build
	@BUILD=$(BUILD) scripts/mutate

run: deps
	@$(MAKE) --no-print-directory $(REGIT)
	@mkdir -p data
	$(REGIT) serve --store data/registry.git $(ARGS)

valgrind: test-deps
	@$(MAKE) --no-print-directory check-build
	@BUILD=$(BUILD) VALGRIND=1 tests/run

# libFuzzer builds need clang: the library's sources are compiled once into
# build-fuzz/libregit.a (-fsanitize=fuzzer-no-link), and each
# fuzz/*_fuzzer.c is linked against it (fuzz/module.mk has the rules).
FUZZ_BUILD = build-fuzz
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS = $(STD) $(WARN) -O1 -g -I. $(PKG_CFLAGS) $(FUZZ_SAN)
FUZZ_BINS := $(FUZZ_SRCS:fuzz/%_fuzzer.c=$(FUZZ_BUILD)/%)
FUZZ_SECONDS ?= 10
fuzz:
	@scripts/install-deps --fuzz
	@$(MAKE) --no-print-directory fuzz-codegen
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@echo "run e.g.: fuzz/run schema 600"

# Every target for FUZZ_SECONDS (default 10) from its corpus: any crash,
# leak or timeout fails (fuzz/run keeps the repository corpus read-only).
fuzz-smoke: fuzz
	@set -e; for b in $(FUZZ_BINS); do \
		n=$$(basename $$b); \
		FUZZ_DIR=$(CURDIR)/$(FUZZ_BUILD)/smoke-$$n fuzz/run $$n $(FUZZ_SECONDS) >$(FUZZ_BUILD)/smoke-$$n.log 2>&1; \
		if ls $(FUZZ_BUILD)/smoke-$$n/artifacts/* >/dev/null 2>&1; then \
			cat $(FUZZ_BUILD)/smoke-$$n.log; echo "fuzz-smoke: $$n FAILED"; exit 1; \
		fi; \
		echo "fuzz-smoke: $$n ok ($$(grep -Eo '^#[0-9]+' $(FUZZ_BUILD)/smoke-$$n.log | tail -1 | tr -d '#') runs)"; \
	done

bench: test-deps
	@scripts/install-deps --bench
	@$(MAKE) --no-print-directory check-build
	@BUILD=$(BUILD) bench/run

# Banned functions, in code (comment lines, which may say "gets (", are not).
lint:
	@! grep -nE '\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|gets)\s*\(' \
		$(LIB_SRCS) $(CLI_SRCS) | grep -vE '^[^:]+:[0-9]+:\s*(/?\*|//)' \
		|| { echo "lint: banned function"; exit 1; }
	@echo "lint: ok"

# Static analysis of the product sources with cppcheck's bug-finding
# checks (errors, warnings, portability, performance; style is left out as
# noise). It must be clean: fix a finding, or if it is a false positive
# suppress it next to the code with a reason
#     /* why this is fine */
#     /* cppcheck-suppress ID */
# and only where a file cannot carry the comment, in scripts/cppcheck.supp.
ANALYZE_DIRS = util compat store registry server codegen cli
CPPCHECK_FLAGS = --std=c11 --platform=unix64 --library=posix -D_GNU_SOURCE -I. \
	--enable=warning,portability,performance --inline-suppr \
	--suppressions-list=scripts/cppcheck.supp --error-exitcode=1 --quiet \
	--template='{file}:{line}: {severity}: [{id}] {message}'
analyze:
	@command -v cppcheck >/dev/null 2>&1 || \
		{ echo "analyze: cppcheck missing (scripts/install-deps --test)"; exit 1; }
	@cppcheck -j2 $(CPPCHECK_FLAGS) $(ANALYZE_DIRS)
	@echo "analyze: ok"

# No two source files depend on each other (from `nm` of the objects),
# and each folder uses only the ones below it: scripts/cycles. Known
# cycles being removed are listed in tests/cycles.allowed.
cycles: $(LIB_OBJS) $(CLI_OBJS)
	@scripts/cycles $(BUILD)

# make install PREFIX=/usr/local DESTDIR=: the binary, the man pages and
# completion scripts generated from the option tables (cli/module.mk), the
# runtime header of `regit gen`'s code, and the systemd unit (ExecStart set
# to this PREFIX's binary). `make uninstall` (same PREFIX and DESTDIR)
# removes exactly these files. tests/integration/install.sh checks both.
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
INCLUDEDIR ?= $(PREFIX)/include
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
install: $(REGIT) man completion
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 755 $(REGIT) $(DESTDIR)$(BINDIR)/regit
	install -m 644 $(MAN_DIR)/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(COMPLETION_DIR)/regit.bash $(DESTDIR)$(BASHCOMPDIR)/regit
	install -m 644 $(COMPLETION_DIR)/_regit $(DESTDIR)$(ZSHCOMPDIR)/_regit
	install -m 644 codegen/regit_avro.h $(DESTDIR)$(INCLUDEDIR)/regit_avro.h
	sed 's|/usr/local/bin/regit|$(BINDIR)/regit|' contrib/regit.service \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/regit.service
	chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/regit.service

# make deb: $(BUILD)/regit_<version>_<arch>.deb built with Debian's own
# tools (dpkg-deb, dpkg-shlibdeps from dpkg-dev): the files of `make install
# PREFIX=/usr`, Debian-style (scripts/make-deb). tests/integration/deb.sh
# builds, inspects, extracts and lints it.
DEB_MAINTAINER ?= regit maintainers <maintainers@regit.invalid>
deb: $(REGIT) man completion
	@SANITIZE='$(SANITIZE)' scripts/make-deb $(BUILD) $(REGIT_VERSION_NUMBER) '$(DEB_MAINTAINER)'

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/regit $(DESTDIR)$(MANDIR)/man1/regit.1 \
		$(DESTDIR)$(MANDIR)/man1/regit-*.1 $(DESTDIR)$(BASHCOMPDIR)/regit \
		$(DESTDIR)$(ZSHCOMPDIR)/_regit $(DESTDIR)$(INCLUDEDIR)/regit_avro.h \
		$(DESTDIR)$(SYSTEMDUNITDIR)/regit.service

clean:
	rm -rf build build-san build-tsan build-fuzz

-include $(wildcard */module.mk tests/*/module.mk)
-include $(shell find $(BUILD) $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
