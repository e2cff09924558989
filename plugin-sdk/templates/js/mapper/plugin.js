// {{name}}: maps a partner's customer list onto the Customer entity.

import { defineMapper, Mapped, Value } from './wharf/wharf.js';
import { config } from './wharf/host.js';

const FIELDS = ['CustomerAccount', 'OrganizationName', 'CreditLimit'];

/** One Customer row per input row; a row without an account number is rejected. */
export const mapper = defineMapper((ctx, input) => {
  const prefix = config('account_prefix', '');
  const mapped = new Mapped();
  const customers = mapped.entity('Customer', FIELDS);
  mapped.eachRow(input, (row) => {
    const account = row.required('cust_no').toUpperCase();
    const name = row.str('company_name').trim();
    let limit = row.optStr('credit_limit');
    if (limit !== undefined) {
      limit = limit.replace(',', '.');
      if (!/^\d+(\.\d+)?$/.test(limit)) throw row.error('credit_limit', `${limit} is not a number`);
      limit = Value.decimal(limit);
    }
    mapped.push(customers, row, [prefix + account, name, limit ?? null]);
  });
  return mapped;
});
