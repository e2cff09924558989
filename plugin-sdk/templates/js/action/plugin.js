// {{name}}: sets a customer's credit limit, refusing one above the manifest's ceiling.

import { defineAction, PluginError, Value } from './wharf/wharf.js';
import { config, log } from './wharf/host.js';
import { read, update } from './wharf/unit-of-work.js';

export const action = defineAction({
  /** Changes the customer's CreditLimit and answers with the old and the new one. */
  setCreditLimit(ctx, params) {
    const account = params.required('customerAccount', 'string');
    const text = String(params.required('creditLimit')).trim();
    if (!/^-?\d+(\.\d+)?$/.test(text)) throw new PluginError('creditLimit must be a number');
    const ceiling = config('max_credit_limit', '100000');
    if (Number(text) < 0 || Number(text) > Number(ceiling)) {
      throw new PluginError(`a credit limit must be between 0 and ${ceiling}`);
    }
    const key = { CustomerAccount: account };
    const customer = read('Customer', key);
    if (customer === null) throw new PluginError(`there is no customer ${account}`);
    update('Customer', key, { CreditLimit: Value.decimal(text) });
    log('info', `credit limit of ${account} set to ${text}`);
    return { customerAccount: account, previous: customer.CreditLimit ?? null, creditLimit: text };
  },
});
