/*
 * md5.h - MD5 (RFC 1321) of a byte string.
 *
 * Not for security: the registry uses it where Confluent does, to derive a
 * stable content identifier (the schema GUID of confluent-api §2) from a
 * schema's identity (its text and references, as in §4.1).
 */
#ifndef REGIT_MD5_H
#define REGIT_MD5_H

#include <stddef.h>

/** MD5 of len bytes at data, 16 bytes into out. @return 0 or REGIT_ERROR. */
int regit_md5(unsigned char out[16], const void *data, size_t len);

#endif
