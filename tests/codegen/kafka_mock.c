/*
 * kafka_mock.c - an in-process librdkafka mock cluster for the Kafka examples.
 *
 * Built and run by tests/integration/examples_kafka.sh: starts a one-broker
 * mock cluster (librdkafka's rdkafka_mock.h: real sockets on 127.0.0.1, no
 * Kafka installation needed), creates TOPIC with PARTITIONS partitions,
 * prints the bootstrap servers on stdout and serves until SIGTERM/SIGINT, so
 * examples/kafka_producer and examples/kafka_consumer run unchanged against
 * it.
 *
 *   kafka_mock TOPIC PARTITIONS
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile sig_atomic_t running = 1;

static void on_signal(int sig)
{
	(void)sig;
	running = 0;
}

int main(int argc, char **argv)
{
	char errstr[512];
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mc;
	struct timespec tick = { 0, 100 * 1000 * 1000 };

	if (argc != 3) {
		fprintf(stderr, "usage: kafka_mock TOPIC PARTITIONS\n");
		return 2;
	}
	conf = rd_kafka_conf_new();
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "kafka_mock: %s\n", errstr);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, 1);
	if (!mc || rd_kafka_mock_topic_create(mc, argv[1], (int)strtol(argv[2], NULL, 10), 1) != 0) {
		fprintf(stderr, "kafka_mock: cannot create the mock cluster\n");
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);
	while (running)
		nanosleep(&tick, NULL);
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
