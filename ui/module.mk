# ui/module.mk - the web UI's files built into libregit.a.
#
# scripts/embed-ui turns ui/*.{html,css,js} into $(BUILD)/gen/ui_assets.c
# (server/ui_assets.h), compiled and archived with the library.
UI_ASSETS := $(sort $(wildcard ui/*.html ui/*.css ui/*.js))
UI_ASSETS_OBJ := $(BUILD)/obj/gen/ui_assets.o

$(BUILD)/gen/ui_assets.c: $(UI_ASSETS) scripts/embed-ui
	@mkdir -p $(dir $@)
	scripts/embed-ui $@ $(UI_ASSETS)

$(UI_ASSETS_OBJ): $(BUILD)/gen/ui_assets.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIBREGIT): $(UI_ASSETS_OBJ)
