/*
 * layout.h - where registry state lives in the store's tree, and how
 * subject names become directory names.
 *
 * The tree (documented for people in registry/README.md):
 *
 *   regit.json                       {"format": 1, "next_id": N}
 *   config.json, mode.json           global config / mode (absent = default)
 *   subjects/<enc>/v<N>.avsc         version N, pretty-printed
 *   subjects/<enc>/v<N>.json         version N's metadata (id, deleted, ...)
 *   subjects/<enc>/config.json       subject config
 *   subjects/<enc>/mode.json         subject mode
 *
 * <enc> is the subject name percent-encoded: bytes in [A-Za-z0-9_.-] are
 * kept, every other byte becomes %XX (upper-case hex), and a leading '.' is
 * encoded too, so no name can be ".", "..", ".git", empty, or contain '/',
 * NUL or control characters. The encoding is a bijection: decoding accepts
 * only the canonical form (upper-case hex, no needless escapes), so two
 * directory names never decode to the same subject.
 */
#ifndef REGIT_LAYOUT_H
#define REGIT_LAYOUT_H

#include <stddef.h>

#include "util/buf.h"

/* File systems cap a path component at 255 bytes; so do we. */
#define REGIT_LAYOUT_MAX_COMPONENT 255

/**
 * Whether a subject name is acceptable (Confluent's rule plus ours): not
 * empty, valid UTF-8, no ISO control character (U+0000-U+001F,
 * U+007F-U+009F), not "__GLOBAL" or "__EMPTY", and its encoding fits one
 * path component.
 * @param why  receives a static reason when invalid (may be NULL)
 * @return 1 when valid, 0 otherwise
 */
int regit_layout_subject_valid(const char *subject, size_t len, const char **why);

/**
 * Append the encoded form of subject to out.
 * @return 0, REGIT_EINVALID (empty, or longer than a path component
 *         once encoded), REGIT_ENOMEM, REGIT_ELIMIT
 */
int regit_layout_subject_encode(regit_buf *out, const char *subject, size_t len);

/**
 * Append the subject a directory name encodes to out.
 * @return 0, REGIT_EINVALID (not a canonical encoding), REGIT_ENOMEM
 */
int regit_layout_subject_decode(regit_buf *out, const char *enc, size_t len);

#endif
