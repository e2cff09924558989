/**
 * Rows and keys as they cross to the host: JavaScript objects of field name to value on the
 * plugin's side, WIT `list<field>` on the host's. Shared by `host.js` and `unit-of-work.js`.
 *
 * @module wharf/fields
 */

import { PluginError, Value, typeName } from './wharf.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The WIT `value` of a plain JavaScript value or a {@link Value}.
 * @param {*} value
 */
export function witValue(value) {
  const { kind, value: inner } = Value.of(value);
  switch (kind) {
    case 'null':
      return { tag: 'null' };
    case 'integer':
      return { tag: 'integer', val: BigInt(inner) };
    case 'float':
      return { tag: 'float', val: Number(inner) };
    case 'boolean':
      return { tag: 'boolean', val: Boolean(inner) };
    default:
      return { tag: kind, val: String(inner) };
  }
}

/**
 * The plain JavaScript value of a WIT `value`, as `row.get` gives it: decimals, dates and
 * date-times as their text, integers as numbers (BigInts past ±2^53).
 */
export function jsValue(value) {
  switch (value.tag) {
    case 'null':
      return null;
    case 'integer': {
      const number = BigInt(value.val);
      return number <= MAX_SAFE && number >= -MAX_SAFE ? Number(number) : number;
    }
    default:
      return value.val;
  }
}

/**
 * The WIT `list<field>` of an object of field name to value (a key, criteria, a row, changes).
 * @param {Object<string, *>} fields
 * @param {string} what What the fields are, for the error message (`key`, `row`).
 */
export function witFields(fields, what) {
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    throw new PluginError(`the ${what} must be an object of field name to value, not a ${typeName(fields)}`);
  }
  return Object.entries(fields).map(([name, value]) => {
    try {
      return { name, value: witValue(value) };
    } catch (error) {
      throw new PluginError(`${what} field ${name}: ${error.message}`);
    }
  });
}

/**
 * The object of field name to value of a WIT `list<field>`.
 * @returns {Object<string, *>}
 */
export function jsFields(fields) {
  const object = {};
  for (const { name, value } of fields) object[name] = jsValue(value);
  return object;
}

/**
 * Calls a host function whose WIT result's error is a string; that error comes back as a
 * {@link PluginError} with `what` before it.
 */
export function hostCall(what, call) {
  try {
    return call();
  } catch (error) {
    const message = error?.payload ?? error?.message ?? String(error);
    throw new PluginError(`${what}: ${message}`);
  }
}
