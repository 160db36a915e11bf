// replicas.js - the npm Confluent clients against haproxy in front of
// three `regit serve --upstream` replicas (issue #12 part 2), run by
// tests/integration/replicas.py. REGISTRY_URL is the haproxy endpoint,
// REPLICA_URLS the replicas themselves (comma-separated). Prints TAP lines.
//
// Checked: registration through haproxy (both clients), the id a client got
// is the id every replica answers, and a message serialized through one
// replica deserializes through another (both directions, both clients).
'use strict';

const assert = require('assert');
const { SchemaRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry');
const {
  SchemaRegistryClient, AvroSerializer, AvroDeserializer, SerdeType,
} = require('@confluentinc/schemaregistry');

const { test, run } = require('./tap');

const lb = process.env.REGISTRY_URL;
const replicas = (process.env.REPLICA_URLS || '').split(',').filter(Boolean);

const event = {
  type: 'record', name: 'Event', namespace: 'com.example.replicas',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } },
  ],
};
const payment = {
  type: 'record', name: 'Payment', namespace: 'com.example.replicas',
  fields: [{ name: 'ref', type: 'string' }, { name: 'cents', type: 'long' }],
};

function frameId(buf) {
  assert.strictEqual(buf[0], 0, 'magic byte 0');
  return buf.readInt32BE(1);
}

// A read on a replica other than the one that took the write: read-repair
// answers it at once, but allow a bounded retry for a replica still fetching.
async function eventually(fn, ms = 5000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

run('replicas', async () => {
  assert.ok(lb && replicas.length === 3, 'REGISTRY_URL and three REPLICA_URLS');
  const kjsLb = new SchemaRegistry({ host: lb });
  const kjsAt = replicas.map((u) => new SchemaRegistry({ host: u }));
  const cclAt = replicas.map((u) => new SchemaRegistryClient({ baseURLs: [u], maxRetries: 0 }));
  const cclLb = new SchemaRegistryClient({ baseURLs: [lb], maxRetries: 0 });
  let kjsId;
  let cclId;

  await test('kafkajs through haproxy: register, and again (idempotent, same id)', async () => {
    const s = { type: SchemaType.AVRO, schema: JSON.stringify(event) };
    kjsId = (await kjsLb.register(s, { subject: 'npm-event-value' })).id;
    assert.ok(Number.isInteger(kjsId) && kjsId > 0);
    // haproxy balances round robin: the next ones land on other replicas
    for (let i = 0; i < 3; i += 1) {
      assert.strictEqual((await kjsLb.register(s, { subject: 'npm-event-value' })).id, kjsId);
    }
  });
  await test('kafkajs: every replica answers the id with the schema', async () => {
    for (const k of kjsAt) {
      const got = await eventually(() => k.getSchema(kjsId));
      assert.strictEqual(got.name, 'com.example.replicas.Event');
      assert.strictEqual(await eventually(() => k.getLatestSchemaId('npm-event-value')), kjsId);
    }
  });
  await test('confluent through haproxy: register; getId agrees on every replica', async () => {
    const info = { schemaType: 'AVRO', schema: JSON.stringify(payment) };
    cclId = await cclLb.register('npm-payment-value', info);
    assert.ok(cclId > 0 && cclId !== kjsId);
    for (const c of cclAt) {
      assert.strictEqual(await eventually(() => c.getId('npm-payment-value', info)), cclId);
    }
  });

  await test('kafkajs: encoded through replica A, decoded through B and C', async () => {
    const bytes = await kjsAt[0].encode(kjsId, { id: 7, kind: 'B' });
    assert.strictEqual(frameId(bytes), kjsId);
    for (const k of [new SchemaRegistry({ host: replicas[1] }), new SchemaRegistry({ host: replicas[2] })]) {
      const v = await k.decode(bytes);
      assert.deepStrictEqual({ ...v, id: Number(v.id) }, { id: 7, kind: 'B' });
    }
  });
  const msg = { ref: 'p-1', cents: 1250 };
  let bytesB;
  await test('confluent: serialized through replica B, deserialized through C and A', async () => {
    const ser = new AvroSerializer(cclAt[1], SerdeType.VALUE, { useLatestVersion: true });
    bytesB = await ser.serialize('npm-payment', msg);
    assert.strictEqual(frameId(bytesB), cclId);
    for (const u of [replicas[2], replicas[0]]) {
      const c = new SchemaRegistryClient({ baseURLs: [u], maxRetries: 0 });
      const v = await new AvroDeserializer(c, SerdeType.VALUE, {}).deserialize('npm-payment', bytesB);
      assert.deepStrictEqual(JSON.parse(JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? Number(x) : x))), msg);
    }
  });
  await test('confluent: autoRegisterSchemas on C, the bytes read by kafkajs on A', async () => {
    const ser = new AvroSerializer(cclAt[2], SerdeType.VALUE, { autoRegisterSchemas: true });
    const bytes = await ser.serialize('npm-auto', { city: 'Lyon', temp: 21 });
    const id = frameId(bytes);
    assert.ok(id > 0 && id !== kjsId && id !== cclId);
    // eventually: A's read-repair fetches at most once per 100 ms
    // (registry.c REG_REPAIR_GAP_MS), and the deserializer's /associations
    // probe on A just above may have used that slot: a miss inside it is 404.
    const v = await eventually(() => new SchemaRegistry({ host: replicas[0] }).decode(bytes));
    assert.deepStrictEqual(JSON.parse(JSON.stringify(v)), { city: 'Lyon', temp: 21 });
    const md = await cclAt[1].getLatestSchemaMetadata('npm-auto-value');
    assert.strictEqual(md.id, id);
  });
  await test('cross-client through haproxy: kafkajs decodes confluent bytes', async () => {
    const v = await new SchemaRegistry({ host: lb }).decode(bytesB);
    assert.deepStrictEqual(JSON.parse(JSON.stringify(v)), msg);
  });
});
