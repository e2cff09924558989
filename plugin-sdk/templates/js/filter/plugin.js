// {{name}}: keeps the rows whose status is not one of the closed ones.

import { defineFilter, PluginError } from './wharf/wharf.js';
import { config } from './wharf/host.js';

/** One answer per row, in order: true keeps the row. */
export const filter = defineFilter((ctx, input) => {
  const statusColumn = config('status_column', 'Status');
  const closed = config('closed', '')
    .split(',')
    .map((word) => word.trim().toLowerCase())
    .filter((word) => word !== '');
  if (input.column(statusColumn) === undefined) {
    throw new PluginError(`the input has no ${statusColumn} column to filter on`);
  }
  return input.rows().map((row) => !closed.includes(String(row.get(statusColumn) ?? '').trim().toLowerCase()));
});
