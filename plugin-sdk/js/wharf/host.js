/**
 * Services the host offers every plugin: its structured log, the manifest's configuration and
 * read-only entity lookups.
 *
 * @module wharf/host
 */

import * as wit from 'wharf:plugin/host@0.1.0';
import { jsFields, witFields, hostCall } from './fields.js';

const LEVELS = ['debug', 'info', 'warn', 'error'];

/**
 * Writes a line to the host's structured log, tagged with this plugin's name and version.
 * @param {'debug'|'info'|'warn'|'error'} level
 * @param {string} message
 */
export function log(level, message) {
  if (!LEVELS.includes(level)) throw new TypeError(`log level ${level} is not one of ${LEVELS.join(', ')}`);
  wit.log(level, String(message));
}

/**
 * A value from the `[config]` table of this plugin's manifest, or `fallback` (default
 * `undefined`) when it has none.
 * @param {string} key
 * @param {string} [fallback]
 * @returns {string|undefined}
 */
export function config(key, fallback) {
  return wit.config(String(key)) ?? fallback;
}

/**
 * Reads the committed row of `entity` whose key fields equal `key`, for reference checks
 * ("does this customer group exist"). Returns the row as an object of field name to value, or
 * `null` when there is none; a {@link PluginError} when the entity is unknown or the key does
 * not name its key fields.
 * @param {string} entity
 * @param {Object<string, *>} key e.g. `{ dataAreaId: 'usmf', CustomerGroupId: '10' }`
 * @returns {Object<string, *>|null}
 */
export function lookup(entity, key) {
  const fields = witFields(key, 'key');
  const row = hostCall(`lookup in ${entity}`, () => wit.lookup(String(entity), fields));
  return row === undefined || row === null ? null : jsFields(row);
}
