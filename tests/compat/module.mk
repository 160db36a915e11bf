# tests/compat/module.mk - extra link inputs of the compat unit tests.
#
# test_schema compares our canonical JSON with Avro-C's for every schema
# it can parse, so it (alone in this folder) links Avro-C.

$(BUILD)/tests/compat/test_schema: private TEST_LIBS += $(AVRO_LIBS)
