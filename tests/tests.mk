# Included by the top Makefile.  Conventions:
#  - tests/unit/*.c: Criterion tests, linked together into one binary
#    against build/libhbt.a;
#  - testdata/c/*.c: sample programs, built into $(B)/testdata/ with -g -O1
#    -pthread (a line "// build: FLAGS" in a file adds flags);
#  - tests/e2e/*.sh: end-to-end tests, each run with B, HBTRACE and
#    TESTDATA_BIN set; a script prints its cases and exits non-zero on failure.

UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
UNIT_BIN := $(B)/tests/unit-tests
TESTDATA_SRC := $(sort $(wildcard testdata/c/*.c))
TESTDATA_BIN := $(TESTDATA_SRC:testdata/c/%.c=$(B)/testdata/%)
E2E_TESTS := $(sort $(wildcard tests/e2e/*.sh))

$(UNIT_BIN): $(UNIT_SRC) $(B)/libhbt.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -Itests/unit -o $@ $(UNIT_SRC) $(B)/libhbt.a -lcriterion $(CLI_LIBS)

$(B)/testdata/%: testdata/c/%.c
	@mkdir -p $(dir $@)
	$(CC) -g -O1 -pthread -fno-omit-frame-pointer $(shell sed -n 's|^// build: ||p' $<) -o $@ $<

testdata: $(TESTDATA_BIN)

unit: $(UNIT_BIN)
	$(UNIT_BIN) --jobs 2

e2e: all $(TESTDATA_BIN)
	@rm -f $(B)/e2e-results; fail=0; for t in $(E2E_TESTS); do \
		echo "== $$t"; start=$$(date +%s); \
		B=$(B) HBTRACE=$(CURDIR)/$(B)/hbtrace TESTDATA_BIN=$(CURDIR)/$(B)/testdata \
			E2E_RESULTS=$(CURDIR)/$(B)/e2e-results bash $$t || fail=1; \
		echo "== $$t: $$(( $$(date +%s) - start )) s"; \
	done; touch $(B)/e2e-results; \
	echo "e2e: $$(grep -c '^pass' $(B)/e2e-results) passed, $$(grep -c '^fail' $(B)/e2e-results) failed"; \
	exit $$fail

.PHONY: testdata
