/*
 * ui_assets.h - the web UI's files (ui/), built into the binary.
 *
 * The table is generated at build time by scripts/embed-ui from the files
 * under ui/ (ui/module.mk), so `regit serve` needs nothing on disk and
 * never asks another host for anything. server/api_ui.c serves them
 * under /ui/.
 */
#ifndef REGIT_UI_ASSETS_H
#define REGIT_UI_ASSETS_H

#include <stddef.h>

typedef struct regit_ui_asset {
	const char *name;            /* file name under /ui/, e.g. "app.js" */
	const char *content_type;    /* static */
	const unsigned char *data;   /* the bytes (followed by a NUL) */
	size_t len;
	const char *etag;            /* quoted strong ETag: a content hash */
} regit_ui_asset;

extern const regit_ui_asset regit_ui_assets[];
extern const size_t regit_ui_nassets;

#endif
