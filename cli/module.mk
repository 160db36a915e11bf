# cli/module.mk - unit tests of CLI modules.
#
# tests/cli/test_<noun>.c tests cli/<noun>.c, which is not in libregit.a
# (only the regit binary links cli/), so link that one object in as well.
# More specific than the generic tests/% rule, so make prefers it.
$(BUILD)/tests/cli/test_%: $(BUILD)/obj/tests/cli/test_%.o $(BUILD)/obj/cli/%.o $(TEST_SUPPORT_OBJS) $(LIBREGIT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/obj/cli/$*.o $(TEST_SUPPORT_OBJS) $(LIBREGIT) $(LIBS) $(CMOCKA_LIBS)

# test_snapshot reads a registry through the client: both objects.
$(BUILD)/tests/cli/test_snapshot: $(BUILD)/obj/tests/cli/test_snapshot.o $(BUILD)/obj/cli/snapshot.o $(BUILD)/obj/cli/client.o $(TEST_SUPPORT_OBJS) $(LIBREGIT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/obj/cli/snapshot.o $(BUILD)/obj/cli/client.o $(TEST_SUPPORT_OBJS) $(LIBREGIT) $(LIBS) $(CMOCKA_LIBS)
