/* {{name}}: maps a partner's customer list onto the Customer entity. */
#include <stdlib.h>

#include "wharf.h"

static const char *const FIELDS[] = {"CustomerAccount", "OrganizationName", "CreditLimit"};
enum { FIELD_COUNT = sizeof FIELDS / sizeof FIELDS[0] };

/* Reads `2500.00` or `2500,00` into `out` as a decimal's text; false when it is not a number. */
static bool amount(wharf_str text, wharf_buffer *out) {
    size_t digits = 0, separators = 0;
    out->len = 0;
    for (size_t at = 0; at < text.len; at++) {
        char c = text.ptr[at] == ',' ? '.' : text.ptr[at];
        digits += c >= '0' && c <= '9';
        separators += c == '.';
        if ((c < '0' || c > '9') && c != '.') {
            return false;
        }
        wharf_buffer_append(out, &c, 1);
    }
    return digits > 0 && separators <= 1;
}

/* One Customer row per input row; a row without an account number is rejected. */
static bool customer(wharf_row row, const char *prefix, wharf_buffer *account, wharf_buffer *limit,
                     wharf_value values[FIELD_COUNT], wharf_row_error *error) {
    wharf_str number, name, limit_text;
    if (!wharf_row_required(row, "cust_no", &number, error) ||
        !wharf_row_opt_str(row, "company_name", &name, error) ||
        !wharf_row_opt_str(row, "credit_limit", &limit_text, error)) {
        return false;
    }
    account->len = 0;
    wharf_buffer_append_str(account, wharf_s(prefix));
    for (size_t at = 0; at < number.len; at++) {
        char c = number.ptr[at] >= 'a' && number.ptr[at] <= 'z' ? (char)(number.ptr[at] - 'a' + 'A') : number.ptr[at];
        wharf_buffer_append(account, &c, 1);
    }
    values[0] = wharf_string_str(wharf_buffer_str(account));
    values[1] = wharf_string_str(name);
    values[2] = wharf_null();
    if (limit_text.len > 0) {
        if (!amount(limit_text, limit)) {
            *error = wharf_row_errorf(row, "credit_limit", "%.*s is not a number", (int)limit_text.len, limit_text.ptr);
            return false;
        }
        values[2] = wharf_decimal(wharf_buffer_str(limit));
    }
    return true;
}

bool wharf_map(const wharf_context *ctx, wharf_batch *input, wharf_mapped *output, wharf_error *error) {
    (void)ctx;
    (void)error;
    char *prefix = wharf_config("account_prefix");
    size_t customers = wharf_mapped_entity(output, "Customer", FIELDS, FIELD_COUNT);
    wharf_buffer account = {0}, limit = {0};
    for (size_t index = 0; index < wharf_batch_len(input); index++) {
        wharf_row row = wharf_batch_row(input, index);
        wharf_value values[FIELD_COUNT];
        wharf_row_error rejected;
        if (customer(row, prefix != NULL ? prefix : "", &account, &limit, values, &rejected)) {
            wharf_mapped_push(output, customers, row, values, FIELD_COUNT);
        } else {
            wharf_mapped_reject(output, rejected);
        }
    }
    wharf_buffer_free(&account);
    wharf_buffer_free(&limit);
    free(prefix);
    return true;
}
