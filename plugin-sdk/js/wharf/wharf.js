/**
 * Write Wharf plugins in JavaScript.
 *
 * A plugin is one ES module (`plugin.js`) that exports its role, made with one of
 * {@link defineMapper}, {@link defineFilter}, {@link defineTransform} or {@link defineAction}
 * under the role's name (`export const filter = defineFilter(...)`). `wharf/build.mjs` turns
 * it into a WebAssembly component with componentize-js (a SpiderMonkey engine inside the
 * component); the manifest `wharf-plugin.toml` beside it names the plugin, its entities, its
 * configuration and its limits.
 *
 * Rows arrive in a {@link Batch} in Wharf's compact row encoding (`row-batch` in
 * `wit/wharf.wit`); read them through {@link Row}'s accessors and reject a bad row with
 * {@link Row#error} so the others go on. A whole call fails with a {@link PluginError}.
 *
 * How cell values read in JavaScript:
 *
 * | Wharf value | JavaScript value (`row.get`)                                       |
 * |-------------|--------------------------------------------------------------------|
 * | null        | `null`                                                             |
 * | string      | a string                                                           |
 * | integer     | a number, or a BigInt past ±2^53                                   |
 * | decimal     | its text (`"-1234.50"`), so no precision is lost                   |
 * | float       | a number                                                           |
 * | boolean     | `true` or `false`                                                  |
 * | date        | its text, `YYYY-MM-DD`                                             |
 * | datetime    | its text, RFC 3339 in UTC                                          |
 *
 * `row.value(name)` gives the cell as a {@link Value} that keeps its kind, so a value copied
 * from one batch to another stays a decimal or a date. When writing, a string is a string, a
 * number is an integer when it is a safe whole number and a float otherwise, a BigInt is an
 * integer, `null` and `undefined` are null; `Value.decimal("1.50")`, `Value.date(...)`,
 * `Value.datetime(...)`, `Value.float(2)` and `Value.integer(...)` say the kind outright.
 *
 * This module imports nothing from the host, so it runs under Node too (for a plugin's own
 * tests). The host's services are in `host.js`, an action's unit of work in
 * `unit-of-work.js`, web services in `outbound.js`.
 *
 * @module wharf
 */

const TAG_NULL = 0;
const TAG_STRING = 1;
const TAG_INTEGER = 2;
const TAG_DECIMAL = 3;
const TAG_FLOAT = 4;
const TAG_BOOLEAN = 5;
const TAG_DATE = 6;
const TAG_DATETIME = 7;

const KIND_OF_TAG = ['null', 'string', 'integer', 'decimal', 'float', 'boolean', 'date', 'datetime'];
const TEXT_TAGS = { string: TAG_STRING, decimal: TAG_DECIMAL, date: TAG_DATE, datetime: TAG_DATETIME };
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_I64 = -(2n ** 63n);
const MAX_I64 = 2n ** 63n - 1n;

const utf8Decoder = new TextDecoder('utf-8');
/** Whether this machine stores a `u32` as the encoding does, least significant byte first. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const utf8Encoder = new TextEncoder();

/**
 * Why a whole call failed. Nothing the call produced is used; the caller (an operator, an
 * OData client) reads `message`.
 *
 * Throw it from a plugin function. It carries the WIT `plugin-error` as its `payload`, which
 * is how componentize-js turns a thrown value into a result's `err`.
 */
export class PluginError extends Error {
  /** @param {string} message A sentence an operator can act on. */
  constructor(message) {
    super(String(message));
    this.name = 'PluginError';
    /** The WIT `plugin-error` this error returns. */
    this.payload = { message: this.message };
  }
}

/**
 * Why one input row was rejected. The row is left out; the others go on.
 *
 * Make one with {@link Row#error}, which fills in the row index and the field.
 */
export class RowError extends Error {
  /**
   * @param {number} row The row's index in the input batch (0-based).
   * @param {string} message A sentence an operator can act on.
   * @param {string} [field] The field at fault.
   */
  constructor(row, message, field) {
    super(String(message));
    this.name = 'RowError';
    /** The row's index in the input batch (0-based). */
    this.row = row;
    /** The field at fault, or `undefined`. */
    this.field = field;
  }

  /** The WIT `row-error`. */
  toWit() {
    return { row: this.row, field: this.field, message: this.message };
  }

  /** `row 3, field Name: ...`, as the Rust SDK prints it. */
  toString() {
    const field = this.field === undefined ? '' : `, field ${this.field}`;
    return `batch row index ${this.row}${field}: ${this.message}`;
  }
}

/** Why a byte buffer is not a valid row batch. */
export class BatchError extends Error {
  /** @param {string} problem What is wrong with it. */
  constructor(problem) {
    super(`malformed row batch: ${problem}`);
    this.name = 'BatchError';
  }
}

/**
 * A cell value that keeps its kind: what {@link Row#value} returns and what a
 * {@link BatchBuilder} takes when a plain JavaScript value would not say the kind.
 */
export class Value {
  /**
   * @param {'null'|'string'|'integer'|'decimal'|'float'|'boolean'|'date'|'datetime'} kind
   * @param {null|string|number|bigint|boolean} value Text for string, decimal, date and
   *   datetime; a number or BigInt for integer; a number for float.
   */
  constructor(kind, value) {
    if (!KIND_OF_TAG.includes(kind)) {
      throw new TypeError(`${kind} is not a Wharf value kind (${KIND_OF_TAG.join(', ')})`);
    }
    /** The kind: `null`, `string`, `integer`, `decimal`, `float`, `boolean`, `date`, `datetime`. */
    this.kind = kind;
    /** The JavaScript value, as `row.get` gives it. */
    this.value = value;
  }

  /** The null value. */
  static null() {
    return new Value('null', null);
  }

  /** @param {string} text */
  static string(text) {
    return new Value('string', String(text));
  }

  /** @param {number|bigint} number A whole number within 64 bits. */
  static integer(number) {
    return new Value('integer', number);
  }

  /** @param {string} text An exact decimal number as its canonical text (`-1234.50`). */
  static decimal(text) {
    return new Value('decimal', String(text));
  }

  /** @param {number} number */
  static float(number) {
    return new Value('float', Number(number));
  }

  /** @param {boolean} flag */
  static boolean(flag) {
    return new Value('boolean', Boolean(flag));
  }

  /** @param {string} text A calendar date, `YYYY-MM-DD`. */
  static date(text) {
    return new Value('date', String(text));
  }

  /** @param {string} text A point in time, RFC 3339 in UTC (`2026-11-21T08:30:00Z`). */
  static datetime(text) {
    return new Value('datetime', String(text));
  }

  /**
   * The value of a plain JavaScript value, or `value` itself when it is a `Value` already.
   * @param {*} value
   * @returns {Value}
   */
  static of(value) {
    if (value instanceof Value) return value;
    if (value === null || value === undefined) return new Value('null', null);
    switch (typeof value) {
      case 'string':
        return new Value('string', value);
      case 'boolean':
        return new Value('boolean', value);
      case 'bigint':
        return new Value('integer', value);
      case 'number':
        return new Value(Number.isSafeInteger(value) ? 'integer' : 'float', value);
      default:
        throw new TypeError(`a ${typeName(value)} is not a Wharf value (text, number, boolean, null or a Value)`);
    }
  }

  /** The value as text (`""` for null), as a CSV or an error message shows it. */
  toString() {
    return this.value === null ? '' : String(this.value);
  }
}

/**
 * The Wharf kind of a plain JavaScript value or a {@link Value}, for error messages.
 * @param {*} value
 * @returns {string}
 */
export function typeName(value) {
  if (value instanceof Value) return value.kind;
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'bigint':
      return 'integer';
    case 'number':
      return Number.isSafeInteger(value) ? 'integer' : 'float';
    case 'object':
      return Array.isArray(value) ? 'array' : 'object';
    default:
      return typeof value;
  }
}

/**
 * A batch of rows in Wharf's compact row encoding, read-only.
 *
 * Layout (all integers little-endian): every cell of every row, row by row, each a tag byte
 * and its payload; then a `u32` offset per cell; then the row count as a `u32`.
 */
export class Batch {
  /**
   * Reads a batch from its column names and encoded rows. The row count is checked here, each
   * cell when it is read (offsets in order and in bounds, a known tag, the payload's size), so
   * a call pays only for the cells it reads: in the engine's interpreter, checking every cell
   * up front cost more than a filter's own work. {@link Batch#validate} checks them all.
   * @param {string[]} columns The column names, in cell order.
   * @param {Uint8Array} bytes The encoded rows.
   * @throws {BatchError} When `bytes` is not a batch of these columns.
   */
  constructor(columns, bytes) {
    /** The column names, in cell order. */
    this.columns = Array.from(columns, String);
    /** The encoded rows. */
    this.bytes = bytesOf(bytes, 'the rows', BatchError);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    if (this.bytes.length < 4) {
      throw new BatchError(`${this.bytes.length} bytes is too short for the row count`);
    }
    this.rowCount = this.view.getUint32(this.bytes.length - 4, true);
    const cells = this.rowCount * this.columns.length;
    this.cellsEnd = this.bytes.length - 4 - 4 * cells;
    if (this.cellsEnd < 0) {
      const size = this.bytes.length;
      throw new BatchError(`${this.rowCount} rows of ${this.columns.length} columns do not fit in ${size} bytes`);
    }
    this.positions = new Map();
    this.columns.forEach((name, position) => {
      if (!this.positions.has(name)) this.positions.set(name, position);
    });
    this.starts = this.cellStarts(cells);
  }

  /**
   * A batch of `columns` holding `rows`, each an array of values in column order.
   * @param {string[]} columns
   * @param {Array<Array<*>>} rows
   * @returns {Batch}
   */
  static fromRows(columns, rows) {
    const builder = new BatchBuilder(columns);
    for (const values of rows) builder.pushRow(values);
    return builder.finish();
  }

  /**
   * The batch the host sent: a WIT `row-batch` (`{columns, rows}`).
   * @param {{columns: string[], rows: Uint8Array}} wit
   * @returns {Batch}
   * @throws {PluginError} When it is malformed (a host bug, reported as such).
   */
  static fromWit(wit) {
    try {
      return new Batch(wit.columns, wit.rows);
    } catch (error) {
      if (error instanceof BatchError) throw new PluginError(`input batch: ${error.message}`);
      throw error;
    }
  }

  /** The WIT `row-batch` of this batch. */
  toWit() {
    return { columns: this.columns, rows: this.bytes };
  }

  /** The number of rows. */
  get length() {
    return this.rowCount;
  }

  /**
   * The position of the column named `name`, or `undefined` when there is none.
   * @param {string} name
   * @returns {number|undefined}
   */
  column(name) {
    return this.positions.get(name);
  }

  /**
   * Row `index`, or `undefined` past the end.
   * @param {number} index
   * @returns {Row|undefined}
   */
  row(index) {
    return Number.isInteger(index) && index >= 0 && index < this.rowCount ? new Row(this, index) : undefined;
  }

  /**
   * The rows in order, as an array (so `input.rows().map(...)` reads well).
   * @returns {Row[]}
   */
  rows() {
    const rows = new Array(this.rowCount);
    for (let index = 0; index < this.rowCount; index++) rows[index] = new Row(this, index);
    return rows;
  }

  /** Iterates the rows in order. */
  *[Symbol.iterator]() {
    for (let index = 0; index < this.rowCount; index++) yield new Row(this, index);
  }

  /**
   * Every row as an object of column name to `row.get` value: for tests and logging.
   * @returns {Array<Object<string, *>>}
   */
  toObjects() {
    return this.rows().map((row) => row.toObject());
  }

  /**
   * Where each cell starts, and after the last the end of the cells: one copy of the offsets
   * into a typed array, which reads faster than a DataView, above all in an interpreter.
   */
  cellStarts(cells) {
    const starts = new Uint32Array(cells + 1);
    if (LITTLE_ENDIAN) {
      // A copy of its own (Node's Buffer.slice would share the whole pool's buffer).
      const offsets = new Uint8Array(this.bytes.subarray(this.cellsEnd, this.cellsEnd + 4 * cells));
      starts.set(new Uint32Array(offsets.buffer));
    } else {
      for (let cell = 0; cell < cells; cell++) starts[cell] = this.view.getUint32(this.cellsEnd + 4 * cell, true);
    }
    starts[cells] = this.cellsEnd;
    return starts;
  }

  /**
   * Checks every cell (what reading it checks), so that a batch that passes reads whole.
   * @returns {Batch} This batch.
   * @throws {BatchError} Naming the first malformed cell.
   */
  validate() {
    const cells = this.rowCount * this.columns.length;
    if (cells === 0 && this.cellsEnd !== 0) throw new BatchError(`${this.cellsEnd} stray bytes after the last cell`);
    if (cells > 0 && this.starts[0] !== 0) throw new BatchError(`${this.place(0)}: cell offsets out of order or out of bounds`);
    for (let cell = 0; cell < cells; cell++) this.cellAt(cell);
    return this;
  }

  /** `row 3, column Name`: where cell number `cell` is, for an error message. */
  place(cell) {
    const width = this.columns.length;
    return `row ${Math.floor(cell / width)}, column ${this.columns[cell % width]}`;
  }

  /** The `row.get` value of the cell at `row`, `column`. */
  cell(row, column) {
    return this.cellAt(row * this.columns.length + column);
  }

  /** The `row.get` value of cell number `index`, checked. */
  cellAt(index) {
    const start = this.starts[index];
    const end = this.starts[index + 1];
    if (!(start < end && end <= this.cellsEnd)) {
      throw new BatchError(`${this.place(index)}: ${start === end ? 'empty cell' : 'cell offsets out of order or out of bounds'}`);
    }
    const tag = this.bytes[start];
    if (tag === TAG_STRING || tag === TAG_DECIMAL || tag === TAG_DATE || tag === TAG_DATETIME) {
      return utf8Decoder.decode(this.bytes.subarray(start + 1, end));
    }
    const problem = cellProblem(tag, end - start - 1, this.bytes[start + 1]);
    if (problem) throw new BatchError(`${this.place(index)}: ${problem}`);
    switch (tag) {
      case TAG_INTEGER: {
        const number = this.view.getBigInt64(start + 1, true);
        return number <= MAX_SAFE && number >= -MAX_SAFE ? Number(number) : number;
      }
      case TAG_FLOAT:
        return this.view.getFloat64(start + 1, true);
      case TAG_BOOLEAN:
        return this.bytes[start + 1] === 1;
      default:
        return null;
    }
  }

  /** The kind of the cell at `row`, `column`, checked. */
  kind(row, column) {
    const index = row * this.columns.length + column;
    this.cellAt(index);
    return KIND_OF_TAG[this.bytes[this.starts[index]]];
  }
}

/**
 * `bytes` as a Uint8Array of this module's realm. What the component model hands over is a
 * Uint8Array of the engine's bindings, which `instanceof` does not recognise.
 */
function bytesOf(bytes, what, ErrorType) {
  if (bytes instanceof Uint8Array) return bytes;
  if (Object.prototype.toString.call(bytes) === '[object Uint8Array]') {
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  throw new ErrorType(`${what} must be a Uint8Array, not a ${typeName(bytes)}`);
}

/** What is wrong with a cell of this tag and payload size, or `undefined`. */
function cellProblem(tag, size, firstByte) {
  const fixed = (want) => (size === want ? undefined : `a ${size}-byte payload where ${want} bytes belong`);
  switch (tag) {
    case TAG_NULL:
      return fixed(0);
    case TAG_INTEGER:
    case TAG_FLOAT:
      return fixed(8);
    case TAG_BOOLEAN:
      return fixed(1) ?? (firstByte === 0 || firstByte === 1 ? undefined : 'a boolean that is neither 0 nor 1');
    case TAG_STRING:
    case TAG_DECIMAL:
    case TAG_DATE:
    case TAG_DATETIME:
      return undefined;
    default:
      return `unknown cell tag ${tag}`;
  }
}

/** One row of a {@link Batch}. */
export class Row {
  /**
   * @param {Batch} batch
   * @param {number} index
   */
  constructor(batch, index) {
    /** The batch the row belongs to. */
    this.batch = batch;
    /** The row's index in its batch (0-based). */
    this.index = index;
  }

  /**
   * The value of the column named `name` (see the table at the top of this module), or
   * `undefined` when the batch has no such column.
   * @param {string} name
   */
  get(name) {
    const column = this.batch.column(name);
    return column === undefined ? undefined : this.batch.cell(this.index, column);
  }

  /**
   * The value of the column named `name` with its kind, or `undefined` when the batch has no
   * such column.
   * @param {string} name
   * @returns {Value|undefined}
   */
  value(name) {
    const column = this.batch.column(name);
    if (column === undefined) return undefined;
    return new Value(this.batch.kind(this.index, column), this.batch.cell(this.index, column));
  }

  /**
   * The text in column `name`; null reads as `""`. A {@link RowError} names the row and field
   * when the column is missing or holds a number or boolean.
   * @param {string} name
   * @returns {string}
   */
  str(name) {
    const column = this.batch.column(name);
    if (column === undefined) throw this.error(name, 'the column is missing');
    const kind = this.batch.kind(this.index, column);
    if (kind === 'null') return '';
    if (!(kind in TEXT_TAGS)) throw this.error(name, `expected text, found a ${kind}`);
    return this.batch.cell(this.index, column);
  }

  /**
   * The trimmed text in column `name`, or `undefined` when it is null or blank.
   * @param {string} name
   * @returns {string|undefined}
   */
  optStr(name) {
    const text = this.str(name).trim();
    return text === '' ? undefined : text;
  }

  /**
   * The trimmed text in column `name`; a {@link RowError} says the field is required when it
   * is null or blank.
   * @param {string} name
   * @returns {string}
   */
  required(name) {
    const text = this.optStr(name);
    if (text === undefined) throw this.error(name, 'a value is required');
    return text;
  }

  /**
   * An error about `field` of this row, to throw (a mapper rejects the row) or to pass to
   * {@link Mapped#reject}.
   * @param {string|undefined} field
   * @param {string} message
   * @returns {RowError}
   */
  error(field, message) {
    return new RowError(this.index, message, field);
  }

  /**
   * Column names with this row's values, in order.
   * @returns {Array<[string, *]>}
   */
  fields() {
    return this.batch.columns.map((name, column) => [name, this.batch.cell(this.index, column)]);
  }

  /**
   * The row as an object of column name to value (the first column of a repeated name wins).
   * @returns {Object<string, *>}
   */
  toObject() {
    const object = {};
    for (const [name, value] of this.fields()) if (!(name in object)) object[name] = value;
    return object;
  }
}

/** Builds a {@link Batch} row by row. */
export class BatchBuilder {
  /** @param {string[]} columns The column names. */
  constructor(columns) {
    /** The column names. */
    this.columns = Array.from(columns, String);
    this.cells = new Uint8Array(256);
    this.used = 0;
    this.offsets = [];
    this.rowCount = 0;
  }

  /** The number of rows so far. */
  get length() {
    return this.rowCount;
  }

  /**
   * Adds a row: one value per column, in column order (plain JavaScript values or
   * {@link Value}s).
   * @param {Array<*>} values
   * @throws {TypeError} When the row's width differs from the columns' (a plugin bug), or a
   *   value is not one Wharf can carry.
   */
  pushRow(values) {
    if (!Array.isArray(values) || values.length !== this.columns.length) {
      const width = Array.isArray(values) ? `${values.length} values` : `a ${typeName(values)}`;
      throw new TypeError(`a row of ${width} for ${this.columns.length} columns (${this.columns.join(', ')})`);
    }
    for (const value of values) this.pushCell(value);
    this.rowCount++;
  }

  /** Writes one cell. */
  pushCell(value) {
    this.offsets.push(this.used);
    const { kind, value: inner } = Value.of(value);
    switch (kind) {
      case 'null':
        this.reserve(1);
        this.cells[this.used++] = TAG_NULL;
        return;
      case 'boolean':
        this.reserve(2);
        this.cells[this.used++] = TAG_BOOLEAN;
        this.cells[this.used++] = inner ? 1 : 0;
        return;
      case 'integer':
        this.reserve(9);
        this.cells[this.used] = TAG_INTEGER;
        new DataView(this.cells.buffer).setBigInt64(this.used + 1, integer(inner), true);
        this.used += 9;
        return;
      case 'float':
        this.reserve(9);
        this.cells[this.used] = TAG_FLOAT;
        new DataView(this.cells.buffer).setFloat64(this.used + 1, Number(inner), true);
        this.used += 9;
        return;
      default:
        this.pushText(TEXT_TAGS[kind], String(inner));
    }
  }

  /** Writes a text cell: its tag, then its UTF-8 bytes. */
  pushText(tag, text) {
    // UTF-8 takes at most three bytes per UTF-16 unit.
    this.reserve(1 + text.length * 3);
    this.cells[this.used++] = tag;
    this.used += utf8Encoder.encodeInto(text, this.cells.subarray(this.used)).written;
  }

  /** Makes room for `bytes` more bytes. */
  reserve(bytes) {
    if (this.used + bytes <= this.cells.length) return;
    let size = this.cells.length * 2;
    while (size < this.used + bytes) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.cells.subarray(0, this.used));
    this.cells = grown;
  }

  /**
   * The finished batch.
   * @returns {Batch}
   */
  finish() {
    const bytes = new Uint8Array(this.used + this.offsets.length * 4 + 4);
    bytes.set(this.cells.subarray(0, this.used));
    const view = new DataView(bytes.buffer);
    let at = this.used;
    for (const offset of this.offsets) {
      view.setUint32(at, offset, true);
      at += 4;
    }
    view.setUint32(at, this.rowCount, true);
    return new Batch(this.columns, bytes);
  }
}

/** A number or BigInt as an i64, or a TypeError naming it. */
function integer(value) {
  let number;
  if (typeof value === 'bigint') {
    number = value;
  } else if (Number.isSafeInteger(value)) {
    number = BigInt(value);
  } else {
    throw new TypeError(`${value} is not a whole number an integer cell can hold (use Value.float for fractions)`);
  }
  if (number < MIN_I64 || number > MAX_I64) throw new TypeError(`${value} does not fit in 64 bits`);
  return number;
}

/**
 * Where a call comes from. Everything but `entity` is `null` when not known, e.g. when a
 * plugin runs on a sample file from the command line.
 * @typedef {object} Context
 * @property {string} entity The entity the call is for (`Customer`, `SalesOrderHeader`).
 * @property {string|null} company The company (`dataAreaId`) the data belongs to.
 * @property {string|null} job The recurring job's activity id.
 * @property {string|null} message The queue message being processed.
 * @property {string|null} correlationId The sender's correlation id.
 */

/** The {@link Context} of a WIT `call-context`. */
function context(ctx) {
  const known = (value) => (value === undefined ? null : value);
  return {
    entity: ctx.entity,
    company: known(ctx.company),
    job: known(ctx.job),
    message: known(ctx.message),
    correlationId: known(ctx.correlationId),
  };
}

/**
 * What a mapper made of a batch: rows for one or more entities, and the input rows it
 * rejected.
 */
export class Mapped {
  constructor() {
    this.outputs = [];
    /** The rejected rows. @type {RowError[]} */
    this.errors = [];
  }

  /**
   * Declares rows for `entity` with these fields; returns the output to
   * {@link Mapped#push} them to.
   * @param {string} entity
   * @param {string[]} fields
   * @returns {number}
   */
  entity(entity, fields) {
    this.outputs.push({ entity: String(entity), builder: new BatchBuilder(fields), sourceRows: [] });
    return this.outputs.length - 1;
  }

  /**
   * Adds a row to `output`, made from input row `source`: one value per declared field.
   * @param {number} output What {@link Mapped#entity} returned.
   * @param {Row} source The input row it comes from.
   * @param {Array<*>} values
   */
  push(output, source, values) {
    const rows = this.outputs[output];
    if (rows === undefined) throw new TypeError(`no output ${output}: declare it with mapped.entity`);
    rows.builder.pushRow(values);
    rows.sourceRows.push(source.index);
  }

  /**
   * Rejects an input row; it is reported with its error and left out.
   * @param {RowError} error
   */
  reject(error) {
    if (!(error instanceof RowError)) throw new TypeError('mapped.reject takes a RowError (row.error(field, message))');
    this.errors.push(error);
  }

  /**
   * Calls `map(row)` for every row of `input`; a {@link RowError} it throws rejects that row
   * and the others go on. Anything else it throws fails the call.
   * @param {Batch} input
   * @param {function(Row): void} map
   */
  eachRow(input, map) {
    for (const row of input) {
      try {
        map(row);
      } catch (error) {
        if (!(error instanceof RowError)) throw error;
        this.reject(error);
      }
    }
  }

  /**
   * The finished outputs: entity, batch and source rows of each.
   * @returns {Array<{entity: string, batch: Batch, sourceRows: number[]}>}
   */
  finish() {
    return this.outputs.map(({ entity, builder, sourceRows }) => ({ entity, batch: builder.finish(), sourceRows }));
  }

  /** The WIT `mapped`. */
  toWit() {
    return {
      outputs: this.finish().map(({ entity, batch, sourceRows }) => ({
        entity,
        batch: batch.toWit(),
        sourceRows: Uint32Array.from(sourceRows),
      })),
      errors: this.errors.map((error) => error.toWit()),
    };
  }
}

/**
 * A whole document: an inbound file, or an outbound one.
 */
export class Document {
  /**
   * @param {string} format `csv`, `xml`, `json`, `xlsx`, `text` or a partner's own name.
   * @param {Uint8Array|string} content The bytes (a string is written as UTF-8).
   * @param {string|null} [name] The file's name, when it has one.
   */
  constructor(format, content, name = null) {
    /** The format. */
    this.format = String(format);
    /** The bytes. */
    this.content = typeof content === 'string' ? utf8Encoder.encode(content) : bytesOf(content, "a document's content", TypeError);
    /** The file's name, or `null`. */
    this.name = name ?? null;
  }

  /** The content as UTF-8 text; a {@link PluginError} when it is not UTF-8. */
  text() {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.content);
    } catch {
      throw new PluginError(`the ${this.format} document${this.name ? ` ${this.name}` : ''} is not UTF-8 text`);
    }
  }

  /** The document of a WIT `document`. */
  static fromWit(wit) {
    return new Document(wit.format, wit.content, wit.name ?? null);
  }

  /** The WIT `document`. */
  toWit() {
    return { format: this.format, name: this.name ?? undefined, content: this.content };
  }
}

/**
 * An action's parameters: a JSON object keyed by parameter name.
 */
export class Params {
  /**
   * Reads parameters from JSON text, which must be an object.
   * @param {string} text
   * @returns {Params}
   * @throws {PluginError}
   */
  static fromJson(text) {
    let value;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new PluginError(`action input is not JSON: ${error.message}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new PluginError('action input must be a JSON object');
    }
    return new Params(value);
  }

  /** @param {Object<string, *>} values */
  constructor(values) {
    /** The parameters as parsed. */
    this.values = values;
  }

  /**
   * Parameter `name`; a {@link PluginError} names it when it is missing or null, or not of
   * `type` (`string`, `number`, `boolean`, `object`, `array`) when one is given.
   * @param {string} name
   * @param {string} [type]
   */
  required(name, type) {
    const value = this.optional(name, type);
    if (value === undefined) throw new PluginError(`parameter ${name} is required`);
    return value;
  }

  /**
   * Parameter `name`, or `undefined` when it is missing or null; a {@link PluginError} when
   * it is not of `type`, when one is given.
   * @param {string} name
   * @param {string} [type]
   */
  optional(name, type) {
    const value = this.values[name];
    if (value === undefined || value === null) return undefined;
    const actual = Array.isArray(value) ? 'array' : typeof value;
    if (type !== undefined && actual !== type) {
      throw new PluginError(`parameter ${name}: expected a ${type}, found a ${actual}`);
    }
    return value;
  }

  /**
   * The key of the row an instance-bound action was called on (the `@key` member the host
   * adds): every key field with its value, `dataAreaId` included for company-scoped entities.
   * @returns {Object<string, *>}
   */
  key() {
    const key = this.values['@key'];
    if (key === null || typeof key !== 'object' || Array.isArray(key)) {
      throw new PluginError('the action was not called on a row: its input has no @key');
    }
    for (const [name, value] of Object.entries(key)) {
      if (value !== null && typeof value === 'object') throw new PluginError(`@key field ${name} is not a single value`);
    }
    return key;
  }
}

/**
 * A thrown value as the {@link PluginError} whose `payload` componentize-js returns as the
 * call's `err`: a {@link PluginError} as it is; a {@link RowError} (a filter or transform
 * cannot reject one row) with its row and field; a {@link BatchError}, met reading a cell of
 * the input, as the input's fault; anything else, a bug in the plugin such as
 * a `TypeError`, with its name and message, its stack written to the host's log.
 */
function asPluginError(error) {
  if (error instanceof PluginError) return error;
  if (error instanceof RowError) return new PluginError(error.toString());
  if (error instanceof BatchError) return new PluginError(`input batch: ${error.message}`);
  // Errors made by the engine's bindings are of another realm, which `instanceof` misses.
  if (error !== null && typeof error === 'object' && typeof error.message === 'string') {
    const name = typeof error.name === 'string' ? error.name : 'Error';
    console.error(`${name}: ${error.message}${error.stack ? `\n${error.stack}` : ''}`);
    return new PluginError(`${name}: ${error.message}`);
  }
  return new PluginError(`the plugin threw ${typeName(error)} ${safeText(error)}`);
}

/** A thrown value that is not an Error, as text for a message. */
function safeText(value) {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Runs `call`, turning what it throws into a {@link PluginError} where that is meant. */
function guarded(call) {
  try {
    return call();
  } catch (error) {
    throw asPluginError(error);
  }
}

/**
 * The `mapper` export of a plugin: `export const mapper = defineMapper((ctx, input) => ...)`.
 *
 * `map(ctx, input)` gets the call's {@link Context} and a {@link Batch}, and returns a
 * {@link Mapped}. Reject single rows with {@link Mapped#reject} (or throw a {@link RowError}
 * inside {@link Mapped#eachRow}); throw a {@link PluginError} only when the whole batch is
 * unusable.
 * @param {function(Context, Batch): Mapped} map
 */
export function defineMapper(map) {
  return {
    map(ctx, input) {
      return guarded(() => {
        const mapped = map(context(ctx), Batch.fromWit(input));
        if (!(mapped instanceof Mapped)) throw new PluginError('the mapper returned no Mapped (return new Mapped() filled)');
        return mapped.toWit();
      });
    },
  };
}

/**
 * The `filter` export of a plugin: `export const filter = defineFilter((ctx, input) => ...)`.
 *
 * `keep(ctx, input)` returns one answer per input row, in order: true keeps it.
 * @param {function(Context, Batch): Iterable<boolean>} keep
 */
export function defineFilter(keep) {
  return {
    keep(ctx, input) {
      return guarded(() => {
        const batch = Batch.fromWit(input);
        const answers = booleans(keep(context(ctx), batch));
        if (answers.length !== batch.length) {
          throw new PluginError(`the filter answered for ${answers.length} rows of a batch of ${batch.length}`);
        }
        return answers;
      });
    },
  };
}

/** The answers of a filter as an array of booleans, by a plain loop (cheapest in the interpreter). */
function booleans(answers) {
  const list = Array.isArray(answers) ? answers : Array.from(answers);
  const flags = new Array(list.length);
  for (let index = 0; index < list.length; index++) flags[index] = !!list[index];
  return flags;
}

/**
 * The `transform` export of a plugin:
 * `export const transform = defineTransform((ctx, document) => ...)`.
 *
 * `transform(ctx, document)` gets a {@link Document} and returns the reshaped one.
 * @param {function(Context, Document): Document} transform
 */
export function defineTransform(transform) {
  return {
    transform(ctx, input) {
      return guarded(() => {
        const output = transform(context(ctx), Document.fromWit(input));
        if (!(output instanceof Document)) throw new PluginError('the transform returned no Document');
        return output.toWit();
      });
    },
  };
}

/**
 * The `action` export of a plugin: `export const action = defineAction({ name: handler })`.
 *
 * Each handler `(ctx, params)` gets the call's {@link Context} and its {@link Params}, and
 * returns the result, any value `JSON.stringify` can write. Changes made through
 * `unit-of-work.js` are committed only when it returns; a thrown {@link PluginError} reaches
 * the caller as its message and throws them away.
 * @param {Object<string, function(Context, Params): *>} actions
 */
export function defineAction(actions) {
  return {
    invoke(ctx, name, input) {
      return guarded(() => {
        const handler = Object.hasOwn(actions, name) ? actions[name] : undefined;
        if (typeof handler !== 'function') {
          throw new PluginError(`this plugin has no action ${name} (it has ${Object.keys(actions).join(', ') || 'none'})`);
        }
        const result = handler(context(ctx), Params.fromJson(input));
        const json = JSON.stringify(result === undefined ? null : result);
        if (json === undefined) throw new PluginError(`action ${name} returned a value JSON cannot hold`);
        return json;
      });
    },
  };
}
