/*
 * kafka_producer.c - produce user.created events to Kafka with librdkafka,
 * as Confluent frames written by the generated code.
 *
 * The value of each message is a Confluent frame (magic 0, the schema's
 * registry id, the Avro payload from user_created_encode_frame), so any
 * Confluent-compatible consumer or deserializer reads it; the key is the
 * schema's partition key (its "regit.key" field, user_id), so every event
 * of one user lands on the same partition, in order.
 *
 *   ./kafka_producer BROKERS TOPIC [COUNT] [SCHEMA_ID]
 *   e.g. ./kafka_producer localhost:9092 user.created 10 2
 *
 * SCHEMA_ID is the id the registry gave schemas/user.created.avsc, e.g.
 * from `regit register --subject user.created-value
 * schemas/user.created.avsc` (default 2, as in the Makefile's pipe demo).
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>

#include "user_created.h"

/* Delivery reports: librdkafka calls this from rd_kafka_poll/flush. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	unsigned long *failed = opaque;

	(void)rk;
	if (m->err) {
		fprintf(stderr, "kafka_producer: delivery failed: %s\n", rd_kafka_err2str(m->err));
		(*failed)++;
	}
}

int main(int argc, char **argv)
{
	static const char *const sources[] = { "web", "ios", "partner:acme" };
	unsigned long count, i, failed = 0;
	uint32_t schema_id;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	char errstr[512];
	uint8_t frame[4096];
	char uid[64], eid[64], mail[64];

	if (argc < 3) {
		fprintf(stderr, "usage: kafka_producer BROKERS TOPIC [COUNT] [SCHEMA_ID]\n");
		return 2;
	}
	count = argc > 3 ? strtoul(argv[3], NULL, 10) : 5;
	schema_id = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 10) : 2u;

	conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], errstr, sizeof(errstr)) !=
	    RD_KAFKA_CONF_OK) {
		fprintf(stderr, "kafka_producer: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
		return 1;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_opaque(conf, &failed);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "kafka_producer: %s\n", errstr);
		return 1;
	}

	for (i = 0; i < count; i++) {
		user_created ev = { 0 };
		uint8_t scratch[REGIT_AVRO_KEY_SCRATCH];
		const uint8_t *key;
		size_t n, keylen;
		rd_kafka_resp_err_t err;
		rd_kafka_vu_t vus[4];
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

		rc = user_created_encode_frame(&ev, schema_id, frame, sizeof(frame), &n);
		if (rc == 0)
			rc = user_created_partition_key(&ev, &key, &keylen, scratch);
		if (rc != 0) {
			fprintf(stderr, "kafka_producer: %s\n", regit_avro_strerror(rc));
			break;
		}
		/*
		 * rd_kafka_produceva rather than the RD_KAFKA_V_* macros of
		 * rd_kafka_producev, which use GNU statement expressions and so
		 * do not compile with -pedantic -Werror under clang.
		 * RD_KAFKA_MSG_F_COPY: frame and key are reused for the next event.
		 */
		vus[0].vtype = RD_KAFKA_VTYPE_TOPIC;
		vus[0].u.cstr = argv[2];
		vus[1].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
		vus[1].u.i = RD_KAFKA_MSG_F_COPY;
		vus[2].vtype = RD_KAFKA_VTYPE_KEY;
		vus[2].u.mem.ptr = (void *)key;
		vus[2].u.mem.size = keylen;
		vus[3].vtype = RD_KAFKA_VTYPE_VALUE;
		vus[3].u.mem.ptr = frame;
		vus[3].u.mem.size = n;
		for (;;) {
			rd_kafka_error_t *error = rd_kafka_produceva(rk, vus, 4);

			err = error ? rd_kafka_error_code(error) : RD_KAFKA_RESP_ERR_NO_ERROR;
			if (error && err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
				fprintf(stderr, "kafka_producer: %s\n", rd_kafka_error_string(error));
			if (error)
				rd_kafka_error_destroy(error);
			if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
				break;
			rd_kafka_poll(rk, 100);   /* wait for deliveries to make room */
		}
		if (err)
			failed++;
		rd_kafka_poll(rk, 0);
	}
	if (rd_kafka_flush(rk, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		fprintf(stderr, "kafka_producer: %d messages not delivered\n", rd_kafka_outq_len(rk));
		failed++;
	}
	rd_kafka_destroy(rk);
	fprintf(stderr, "kafka_producer: %lu sent, %lu failed\n", i, failed);
	return failed ? 1 : 0;
}
