// Keeps the rows of the company being imported and drops inactive records. The columns and
// the status words that mean "inactive" come from the manifest's config. The JavaScript twin
// of the Rust plugin `company-filter`: the same config, the same answers.

import { defineFilter, PluginError } from './wharf/wharf.js';
import { config } from './wharf/host.js';

export const filter = defineFilter((ctx, input) => {
  const companyColumn = config('company_column', 'dataAreaId');
  const statusColumn = config('status_column', 'Status');
  const inactive = config('inactive', '')
    .split(',')
    .map((word) => word.trim().toLowerCase())
    .filter((word) => word !== '');
  const company = ctx.company?.toLowerCase() ?? null;
  if (company !== null && input.column(companyColumn) === undefined) {
    throw new PluginError(`the input has no ${companyColumn} column to filter on`);
  }
  return input.rows().map((row) => {
    const have = text(row.get(companyColumn));
    const sameCompany = company === null || (have !== null && have.trim().toLowerCase() === company);
    const status = (text(row.get(statusColumn)) ?? '').trim().toLowerCase();
    return sameCompany && !inactive.includes(status);
  });
});

/** A cell's text, or null when it holds no text (a number, a boolean, null, no column). */
function text(value) {
  return typeof value === 'string' ? value : null;
}
