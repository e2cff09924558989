/**
 * The unit of work an action runs in: reads and changes to the entities its manifest lists,
 * committed only when the action returns and thrown away when it throws. Rows, keys,
 * criteria and changes are objects of field name to value.
 *
 * Only an action may import this module: the other roles' worlds have no unit of work.
 *
 * @module wharf/unit-of-work
 */

import * as wit from 'wharf:plugin/unit-of-work@0.1.0';
import { jsFields, witFields, hostCall } from './fields.js';

/**
 * The row of `entity` whose key fields equal `key`, seeing this unit's own changes, or
 * `null` when there is none.
 * @param {string} entity
 * @param {Object<string, *>} key
 * @returns {Object<string, *>|null}
 */
export function read(entity, key) {
  const fields = witFields(key, 'key');
  const row = hostCall(`read from ${entity}`, () => wit.read(String(entity), fields));
  return row === undefined || row === null ? null : jsFields(row);
}

/**
 * The rows of `entity` whose fields equal every criterion, at most `limit`, in key order.
 * @param {string} entity
 * @param {Object<string, *>} criteria
 * @param {number} limit
 * @returns {Array<Object<string, *>>}
 */
export function find(entity, criteria, limit) {
  if (!Number.isInteger(limit) || limit < 0 || limit > 0xffffffff) {
    throw new TypeError(`find's limit must be a whole number from 0 to 4294967295, not ${limit}`);
  }
  const fields = witFields(criteria, 'criteria');
  return hostCall(`find in ${entity}`, () => wit.find(String(entity), fields, limit)).map(jsFields);
}

/**
 * Adds `row` to `entity`. A {@link PluginError} when its key is taken or a required field is
 * missing.
 * @param {string} entity
 * @param {Object<string, *>} row
 */
export function insert(entity, row) {
  const fields = witFields(row, 'row');
  hostCall(`insert into ${entity}`, () => wit.insert(String(entity), fields));
}

/**
 * Changes `changes` in the row of `entity` whose key fields equal `key`. A
 * {@link PluginError} when there is no such row.
 * @param {string} entity
 * @param {Object<string, *>} key
 * @param {Object<string, *>} changes
 */
export function update(entity, key, changes) {
  const keyFields = witFields(key, 'key');
  const changed = witFields(changes, 'changes');
  hostCall(`update of ${entity}`, () => wit.update(String(entity), keyFields, changed));
}
