// decode_produce.js - messages from the npm Confluent serializers for
// tests/integration/decode.sh: registers tests/interop's "decode-topic-value"
// schema in the registry at URL, then prints one hex line per message:
// two from @confluentinc/schemaregistry's AvroSerializer (useLatestVersion)
// and one from @kafkajs/confluent-schema-registry's encode.
// usage: node decode_produce.js URL
'use strict';
const { SchemaRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry');
const {
  SchemaRegistryClient, AvroSerializer, SerdeType,
} = require('@confluentinc/schemaregistry');

const schema = {
  type: 'record', name: 'Shipment', namespace: 'ship',
  fields: [
    { name: 'event_id', type: 'string' },
    { name: 'correlation_id', type: 'string' },
    { name: 'weight', type: 'double' },
    { name: 'count', type: 'long' },
    { name: 'blob', type: 'bytes' },
    { name: 'state', type: { type: 'enum', name: 'State', symbols: ['NEW', 'SENT'] } },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'attrs', type: { type: 'map', values: 'int' } },
    { name: 'legs', type: { type: 'array', items: {
      type: 'record', name: 'Leg', fields: [{ name: 'to', type: 'string' }] } } },
  ],
};

async function main() {
  const url = process.argv[2];
  const ccl = new SchemaRegistryClient({ baseURLs: [url], maxRetries: 0 });
  await ccl.register('decode-topic-value',
    { schemaType: 'AVRO', schema: JSON.stringify(schema) }, false);
  const s = new AvroSerializer(ccl, SerdeType.VALUE, { useLatestVersion: true });
  const out = [];
  out.push(await s.serialize('decode-topic', {
    event_id: 'e-1', correlation_id: 'corr-9', weight: 1.5, count: 3,
    blob: Buffer.from([0, 255, 65]), state: 'SENT', note: 'fragile',
    attrs: { a: 1 }, legs: [{ to: 'Lyon' }, { to: 'Bern' }],
  }));
  out.push(await s.serialize('decode-topic', {
    event_id: 'e-2', correlation_id: 'corr-9', weight: -0.25, count: 1099511627776,
    blob: Buffer.alloc(0), state: 'NEW', note: null, attrs: {}, legs: [],
  }));
  const kjs = new SchemaRegistry({ host: url });
  const { id } = await kjs.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) },
    { subject: 'decode-topic-value' });
  out.push(await kjs.encode(id, {
    event_id: 'e-3', correlation_id: 'corr-7', weight: 0, count: -5,
    blob: Buffer.from('hi'), state: 'NEW', note: null, attrs: { z: -1 }, legs: [{ to: 'Oslo' }],
  }));
  for (const b of out) console.log(Buffer.from(b).toString('hex'));
}

main().catch((e) => { console.error(e && e.stack ? e.stack : String(e)); process.exit(1); });
