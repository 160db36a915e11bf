// interop.js - real Confluent Schema Registry clients from npm against a
// running `regit serve` (REGISTRY_URL). Prints TAP lines.
//
//  - @kafkajs/confluent-schema-registry: register (with its GET/PUT
//    /config dance), lookups, encode/decode of Confluent-framed Avro;
//  - @confluentinc/schemaregistry: client calls and AvroSerializer /
//    AvroDeserializer (auto-registration, the /associations probe, the
//    ?subject= lookup by id);
//  - cross-client: bytes written by one client are read by the other, and
//    the wire format is checked by hand (magic 0, big-endian id, Avro).
'use strict';

const assert = require('assert');
const { SchemaRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry');
const {
  SchemaRegistryClient, AvroSerializer, AvroDeserializer, SerdeType,
} = require('@confluentinc/schemaregistry');

const { test, run } = require('./tap');

const url = process.env.REGISTRY_URL;

const userV1 = {
  type: 'record', name: 'User', namespace: 'com.example.interop',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
  ],
};
const userV2 = {
  ...userV1,
  fields: [...userV1.fields, { name: 'email', type: ['null', 'string'], default: null }],
};
const order = {
  type: 'record', name: 'Order', namespace: 'com.example.interop',
  fields: [
    { name: 'orderId', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID'] } },
    { name: 'items', type: { type: 'array', items: 'string' } },
  ],
};

function frameId(buf) {
  assert.strictEqual(buf[0], 0, 'magic byte 0');
  return buf.readInt32BE(1);
}

run('interop', async () => {
  const kjs = new SchemaRegistry({ host: url }, { forSchemaOptions: {} });
  const ccl = new SchemaRegistryClient({ baseURLs: [url], maxRetries: 0 });
  let kjsId;
  let kjsBytes;

  await test('kafkajs: register a schema (first registration of a subject)', async () => {
    const r = await kjs.register({ type: SchemaType.AVRO, schema: JSON.stringify(userV1) },
      { subject: 'kjs-user-value' });
    assert.ok(Number.isInteger(r.id) && r.id > 0, JSON.stringify(r));
    kjsId = r.id;
  });
  await test('kafkajs: register again is idempotent', async () => {
    const r = await kjs.register({ type: SchemaType.AVRO, schema: JSON.stringify(userV1) },
      { subject: 'kjs-user-value' });
    assert.strictEqual(r.id, kjsId);
  });
  await test('kafkajs: register a compatible v2', async () => {
    const r = await kjs.register({ type: SchemaType.AVRO, schema: JSON.stringify(userV2) },
      { subject: 'kjs-user-value' });
    assert.ok(r.id !== kjsId);
  });
  await test('kafkajs: getLatestSchemaId', async () => {
    const id = await kjs.getLatestSchemaId('kjs-user-value');
    const v2 = await kjs.getRegistryIdBySchema('kjs-user-value',
      { type: SchemaType.AVRO, schema: JSON.stringify(userV2) });
    assert.strictEqual(id, v2);
  });
  await test('kafkajs: getRegistryId(subject, version)', async () => {
    assert.strictEqual(await kjs.getRegistryId('kjs-user-value', 1), kjsId);
  });
  await test('kafkajs: getSchema(id) parses the stored schema', async () => {
    const s = await kjs.getSchema(kjsId);
    assert.strictEqual(s.name, 'com.example.interop.User');
  });
  await test('kafkajs: encode produces Confluent framing', async () => {
    kjsBytes = await kjs.encode(kjsId, { id: 42, name: 'Ada' });
    assert.strictEqual(frameId(kjsBytes), kjsId);
  });
  await test('kafkajs: decode round-trips', async () => {
    const v = await new SchemaRegistry({ host: url }).decode(kjsBytes);
    assert.deepStrictEqual({ ...v, id: Number(v.id) }, { id: 42, name: 'Ada' });
  });
  await test('kafkajs: an incompatible schema is refused with HTTP 409', async () => {
    const bad = { ...userV1, fields: [{ name: 'id', type: 'string' }] };
    await assert.rejects(kjs.register({ type: SchemaType.AVRO, schema: JSON.stringify(bad) },
      { subject: 'kjs-user-value' }), (e) => e.status === 409 || /409|incompatible/i.test(e.message));
  });

  let cclId;
  await test('confluent: register / getId / getLatestSchemaMetadata', async () => {
    cclId = await ccl.register('ccl-order-value', { schemaType: 'AVRO', schema: JSON.stringify(order) });
    assert.ok(cclId > 0);
    assert.strictEqual(await ccl.getId('ccl-order-value', { schemaType: 'AVRO', schema: JSON.stringify(order) }), cclId);
    const md = await ccl.getLatestSchemaMetadata('ccl-order-value');
    assert.strictEqual(md.id, cclId);
    assert.strictEqual(md.version, 1);
  });
  await test('confluent: getAllVersions / getAllSubjects / getVersion', async () => {
    assert.deepStrictEqual(await ccl.getAllVersions('ccl-order-value'), [1]);
    const subs = await ccl.getAllSubjects();
    assert.ok(subs.includes('ccl-order-value') && subs.includes('kjs-user-value'), subs);
    assert.strictEqual(await ccl.getVersion('ccl-order-value', { schemaType: 'AVRO', schema: JSON.stringify(order) }), 1);
  });
  await test('confluent: getBySubjectAndId', async () => {
    const info = await ccl.getBySubjectAndId('whatever-value', cclId);
    assert.deepStrictEqual(JSON.parse(info.schema).name, 'Order');
    // the client hands back the body as is: with the id under the subject,
    // it names the subject and version (8.x SchemaString)
    const own = await ccl.getBySubjectAndId('ccl-order-value', cclId);
    assert.strictEqual(JSON.parse(own.schema).name, 'Order');
    assert.strictEqual(own.subject, 'ccl-order-value');
    assert.strictEqual(own.version, 1);
  });
  await test('confluent: compatibility and config calls', async () => {
    const compatible = await ccl.testSubjectCompatibility('ccl-order-value',
      { schemaType: 'AVRO', schema: JSON.stringify({ ...order, fields: [...order.fields, { name: 'note', type: 'string', default: '' }] }) });
    assert.strictEqual(compatible, true);
    const incompatible = await ccl.testCompatibility('ccl-order-value', 1,
      { schemaType: 'AVRO', schema: JSON.stringify({ ...order, fields: [{ name: 'orderId', type: 'int' }] }) });
    assert.strictEqual(incompatible, false);
    assert.strictEqual(await ccl.updateCompatibility('ccl-order-value', 'FULL'), 'FULL');
    assert.strictEqual(await ccl.getCompatibility('ccl-order-value'), 'FULL');
    assert.ok(await ccl.getDefaultCompatibility());
  });
  await test('confluent: a subject config with regit.lint reads as usual', async () => {
    // regit's extra key next to the level: Confluent's client reads the level
    // and ignores the rest, and registration under warn goes through.
    const r = await fetch(`${url}/config/ccl-lint-value`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: 'BACKWARD', 'regit.lint': 'warn' }),
    });
    assert.strictEqual(r.status, 200, await r.text());
    assert.strictEqual(await ccl.getCompatibility('ccl-lint-value'), 'BACKWARD');
    const id = await ccl.register('ccl-lint-value', { schemaType: 'AVRO', schema: JSON.stringify(order) });
    assert.ok(Number.isInteger(id) && id > 0);
    const got = await kjs.getLatestSchemaId('ccl-lint-value');
    assert.strictEqual(got, id);
  });

  const cdes = new AvroDeserializer(ccl, SerdeType.VALUE, {});
  let cclBytes;
  const msg = { orderId: 'o-1', amount: 12.5, status: 'PAID', items: ['a', 'b'] };
  await test('confluent: AvroSerializer useLatestVersion frames with the registered id', async () => {
    const s = new AvroSerializer(new SchemaRegistryClient({ baseURLs: [url], maxRetries: 0 }),
      SerdeType.VALUE, { useLatestVersion: true });
    cclBytes = await s.serialize('ccl-order', msg);
    assert.strictEqual(frameId(cclBytes), cclId);
  });
  await test('confluent: AvroSerializer autoRegisterSchemas registers <topic>-value', async () => {
    const c2 = new SchemaRegistryClient({ baseURLs: [url], maxRetries: 0 });
    const s = new AvroSerializer(c2, SerdeType.VALUE, { autoRegisterSchemas: true });
    const bytes = await s.serialize('auto-topic', { city: 'Lyon', temp: 21 });
    const id = frameId(bytes);
    assert.ok(id > 0);
    const md = await c2.getLatestSchemaMetadata('auto-topic-value');
    assert.strictEqual(md.id, id);
    const back = await new AvroDeserializer(c2, SerdeType.VALUE, {}).deserialize('auto-topic', bytes);
    assert.deepStrictEqual(JSON.parse(JSON.stringify(back)), { city: 'Lyon', temp: 21 });
  });
  await test('confluent: AvroDeserializer round-trips', async () => {
    const v = await cdes.deserialize('ccl-order', cclBytes);
    assert.deepStrictEqual(JSON.parse(JSON.stringify(v)), msg);
  });
  await test('cross-client: confluent reads bytes written by kafkajs', async () => {
    const v = await cdes.deserialize('kjs-user', kjsBytes);
    assert.strictEqual(Number(v.id), 42);
    assert.strictEqual(v.name, 'Ada');
  });
  await test('cross-client: kafkajs reads bytes written by confluent', async () => {
    const v = await new SchemaRegistry({ host: url }).decode(cclBytes);
    assert.deepStrictEqual(JSON.parse(JSON.stringify(v)), msg);
  });
  await test('confluent: deleteSubjectVersion / deleteSubject', async () => {
    await ccl.register('ccl-tmp-value', { schemaType: 'AVRO', schema: '"string"' });
    assert.strictEqual(await ccl.deleteSubjectVersion('ccl-tmp-value', 1, false), 1);
    assert.deepStrictEqual(await ccl.deleteSubject('ccl-tmp-value', true), [1]);
  });

});
