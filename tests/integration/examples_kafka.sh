#!/usr/bin/env bash
# examples_kafka.sh - examples/kafka_producer.c and kafka_consumer.c, with
# the generated code and the Confluent frame, against a librdkafka mock
# cluster (tests/codegen/kafka_mock.c: in-process brokers on 127.0.0.1, no
# Kafka needed).
#
# Generates the code the way examples/Makefile does (producer: the current
# user.created as id 2; consumer: reader id 2 plus version 1 as writer id 1),
# compiles both examples warning-free with -pedantic under gcc and clang,
# produces 6 events keyed by the schema's partition key plus one framed with
# an id the consumer was not built for, and consumes them: 6 decode, the
# unknown id is rejected, and every user's events share one partition.
# One visible skip when librdkafka-dev is not installed (scripts/install-deps
# --test installs it). Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."

BUILD_DIR=${REGIT_BUILD:-$PWD/build}
REGIT=${REGIT_BIN:-$BUILD_DIR/regit}
OUT=$BUILD_DIR/examples-kafka
PEDANTIC="-std=c11 -Wall -Wextra -Werror -pedantic"
SAN=""
if [ "${SANITIZE:-}" = 1 ]; then
	SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
fi
CCMD=${CC:-cc}
MOCK_PID=

cleanup() {
	if [ -n "$MOCK_PID" ]; then
		kill "$MOCK_PID" 2>/dev/null
		wait "$MOCK_PID" 2>/dev/null
	fi
}
trap cleanup EXIT

n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }

if ! pkg-config --exists rdkafka 2>/dev/null; then
	echo "ok 1 - examples/kafka_*.c against a librdkafka mock cluster # skip librdkafka-dev not installed (scripts/install-deps --test)"
	exit 0
fi
RDK_CFLAGS=$(pkg-config --cflags rdkafka)
RDK_LIBS=$(pkg-config --libs rdkafka)
rm -rf "$OUT"
mkdir -p "$OUT/gen/producer" "$OUT/gen/consumer"

if ! "$REGIT" gen -o "$OUT/gen/producer" schemas/user.created.avsc:2 >/dev/null 2>"$OUT/gen.err" ||
   ! "$REGIT" gen -o "$OUT/gen/consumer" --reader schemas/user.created.avsc:2 \
	--writer schemas/versions/user.created.v1.avsc:1 >/dev/null 2>>"$OUT/gen.err"; then
	notok "regit gen for the examples"
	sed 's/^/# /' "$OUT/gen.err"
	exit 1
fi

# build CC SIDE EXTRA_FLAGS...: OUT/kafka_SIDE.CC
build() {
	local cc=$1 side=$2
	shift 2
	local tag=${cc##*/}
	$cc $PEDANTIC "$@" $RDK_CFLAGS -I"$OUT/gen/$side" -o "$OUT/kafka_$side.${tag// /_}" \
		"examples/kafka_$side.c" "$OUT/gen/$side/user_created.c" $RDK_LIBS \
		2>"$OUT/kafka_$side.${tag// /_}.err"
}
for cc in gcc clang; do
	for side in producer consumer; do
		if ! command -v $cc >/dev/null 2>&1; then
			ok "examples/kafka_$side.c compiles warning-free with $cc -pedantic # skip $cc not installed (scripts/install-deps --test)"
			continue
		fi
		if build $cc $side -O1; then
			ok "examples/kafka_$side.c compiles warning-free with $cc -pedantic (librdkafka $(pkg-config --modversion rdkafka))"
		else
			notok "examples/kafka_$side.c compiles warning-free with $cc -pedantic"
			sed 's/^/# /' "$OUT/kafka_$side.$cc.err" | head -10
		fi
	done
done

# The binaries that run: the default compiler, sanitized under SANITIZE=1.
if ! build "$CCMD" producer -O1 -g $SAN || ! build "$CCMD" consumer -O1 -g $SAN ||
   ! $CCMD -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror $RDK_CFLAGS \
	-o "$OUT/kafka_mock" tests/codegen/kafka_mock.c $RDK_LIBS 2>"$OUT/mock.err"; then
	notok "kafka examples and the mock cluster build"
	cat "$OUT"/*.err | sed 's/^/# /' | head -20
	exit 1
fi
tag=${CCMD##*/}
PRODUCER=$OUT/kafka_producer.${tag// /_}
CONSUMER=$OUT/kafka_consumer.${tag// /_}

"$OUT/kafka_mock" user.created 3 >"$OUT/bootstrap" 2>"$OUT/mock.log" &
MOCK_PID=$!
for _ in $(seq 1 50); do
	[ -s "$OUT/bootstrap" ] && break
	sleep 0.1
done
BROKERS=$(head -1 "$OUT/bootstrap")
if [ -z "$BROKERS" ]; then
	notok "mock cluster starts"
	sed 's/^/# /' "$OUT/mock.log" | head -10
	exit 1
fi
ok "mock cluster at $BROKERS"

timeout 60 "$PRODUCER" "$BROKERS" user.created 6 2 >"$OUT/p1.out" 2>"$OUT/p1.err"
rc1=$?
timeout 60 "$PRODUCER" "$BROKERS" user.created 1 99 >"$OUT/p2.out" 2>"$OUT/p2.err"
rc2=$?
if [ $rc1 = 0 ] && [ $rc2 = 0 ] && grep -q "6 sent, 0 failed" "$OUT/p1.err"; then
	ok "kafka_producer delivers 6 events framed with id 2 and 1 with id 99"
else
	notok "kafka_producer: exit $rc1/$rc2"
	tail -5 "$OUT/p1.err" "$OUT/p2.err" | sed 's/^/# /'
fi

timeout 90 "$CONSUMER" "$BROKERS" regit-test user.created 7 >"$OUT/c.out" 2>"$OUT/c.err"
rc=$?
decoded=$(grep -c '^id=2 ' "$OUT/c.out")
if [ $rc = 0 ] && [ "$decoded" = 6 ] && grep -q "6 decoded, 1 rejected" "$OUT/c.err" &&
   grep -q "schema id 99: REGIT_AVRO_EUNKNOWN_SCHEMA" "$OUT/c.err"; then
	ok "kafka_consumer decodes the 6 events and rejects the unknown schema id"
else
	notok "kafka_consumer: exit $rc, $decoded decoded"
	tail -5 "$OUT/c.err" | sed 's/^/# /'
fi
# The key is the partition key (user_id): one partition per user.
spread=$(sed -n 's/^id=2 partition=\([0-9]*\) user=\([^ ]*\) .*/\2 \1/p' "$OUT/c.out" |
	sort -u | awk '{print $1}' | uniq -d | wc -l)
users=$(sed -n 's/^id=2 partition=[0-9]* user=\([^ ]*\) .*/\1/p' "$OUT/c.out" | sort -u | wc -l)
if [ "$decoded" = 6 ] && [ "$spread" = 0 ] && [ "$users" = 3 ]; then
	ok "each user's events share one partition (keyed by user_created_partition_key)"
else
	notok "partitioning by key: $users users, $spread on several partitions"
fi
