/*
 * producer.c - write user.created events as Confluent frames to stdout.
 *
 * Each record on the stream is a 4-byte big-endian length followed by one
 * Confluent frame (magic 0, schema id, Avro payload), the way a Kafka
 * producer would hand value bytes to librdkafka. The partition key comes
 * from the schema's "regit.key" (user_id).
 *
 *   ./producer [COUNT] | ./consumer
 */
#include <stdio.h>
#include <stdlib.h>

#include "user_created.h"

/* The registry id of schemas/user.created.avsc (see the Makefile). */
#define USER_CREATED_ID 2u

int main(int argc, char **argv)
{
	static const char *const sources[] = { "web", "ios", "partner:acme" };
	unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 10) : 5;
	uint8_t frame[4096];
	char uid[64], eid[64], mail[64];
	unsigned long i;

	for (i = 0; i < count; i++) {
		user_created ev = { 0 };
		const uint8_t *key;
		size_t n, keylen;
		uint8_t scratch[REGIT_AVRO_KEY_SCRATCH], len[4];
		int rc;

		snprintf(eid, sizeof(eid), "6c1f2a4e-0000-4000-8000-%012lu", i);
		snprintf(uid, sizeof(uid), "9d2b7c10-0000-4000-8000-%012lu", i % 3);
		snprintf(mail, sizeof(mail), "user%lu@example.com", i);
		ev.event_id = regit_avro_cstr(eid);
		ev.correlation_id = regit_avro_cstr("signup-flow");
		ev.schema_version = 2;
		ev.timestamp = 1732600000000 + (int64_t)i;
		ev.user_id = regit_avro_cstr(uid);
		ev.email = regit_avro_cstr(mail);
		ev.name = regit_avro_cstr("Ada");
		ev.locale = regit_avro_cstr("en");
		ev.has_plan = i % 2 == 0;
		ev.plan = PLAN_PRO;
		ev.has_source = true;
		ev.source = regit_avro_cstr(sources[i % 3]);

		rc = user_created_encode_frame(&ev, USER_CREATED_ID, frame, sizeof(frame), &n);
		if (rc != 0) {
			fprintf(stderr, "producer: %s (needs %zu bytes)\n", regit_avro_strerror(rc), n);
			return 1;
		}
		user_created_partition_key(&ev, &key, &keylen, scratch);
		fprintf(stderr, "producer: event %lu, %zu bytes, key %.*s\n", i, n, (int)keylen,
			(const char *)key);
		len[0] = (uint8_t)(n >> 24);
		len[1] = (uint8_t)(n >> 16);
		len[2] = (uint8_t)(n >> 8);
		len[3] = (uint8_t)n;
		if (fwrite(len, 1, 4, stdout) != 4 || fwrite(frame, 1, n, stdout) != n)
			return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
