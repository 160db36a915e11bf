/*
 * produce.c - Confluent frames written by the code `regit gen` generates,
 * for tests/integration/decode.sh.
 *
 * Built against user_created.h/.c generated from schemas/user.created.avsc
 * (version 2) or, with -DV1, from schemas/versions/user.created.v1.avsc.
 * usage: produce ID COUNT DIR. Writes COUNT events framed with schema id ID,
 * each as DIR/msg-N.bin and as one hex line on stdout (what a consumer's
 * log or `kcat -f '%s\n'` piped through xxd shows).
 */
#include <stdio.h>
#include <stdlib.h>

#include "user_created.h"

int main(int argc, char **argv)
{
	uint8_t frame[4096];
	char eid[64], path[4096];
	unsigned long id, count, i;
	size_t n, k;

	if (argc != 4)
		return 2;
	id = strtoul(argv[1], NULL, 10);
	count = strtoul(argv[2], NULL, 10);
	for (i = 0; i < count; i++) {
		user_created ev = { 0 };
		FILE *f;

		snprintf(eid, sizeof(eid), "6c1f2a4e-0000-4000-8000-%012lu", i);
		ev.event_id = regit_avro_cstr(eid);
		ev.correlation_id = regit_avro_cstr("corr-42");
		ev.timestamp = 1732600000000 + (int64_t)i;
		ev.user_id = regit_avro_cstr("9d2b7c10-0000-4000-8000-000000000001");
		ev.email = regit_avro_cstr("ada@example.com");
		ev.name = regit_avro_cstr("Ada \xc3\xa9");
		ev.locale = regit_avro_cstr("de-CH");
#ifdef V1
		ev.schema_version = 1;
#else
		ev.schema_version = 2;
		ev.has_plan = i % 2 == 0;
		ev.plan = PLAN_TEAM;
		ev.has_source = true;
		ev.source = regit_avro_cstr("web");
#endif
		if (user_created_encode_frame(&ev, (uint32_t)id, frame, sizeof(frame), &n) != 0)
			return 1;
		snprintf(path, sizeof(path), "%s/msg-%lu.bin", argv[3], i);
		f = fopen(path, "wb");
		if (!f || fwrite(frame, 1, n, f) != n || fclose(f) != 0)
			return 1;
		for (k = 0; k < n; k++)
			printf("%02x", frame[k]);
		printf("\n");
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
