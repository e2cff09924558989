/* {{name}}: turns a semicolon-separated file into the comma-separated one Wharf reads. */
#include <stdlib.h>
#include <string.h>

#include "wharf.h"

/* Writes one field, quoted when it holds a comma, a quote or a line break. */
static void write_field(wharf_buffer *out, const wharf_buffer *field) {
    bool quote = false;
    for (size_t at = 0; at < field->len; at++) {
        uint8_t c = field->ptr[at];
        quote = quote || c == ',' || c == '"' || c == '\n' || c == '\r';
    }
    if (!quote) {
        wharf_buffer_append(out, field->ptr, field->len);
        return;
    }
    wharf_buffer_append(out, "\"", 1);
    for (size_t at = 0; at < field->len; at++) {
        if (field->ptr[at] == '"') {
            wharf_buffer_append(out, "\"", 1);
        }
        wharf_buffer_append(out, &field->ptr[at], 1);
    }
    wharf_buffer_append(out, "\"", 1);
}

/* The same rows, separated by commas, without a byte order mark; quoted fields keep their
 * separators and line breaks. */
bool wharf_transform(const wharf_context *ctx, const wharf_document *input, wharf_buffer *output,
                     const char **format, wharf_error *error) {
    (void)ctx;
    char *configured = wharf_config("delimiter");
    char delimiter = configured != NULL && strlen(configured) == 1 ? configured[0] : ';';
    bool bad_delimiter = configured != NULL && strlen(configured) != 1;
    free(configured);
    if (bad_delimiter) {
        return wharf_fail(error, "the delimiter must be one character");
    }
    const uint8_t *at = input->content, *end = input->content + input->len;
    if (end - at >= 3 && memcmp(at, "\xEF\xBB\xBF", 3) == 0) {
        at += 3;
    }
    wharf_buffer field = {0};
    bool quoted = false, row_has_fields = false;
    for (; at < end; at++) {
        char c = (char)*at;
        if (quoted) {
            if (c == '"' && at + 1 < end && at[1] == '"') {
                wharf_buffer_append(&field, "\"", 1);
                at++;
            } else if (c == '"') {
                quoted = false;
            } else {
                wharf_buffer_append(&field, &c, 1);
            }
        } else if (c == '"') {
            quoted = true;
            row_has_fields = true;
        } else if (c == delimiter || c == '\n') {
            write_field(output, &field);
            wharf_buffer_append(output, c == delimiter ? "," : "\n", 1);
            field.len = 0;
            row_has_fields = c == delimiter;
        } else if (c != '\r') {
            wharf_buffer_append(&field, &c, 1);
            row_has_fields = true;
        }
    }
    if (quoted) {
        wharf_buffer_free(&field);
        return wharf_fail(error, "a quoted field is never closed");
    }
    if (row_has_fields) {
        write_field(output, &field);
        wharf_buffer_append(output, "\n", 1);
    }
    wharf_buffer_free(&field);
    *format = "csv";
    return true;
}
