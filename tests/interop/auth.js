// auth.js - @kafkajs/confluent-schema-registry against `regit serve --auth`
// (REGISTRY_URL; users wendy = write, alice = admin, password "secret").
// Prints TAP lines.
//
// Why: kafkajs's register() defaults to { compatibility: 'BACKWARD',
// updateConfig: true } and, when GET /config/{subject} answers 404 (a
// subject's first registration), follows the registration with
// PUT /config/{subject}. regit keeps PUT /config/{s} admin-only (the
// issue's role table), so a `write` user's register() registers the schema
// and then rejects with the 403. The README's security section tells such
// clients to pass { updateConfig: false } or use an admin account; these
// tests pin that behaviour down.
'use strict';

const assert = require('assert');
const { SchemaRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry');

const { test, run } = require('./tap');

const url = process.env.REGISTRY_URL;

function schema(name) {
  return {
    type: SchemaType.AVRO,
    schema: JSON.stringify({
      type: 'record', name, namespace: 'com.example.auth', fields: [{ name: 'id', type: 'long' }],
    }),
  };
}

run('auth interop', async () => {
  const writer = new SchemaRegistry({ host: url, auth: { username: 'wendy', password: 'secret' } });
  const admin = new SchemaRegistry({ host: url, auth: { username: 'alice', password: 'secret' } });
  const anon = new SchemaRegistry({ host: url });

  await test('kafkajs: no credentials -> 401', async () => {
    await assert.rejects(anon.register(schema('A'), { subject: 'anon-value' }),
      (e) => e.status === 401);
  });
  await test('kafkajs: write user, default options -> register() rejects with the 403 of PUT /config/{s}',
    async () => {
      await assert.rejects(writer.register(schema('W'), { subject: 'w-value' }),
        (e) => e.status === 403 && /role admin/.test(e.message));
      // The registration itself went through before the PUT.
      assert.strictEqual(await writer.getLatestSchemaId('w-value') > 0, true);
    });
  await test('kafkajs: write user with { updateConfig: false } registers', async () => {
    const r = await writer.register(schema('X'), { subject: 'x-value', updateConfig: false });
    assert.ok(r.id > 0);
    const again = await writer.register(schema('X'), { subject: 'x-value', updateConfig: false });
    assert.strictEqual(again.id, r.id);
  });
  await test('kafkajs: admin user, default options registers and sets the subject config',
    async () => {
      const r = await admin.register(schema('Y'), { subject: 'y-value' });
      assert.ok(r.id > 0);
      // Now the subject has a config; the writer's default register() passes
      // the GET /config check and never PUTs.
      const r2 = await writer.register(schema('Y'), { subject: 'y-value' });
      assert.strictEqual(r2.id, r.id);
    });

});
