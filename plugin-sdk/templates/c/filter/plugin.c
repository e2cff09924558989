/* {{name}}: keeps the rows whose status is not one of the closed ones. */
#include <stdlib.h>
#include <string.h>

#include "wharf.h"

/* Whether `status` is one of the comma-separated words in `closed`, ignoring case and blanks. */
static bool is_closed(wharf_str status, const char *closed) {
    status = wharf_str_trim(status);
    while (*closed != '\0') {
        const char *comma = strchr(closed, ',');
        size_t len = comma != NULL ? (size_t)(comma - closed) : strlen(closed);
        wharf_str word = wharf_str_trim((wharf_str){closed, len});
        char *text = wharf_str_dup(word);
        bool same = text != NULL && word.len > 0 && wharf_str_eq_ignore_case(status, text);
        free(text);
        if (same) {
            return true;
        }
        closed += comma != NULL ? len + 1 : len;
    }
    return false;
}

bool wharf_keep(const wharf_context *ctx, wharf_batch *input, bool *keep, wharf_error *error) {
    (void)ctx;
    char *column = wharf_config("status_column");
    char *closed = wharf_config("closed");
    const char *status_column = column != NULL ? column : "Status";
    bool ok = wharf_batch_column(input, wharf_s(status_column)) >= 0;
    if (!ok) {
        wharf_fail(error, "the input has no %s column to filter on", status_column);
    }
    for (size_t index = 0; ok && index < wharf_batch_len(input); index++) {
        wharf_value status;
        wharf_str text = {"", 0};
        wharf_row_get(wharf_batch_row(input, index), status_column, &status);
        wharf_value_text(status, &text);
        keep[index] = !is_closed(text, closed != NULL ? closed : "");
    }
    free(column);
    free(closed);
    return ok;
}
