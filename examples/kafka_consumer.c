/*
 * kafka_consumer.c - consume user.created events from Kafka with librdkafka
 * and decode them, whichever registered schema version wrote them.
 *
 * The decoder is generated with every version of the subject compiled in:
 *
 *   regit gen -o gen/consumer --registry URL --subject user.created-value
 *
 * (or from files, as the Makefile does: --reader user.created.avsc:2
 * --writer user.created.v1.avsc:1). The frame's schema id picks the
 * decoder; an id the consumer was not built for is reported and skipped,
 * never misread.
 *
 *   ./kafka_consumer BROKERS GROUP TOPIC [MAX]
 *   e.g. ./kafka_consumer localhost:9092 demo user.created 10
 *
 * Stops after MAX events (default: run until Ctrl-C).
 */
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "user_created.h"

static volatile sig_atomic_t running = 1;

static void on_signal(int sig)
{
	(void)sig;
	running = 0;
}

int main(int argc, char **argv)
{
	static uint8_t arena_mem[1 << 16];
	regit_avro_arena arena;
	rd_kafka_topic_partition_list_t *topics;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_resp_err_t err;
	char errstr[512];
	unsigned long max, ok = 0, bad = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: kafka_consumer BROKERS GROUP TOPIC [MAX]\n");
		return 2;
	}
	max = argc > 4 ? strtoul(argv[4], NULL, 10) : 0;
	conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(conf, "group.id", argv[2], errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", errstr, sizeof(errstr))) {
		fprintf(stderr, "kafka_consumer: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
		return 1;
	}
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "kafka_consumer: %s\n", errstr);
		return 1;
	}
	rd_kafka_poll_set_consumer(rk);
	topics = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(topics, argv[3], RD_KAFKA_PARTITION_UA);
	err = rd_kafka_subscribe(rk, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	if (err) {
		fprintf(stderr, "kafka_consumer: subscribe: %s\n", rd_kafka_err2str(err));
		rd_kafka_destroy(rk);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	/* One arena for all messages: reset per message, never a malloc per field. */
	regit_avro_arena_init(&arena, arena_mem, sizeof(arena_mem));
	while (running && (max == 0 || ok + bad < max)) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
		user_created ev;
		uint32_t id = 0;
		int rc;

		if (!m)
			continue;
		if (m->err) {
			if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				fprintf(stderr, "kafka_consumer: %s\n", rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			continue;
		}
		regit_avro_arena_reset(&arena);
		/* Strings in ev point into m->payload: use them before destroying m. */
		rc = user_created_decode_frame(&ev, m->payload, m->len, &id, &arena);
		if (rc != 0) {
			fprintf(stderr, "kafka_consumer: offset %lld, schema id %lu: %s\n",
				(long long)m->offset, (unsigned long)id, regit_avro_strerror(rc));
			bad++;
		} else {
			printf("id=%lu partition=%d user=%.*s email=%.*s plan=%s source=%.*s\n",
				(unsigned long)id, (int)m->partition,
				(int)ev.user_id.len, ev.user_id.ptr, (int)ev.email.len, ev.email.ptr,
				ev.has_plan ? plan_symbol(ev.plan) : "-",
				ev.has_source ? (int)ev.source.len : 1,
				ev.has_source ? ev.source.ptr : "-");
			ok++;
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	fprintf(stderr, "kafka_consumer: %lu decoded, %lu rejected\n", ok, bad);
	return 0;
}
