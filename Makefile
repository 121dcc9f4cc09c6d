# hbtrace - see README.md.  Everything is built into build/.
#
#   make            CLI (build/hbtrace), runtime (build/libhbtrace.so), tools
#   make test       install missing Debian packages (as root), build, test
#   make demo       record a bundled buggy example and print its report
#   make bench      side-by-side benchmarks (tests/bench), see docs/performance.md
#   make install    PREFIX=/usr/local

VERSION := 0.1.0
PREFIX ?= /usr/local
CC ?= cc
B := build

WARN := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes
CFLAGS ?= -O2 -g
BASE_CFLAGS := -std=gnu11 $(WARN) -fPIC -D_GNU_SOURCE -DHBT_VERSION_STRING='"$(VERSION)"' -Ilib
DEPFLAGS = -MMD -MP

# lib/: the core, linked into the CLI; the runtime takes only what it needs.
LIB_SRC := $(sort $(wildcard lib/*.c) $(wildcard lib/*/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
# lib files the in-process runtime may use (no libdw, no stdio-heavy code).
RT_LIB_SRC := lib/hbt_codec.c
RT_SRC := $(filter-out instrument/stub/%,$(sort $(wildcard instrument/*.c) $(wildcard instrument/*/*.c)))
RT_OBJ := $(RT_SRC:%.c=$(B)/obj/%.o) $(RT_LIB_SRC:%.c=$(B)/obj/rt/%.o)
CMD_SRC := $(sort $(wildcard cmd/*.c))
CMD_OBJ := $(CMD_SRC:%.c=$(B)/obj/%.o)

CLI_LIBS := -ldw -lelf -lm -lpthread
RT_LIBS := -lunwind -ldl -lpthread

.PHONY: all test unit e2e demo bench install clean deps format fuzz check-deps
all: $(B)/hbtrace $(B)/libhbtrace.so $(B)/libhbt.a $(B)/libhbtrace-tsan.so $(B)/tsan-ld/libtsan.so

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

# The runtime's copy of lib/ code: hidden visibility, no profiling hooks.
$(B)/obj/rt/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -fvisibility=hidden $(DEPFLAGS) -c $< -o $@

$(B)/obj/instrument/%.o: instrument/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -fno-omit-frame-pointer -ftls-model=initial-exec $(DEPFLAGS) -c $< -o $@

$(B)/libhbt.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/hbtrace: $(CMD_OBJ) $(B)/libhbt.a
	$(CC) $(CFLAGS) -o $@ $(CMD_OBJ) $(B)/libhbt.a $(CLI_LIBS)

$(B)/libhbtrace.so: $(RT_OBJ)
	$(CC) $(CFLAGS) -shared -Wl,-z,nodelete -Wl,--no-undefined -o $@ $(RT_OBJ) $(RT_LIBS)

# hbtrace cc: the no-op __tsan_* runtime that instrumented binaries link
# against, and a libtsan.so linker script sending gcc's -ltsan to it.
$(B)/libhbtrace-tsan.so: instrument/stub/tsan_stub.c instrument/tsan_abi.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -shared -Wl,-soname,libhbtrace-tsan.so -o $@ $<

$(B)/tsan-ld/libtsan.so:
	@mkdir -p $(dir $@)
	echo 'INPUT(-lhbtrace-tsan)' >$@

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

# ---- tests ---------------------------------------------------------------
include tests/tests.mk

deps:
	@tests/install-deps.sh

test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) e2e

demo: all
	@tests/demo.sh

bench: all
	@tests/bench/run.sh

# libFuzzer harnesses (clang); FUZZ_SECONDS per harness, default 60.
fuzz: all
	@tests/fuzz/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/hbtrace $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(B)/hbtrace $(DESTDIR)$(PREFIX)/bin/hbtrace
	install -m 644 $(B)/libhbtrace.so $(DESTDIR)$(PREFIX)/lib/hbtrace/libhbtrace.so
	install -m 644 $(B)/libhbtrace-tsan.so $(DESTDIR)$(PREFIX)/lib/hbtrace/libhbtrace-tsan.so
	install -D -m 644 $(B)/tsan-ld/libtsan.so $(DESTDIR)$(PREFIX)/lib/hbtrace/tsan-ld/libtsan.so
	install -m 644 docs/hbtrace.1 $(DESTDIR)$(PREFIX)/share/man/man1/hbtrace.1

# instrument/py_boot.c is generated from py_boot.py: not formatted.
format:
	clang-format -i $(LIB_SRC) $(filter-out instrument/py_boot.c,$(RT_SRC)) $(CMD_SRC) \
		$(wildcard lib/*.h lib/analysis/*.h instrument/*.h cmd/*.h)

clean:
	rm -rf $(B)
