/*
 * Maps Northwind's customer CSV onto the `Customer` entity: renames its columns, trims and
 * upper-cases codes, converts country names and both decimal conventions, and computes the
 * customer group. The C twin of the Rust `customer-csv-mapper`: same config, same rows, same
 * row errors.
 */
#include <stdlib.h>
#include <string.h>

#include "wharf.h"

/* The `Customer` fields this mapper fills, in order. */
static const char *const CUSTOMER_FIELDS[] = {
    "CustomerAccount",     "OrganizationName",       "AddressStreet",
    "AddressZipCode",      "AddressCity",            "AddressCountryRegionId",
    "PrimaryContactPhone", "CreditLimit",            "CustomerGroupId",
};
enum { FIELD_COUNT = sizeof CUSTOMER_FIELDS / sizeof CUSTOMER_FIELDS[0] };

/* Settings from the manifest, read once per batch. */
typedef struct settings {
    /* Customers in this country (ISO 3166 alpha-3) are domestic. */
    char *home_country;
    /* Put before every account number. */
    char *account_prefix;
} settings;

/* Northwind writes countries as names, ISO alpha-2 or alpha-3 codes; the entity wants alpha-3. */
static const char *country_code(wharf_str text) {
    static const char *const countries[][4] = {
        {"USA", "US", "UNITED STATES", "UNITED STATES OF AMERICA"},
        {"DEU", "DE", "GERMANY", "DEUTSCHLAND"},
        {"GBR", "GB", "UK", "UNITED KINGDOM"},
        {"FRA", "FR", "FRANCE", NULL},
        {"NLD", "NL", "NETHERLANDS", NULL},
        {"CAN", "CA", "CANADA", NULL},
        {"MEX", "MX", "MEXICO", NULL},
        {"DNK", "DK", "DENMARK", NULL},
    };
    for (size_t country = 0; country < sizeof countries / sizeof countries[0]; country++) {
        for (size_t name = 0; name < 4 && countries[country][name] != NULL; name++) {
            if (wharf_str_eq_ignore_case(text, countries[country][name])) {
                return countries[country][0];
            }
        }
    }
    return NULL;
}

/*
 * Reads `1,234.50`, `1.234,50`, `1234.5` or `-20` into `out`: whichever of `.` and `,` comes
 * last is the decimal separator, unless it occurs more than once (`1.234.567`); the other
 * groups thousands. False when the text is not an amount.
 */
static bool decimal(wharf_str text, wharf_buffer *out) {
    char separator = 0;
    for (size_t at = text.len; at > 0; at--) {
        if (text.ptr[at - 1] == '.' || text.ptr[at - 1] == ',') {
            separator = text.ptr[at - 1];
            break;
        }
    }
    size_t occurrences = 0;
    for (size_t at = 0; at < text.len; at++) {
        occurrences += separator != 0 && text.ptr[at] == separator;
    }
    if (occurrences != 1) {
        separator = 0;
    }
    bool digits = false;
    out->len = 0;
    for (size_t at = 0; at < text.len; at++) {
        char c = text.ptr[at];
        if (c >= '0' && c <= '9') {
            wharf_buffer_append(out, &c, 1);
            digits = true;
        } else if (c == '-' && at == 0) {
            wharf_buffer_append(out, &c, 1);
        } else if (c == '.' || c == ',') {
            if (c == separator) {
                wharf_buffer_append(out, ".", 1);
            }
        } else {
            return false;
        }
    }
    return digits;
}

/* The text buffers one customer's values point into, reused across rows. */
typedef struct scratch {
    wharf_buffer account;
    wharf_buffer phone;
    wharf_buffer credit_limit;
} scratch;

/* Maps one source row into `values`; false with `error` set when the row is rejected. */
static bool map_customer(const settings *settings, wharf_row row, scratch *scratch,
                         wharf_value values[FIELD_COUNT], wharf_row_error *error) {
    wharf_str cust_no, country_text, credit_text, name, street, zip, city, phone;
    if (!wharf_row_required(row, "cust_no", &cust_no, error)) {
        return false;
    }
    scratch->account.len = 0;
    wharf_buffer_append_str(&scratch->account, wharf_s(settings->account_prefix));
    for (size_t at = 0; at < cust_no.len; at++) {
        char c = cust_no.ptr[at];
        char upper = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
        wharf_buffer_append(&scratch->account, &upper, 1);
    }
    if (!wharf_row_required(row, "country", &country_text, error)) {
        return false;
    }
    const char *country = country_code(country_text);
    if (country == NULL) {
        *error = wharf_row_errorf(row, "country", "unknown country '%.*s'", (int)country_text.len,
                                  country_text.ptr);
        return false;
    }
    if (!wharf_row_opt_str(row, "credit_limit", &credit_text, error)) {
        return false;
    }
    if (credit_text.len == 0) {
        scratch->credit_limit.len = 0;
        wharf_buffer_append(&scratch->credit_limit, "0", 1);
    } else if (!decimal(credit_text, &scratch->credit_limit)) {
        *error = wharf_row_errorf(row, "credit_limit", "'%.*s' is not an amount", (int)credit_text.len,
                                  credit_text.ptr);
        return false;
    }
    if (!wharf_row_required(row, "company_name", &name, error) ||
        !wharf_row_opt_str(row, "street", &street, error) ||
        !wharf_row_opt_str(row, "postcode", &zip, error) ||
        !wharf_row_opt_str(row, "city", &city, error) || !wharf_row_str(row, "phone", &phone, error)) {
        return false;
    }
    scratch->phone.len = 0;
    for (size_t at = 0; at < phone.len; at++) {
        if ((phone.ptr[at] >= '0' && phone.ptr[at] <= '9') || phone.ptr[at] == '+') {
            wharf_buffer_append(&scratch->phone, &phone.ptr[at], 1);
        }
    }
    values[0] = wharf_string_str(wharf_buffer_str(&scratch->account));
    values[1] = wharf_string_str(name);
    values[2] = wharf_string_str(street);
    values[3] = wharf_string_str(zip);
    values[4] = wharf_string_str(city);
    values[5] = wharf_string(country);
    values[6] = wharf_string_str(wharf_buffer_str(&scratch->phone));
    values[7] = wharf_decimal(wharf_buffer_str(&scratch->credit_limit));
    values[8] = wharf_string(strcmp(country, settings->home_country) == 0 ? "DOM" : "INTL");
    return true;
}

bool wharf_map(const wharf_context *ctx, wharf_batch *input, wharf_mapped *output, wharf_error *error) {
    (void)ctx;
    (void)error;
    char *home_country = wharf_config("home_country");
    char *account_prefix = wharf_config("account_prefix");
    settings settings = {
        home_country != NULL ? home_country : "USA",
        account_prefix != NULL ? account_prefix : "",
    };
    size_t customers = wharf_mapped_entity(output, "Customer", CUSTOMER_FIELDS, FIELD_COUNT);
    scratch scratch = {{0}};
    for (size_t index = 0; index < wharf_batch_len(input); index++) {
        wharf_row row = wharf_batch_row(input, index);
        wharf_value values[FIELD_COUNT];
        wharf_row_error rejected;
        if (map_customer(&settings, row, &scratch, values, &rejected)) {
            wharf_mapped_push(output, customers, row, values, FIELD_COUNT);
        } else {
            wharf_mapped_reject(output, rejected);
        }
    }
    wharf_buffer_free(&scratch.account);
    wharf_buffer_free(&scratch.phone);
    wharf_buffer_free(&scratch.credit_limit);
    free(home_country);
    free(account_prefix);
    return true;
}
