// The JavaScript SDK under plain Node: the row codec, values, errors and role helpers.
// Run with `node --test plugin-sdk/js/tests/`.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  Batch,
  BatchBuilder,
  BatchError,
  Document,
  Mapped,
  Params,
  PluginError,
  RowError,
  Value,
  defineAction,
  defineFilter,
  defineMapper,
  defineTransform,
} from '../wharf/wharf.js';

const COLUMNS = ['Name', 'Count', 'Price', 'Active', 'Note'];

function sample() {
  return Batch.fromRows(COLUMNS, [
    ['Contoso', -3, Value.decimal('12.50'), true, null],
    ['Fabrikam ✓', 7, Value.float(0.5), false, ''],
  ]);
}

test('an encoded batch reads back every value with its kind', () => {
  const batch = sample();
  const read = new Batch(batch.columns, batch.bytes.slice());
  assert.equal(read.length, 2);
  assert.deepEqual(read.toObjects(), [
    { Name: 'Contoso', Count: -3, Price: '12.50', Active: true, Note: null },
    { Name: 'Fabrikam ✓', Count: 7, Price: 0.5, Active: false, Note: '' },
  ]);
  assert.deepEqual(read.row(0).value('Price'), Value.decimal('12.50'));
  assert.deepEqual(read.row(1).value('Price'), Value.float(0.5));
  assert.equal(read.row(2), undefined);
  assert.equal(read.row(0).get('Missing'), undefined);
  // Node's Buffer, a view into a shared pool, reads the same.
  const pooled = Buffer.concat([Buffer.from('padding'), Buffer.from(batch.bytes)]).subarray(7);
  assert.deepEqual(new Batch(batch.columns, pooled).toObjects(), read.toObjects());
});

test('the layout is the one the Rust SDK writes', () => {
  const batch = Batch.fromRows(['A', 'B'], [['x', 1]]);
  // Cells: 01 'x', 02 i64 1; offsets 0 and 2; one row.
  const expected = [1, 0x78, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0];
  assert.deepEqual([...batch.bytes], expected);
});

test('copying values through Value keeps every kind, byte for byte', () => {
  const batch = sample();
  const copy = Batch.fromRows(
    batch.columns,
    batch.rows().map((row) => batch.columns.map((name) => row.value(name))),
  );
  assert.deepEqual(copy.bytes, batch.bytes);
});

test('integers past 2^53 read as BigInts and write back exactly', () => {
  const big = 2n ** 62n + 1n;
  const batch = Batch.fromRows(['N'], [[big], [-(2n ** 63n)], [Number.MAX_SAFE_INTEGER]]);
  assert.equal(batch.row(0).get('N'), big);
  assert.equal(batch.row(1).get('N'), -(2n ** 63n));
  assert.equal(batch.row(2).get('N'), Number.MAX_SAFE_INTEGER);
  assert.throws(() => Batch.fromRows(['N'], [[2n ** 63n]]), /does not fit in 64 bits/);
});

test('accessors name the row and field in their errors', () => {
  const row = sample().row(1);
  assert.equal(row.str('Name'), 'Fabrikam ✓');
  assert.equal(row.optStr('Note'), undefined);
  assert.throws(() => row.str('Count'), (error) => {
    assert.ok(error instanceof RowError);
    assert.equal(error.row, 1);
    assert.equal(error.field, 'Count');
    assert.equal(error.message, 'expected text, found a integer');
    return true;
  });
  assert.throws(() => row.required('Note'), { message: 'a value is required' });
  assert.throws(() => row.str('Missing'), { message: 'the column is missing' });
});

test('every truncation and corruption is refused or read whole, never misread', () => {
  const { columns, bytes } = sample();
  for (let length = 0; length < bytes.length; length++) {
    assert.throws(() => new Batch(columns, bytes.slice(0, length)).validate(), BatchError);
  }
  for (let at = 0; at < bytes.length; at++) {
    for (const byte of [0, 1, 7, 8, 0x80, 0xff]) {
      const corrupt = bytes.slice();
      corrupt[at] = byte;
      try {
        const batch = new Batch(columns, corrupt);
        batch.toObjects();
        batch.validate();
      } catch (error) {
        assert.ok(error instanceof BatchError, `${error}`);
      }
    }
  }
  assert.throws(() => new Batch(['A', 'B'], new Uint8Array([0xff, 0xff, 0xff, 0xff])), /do not fit/);
});

test('a row of the wrong width or an unknown value is a plugin bug', () => {
  assert.throws(() => new BatchBuilder(COLUMNS).pushRow(['x']), /a row of 1 values for 5 columns/);
  assert.throws(() => new BatchBuilder(['A']).pushRow([{}]), /a object is not a Wharf value/);
  assert.throws(() => new BatchBuilder(['A']).pushRow([Value.integer(1.5)]), /not a whole number/);
});

test('a filter answers per row and turns thrown errors into plugin errors', () => {
  const filter = defineFilter((ctx, input) => input.rows().map((row) => row.get('Active')));
  const input = sample().toWit();
  assert.deepEqual(filter.keep({ entity: 'Customer' }, input), [true, false]);
  const short = defineFilter(() => [true]);
  assert.throws(() => short.keep({ entity: 'Customer' }, input), { payload: { message: 'the filter answered for 1 rows of a batch of 2' } });
  const buggy = defineFilter((ctx) => ctx.company.toLowerCase());
  assert.throws(() => buggy.keep({ entity: 'Customer' }, input), (error) => {
    assert.ok(error instanceof PluginError);
    assert.match(error.payload.message, /^TypeError: /);
    return true;
  });
  const broken = { columns: ['A'], rows: new Uint8Array([9, 0, 0, 0, 0, 1, 0, 0, 0]) };
  const readsA = defineFilter((ctx, batch) => batch.rows().map((row) => row.get('A') !== null));
  assert.throws(() => readsA.keep({ entity: 'Customer' }, broken), { payload: { message: 'input batch: malformed row batch: row 0, column A: unknown cell tag 9' } });
});

test('a mapper rejects rows with their errors and maps the rest', () => {
  const mapper = defineMapper((ctx, input) => {
    const mapped = new Mapped();
    const out = mapped.entity('Customer', ['Name', 'Company']);
    mapped.eachRow(input, (row) => {
      if (row.get('Count') < 0) throw row.error('Count', 'must not be negative');
      mapped.push(out, row, [row.required('Name'), ctx.company]);
    });
    return mapped;
  });
  const result = mapper.map({ entity: 'Customer', company: 'usmf' }, sample().toWit());
  assert.deepEqual(result.errors, [{ row: 0, field: 'Count', message: 'must not be negative' }]);
  assert.equal(result.outputs.length, 1);
  assert.equal(result.outputs[0].entity, 'Customer');
  assert.deepEqual([...result.outputs[0].sourceRows], [1]);
  const out = new Batch(result.outputs[0].batch.columns, result.outputs[0].batch.rows);
  assert.deepEqual(out.toObjects(), [{ Name: 'Fabrikam ✓', Company: 'usmf' }]);
});

test('a transform gets and returns documents', () => {
  const transform = defineTransform((ctx, document) => new Document('csv', document.text().toUpperCase(), document.name));
  const input = { format: 'text', name: 'a.txt', content: new TextEncoder().encode('héllo') };
  const output = transform.transform({ entity: 'Customer' }, input);
  assert.equal(output.format, 'csv');
  assert.equal(output.name, 'a.txt');
  assert.equal(new TextDecoder().decode(output.content), 'HÉLLO');
  const notText = { format: 'xml', content: new Uint8Array([0xff]) };
  assert.throws(() => transform.transform({ entity: 'Customer' }, notText), { payload: { message: 'the xml document is not UTF-8 text' } });
});

test('an action reads its parameters and answers JSON', () => {
  const action = defineAction({
    reserve(ctx, params) {
      return { item: params.required('item', 'string'), quantity: params.optional('quantity', 'number') ?? 1, key: params.key() };
    },
  });
  const input = JSON.stringify({ item: 'A-1', '@key': { dataAreaId: 'usmf', ItemId: 'A-1' } });
  assert.deepEqual(JSON.parse(action.invoke({ entity: 'Item' }, 'reserve', input)), {
    item: 'A-1',
    quantity: 1,
    key: { dataAreaId: 'usmf', ItemId: 'A-1' },
  });
  const fails = (name, text, message) => assert.throws(() => action.invoke({ entity: 'Item' }, name, text), { payload: { message } });
  fails('reserve', '{"quantity": 2}', 'parameter item is required');
  fails('reserve', '{"item": 5}', 'parameter item: expected a string, found a number');
  fails('reserve', '[1]', 'action input must be a JSON object');
  fails('release', '{}', 'this plugin has no action release (it has reserve)');
  assert.throws(() => new Params({}).key(), { message: 'the action was not called on a row: its input has no @key' });
});
