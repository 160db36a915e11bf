# bench/module.mk - build rules for benchmarks (included by the top Makefile).
#
# Every bench/bench_<name>.c is one program linked against libregit.a:
# $(BUILD)/bench/bench_<name>. A benchmark that needs more objects or
# libraries adds them in its own folder's module.mk, e.g.
#
#   $(BUILD)/bench/bench_codegen: $(BUILD)/obj/bench/gen/user_created.o
#   BENCH_LIBS += -lz
#
# Extra .o prerequisites are linked in automatically. `bench/run` builds
# the target `bench-build` and runs the results; see bench/README.md.

BENCH_SRCS := $(sort $(wildcard bench/bench_*.c))
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
BENCH_LIBS ?=

.PHONY: bench-build
bench-build: $(BENCH_BINS)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(LIBREGIT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIBREGIT) $(LIBS) $(BENCH_LIBS)

# bench/registry_wrk.sh's baseline: a bare libmicrohttpd server (not a
# benchmark program itself, so it is not named bench_*).
bench-build: $(BUILD)/bench/trivial_server
$(BUILD)/bench/trivial_server: $(BUILD)/obj/bench/trivial_server.o $(LIBREGIT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBREGIT) $(LIBS)
