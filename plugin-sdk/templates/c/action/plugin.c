/* {{name}}: sets a customer's credit limit, refusing one above the manifest's ceiling. */
#include <stdlib.h>
#include <string.h>

#include "wharf.h"

/* Whether `text` is a non-negative decimal number: digits with at most one `.`. */
static bool is_amount(const char *text) {
    size_t digits = strspn(text, "0123456789");
    const char *rest = text + digits;
    if (*rest == '.') {
        size_t fraction = strspn(rest + 1, "0123456789");
        digits += fraction;
        rest += 1 + fraction;
    }
    return digits > 0 && *rest == '\0';
}

/* Changes the customer's CreditLimit and answers with the old and the new one. */
static bool set_credit_limit(const char *account, const char *limit, wharf_buffer *output, wharf_error *error) {
    char *ceiling = wharf_config("max_credit_limit");
    double most = strtod(ceiling != NULL ? ceiling : "100000", NULL);
    free(ceiling);
    if (!is_amount(limit)) {
        return wharf_fail(error, "creditLimit must be a number");
    }
    if (strtod(limit, NULL) > most) {
        return wharf_fail(error, "a credit limit must be between 0 and %g", most);
    }
    wharf_field key[] = {{wharf_s("CustomerAccount"), wharf_string(account)}};
    wharf_fields customer;
    wharf_found found = wharf_uow_read("Customer", key, 1, &customer, error);
    if (found == WHARF_FAILED) {
        return false;
    }
    if (found == WHARF_ABSENT) {
        return wharf_fail(error, "there is no customer %s", account);
    }
    wharf_field change[] = {{wharf_s("CreditLimit"), wharf_decimal(wharf_s(limit))}};
    bool updated = wharf_uow_update("Customer", key, 1, change, 1, error);
    if (updated) {
        wharf_log(WHARF_INFO, "credit limit of %s set to %s", account, limit);
        wharf_value previous;
        wharf_str previous_text;
        wharf_buffer_append_str(output, wharf_s("{\"customerAccount\":"));
        wharf_buffer_append_json_string(output, wharf_s(account));
        wharf_buffer_append_str(output, wharf_s(",\"previous\":"));
        if (wharf_fields_get(&customer, "CreditLimit", &previous) && wharf_value_text(previous, &previous_text)) {
            wharf_buffer_append_json_string(output, previous_text);
        } else {
            wharf_buffer_append_str(output, wharf_s("null"));
        }
        wharf_buffer_append_str(output, wharf_s(",\"creditLimit\":"));
        wharf_buffer_append_json_string(output, wharf_s(limit));
        wharf_buffer_append_str(output, wharf_s("}"));
    }
    wharf_fields_free(&customer);
    return updated;
}

bool wharf_invoke(const wharf_context *ctx, wharf_str name, wharf_str input, wharf_buffer *output,
                  wharf_error *error) {
    (void)ctx;
    if (!wharf_str_eq(name, "setCreditLimit")) {
        return wharf_fail(error, "unknown action %.*s", (int)name.len, name.ptr);
    }
    char *account = wharf_param_string(input, "customerAccount");
    char *limit = wharf_param_string(input, "creditLimit");
    bool ok;
    if (account == NULL) {
        ok = wharf_fail(error, "the parameter customerAccount is required, as text");
    } else if (limit == NULL) {
        ok = wharf_fail(error, "the parameter creditLimit is required, as text (\"2500.00\")");
    } else {
        ok = set_credit_limit(account, limit, output, error);
    }
    free(account);
    free(limit);
    return ok;
}
