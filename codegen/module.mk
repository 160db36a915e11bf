# codegen/module.mk - generated code the benchmarks link (see bench/README.md).
#
# bench/bench_codegen.c compares `regit gen` output with Avro-C; its
# generated sources are produced here from schemas/ by the built regit.

CODEGEN_BENCH_DIR := $(BUILD)/gen/bench
CODEGEN_BENCH_NAMES := user_created payment_received telemetry_batch
CODEGEN_BENCH_SRCS := $(CODEGEN_BENCH_NAMES:%=$(CODEGEN_BENCH_DIR)/%.c)
CODEGEN_BENCH_OBJS := $(CODEGEN_BENCH_NAMES:%=$(CODEGEN_BENCH_DIR)/%.o)

$(CODEGEN_BENCH_DIR)/user_created.c: schemas/user.created.avsc $(REGIT)
$(CODEGEN_BENCH_DIR)/payment_received.c: schemas/payment.received.avsc $(REGIT)
$(CODEGEN_BENCH_DIR)/telemetry_batch.c: schemas/telemetry.batch.avsc $(REGIT)
$(CODEGEN_BENCH_SRCS):
	@mkdir -p $(dir $@)
	$(REGIT) gen -o $(dir $@) $< >/dev/null

$(CODEGEN_BENCH_DIR)/%.o: $(CODEGEN_BENCH_DIR)/%.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/obj/bench/bench_codegen.o: $(CODEGEN_BENCH_SRCS)
$(BUILD)/obj/bench/bench_codegen.o: CFLAGS += -I$(CODEGEN_BENCH_DIR)
$(BUILD)/bench/bench_codegen: $(CODEGEN_BENCH_OBJS)
# It measures against Avro-C, which only such programs link (Makefile).
$(BUILD)/bench/bench_codegen: private BENCH_LIBS += $(AVRO_LIBS)
