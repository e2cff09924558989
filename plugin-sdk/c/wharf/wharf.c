/*
 * wharf.c: the C SDK for Wharf plugins (see wharf.h): the compact row codec, the call's
 * outputs, and the glue between the generated bindings of the role's world and the plugin's
 * entry point.
 */
#include "wharf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wharf_bindings.h"

/* The bindings link their world's type from an object file; build.sh embeds the same type
 * from the WIT with `wasm-tools component embed` instead, so this stands in for that object. */
void __component_type_object_force_link_wharf_bindings(void) {}

enum { TAG_BYTES = 1, OFFSET_BYTES = 4, COUNT_BYTES = 4, FIXED_BYTES = 8 };

/* Out of memory inside a plugin ends the call: the host reports the trap. */
static void *checked(void *memory) {
    if (memory == NULL) {
        __builtin_trap();
    }
    return memory;
}

static void *grow(void *memory, size_t *capacity, size_t needed, size_t item) {
    if (needed <= *capacity) {
        return memory;
    }
    size_t next = *capacity < 8 ? 8 : *capacity * 2;
    while (next < needed) {
        next *= 2;
    }
    *capacity = next;
    return checked(realloc(memory, next * item));
}

static char *vformat(const char *format, va_list args) {
    va_list copy;
    va_copy(copy, args);
    int len = vsnprintf(NULL, 0, format, copy);
    va_end(copy);
    if (len < 0) {
        len = 0;
    }
    char *text = checked(malloc((size_t)len + 1));
    vsnprintf(text, (size_t)len + 1, format, args);
    return text;
}

static char *format_text(const char *format, ...) {
    va_list args;
    va_start(args, format);
    char *text = vformat(format, args);
    va_end(args);
    return text;
}

/* ---- Text ------------------------------------------------------------------------------ */

wharf_str wharf_s(const char *text) {
    return (wharf_str){text, text == NULL ? 0 : strlen(text)};
}

bool wharf_str_eq(wharf_str text, const char *other) {
    size_t len = strlen(other);
    return text.len == len && memcmp(text.ptr, other, len) == 0;
}

static char ascii_upper(char c) {
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

bool wharf_str_eq_ignore_case(wharf_str text, const char *other) {
    size_t len = strlen(other);
    if (text.len != len) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (ascii_upper(text.ptr[i]) != ascii_upper(other[i])) {
            return false;
        }
    }
    return true;
}

static bool ascii_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

wharf_str wharf_str_trim(wharf_str text) {
    while (text.len > 0 && ascii_space(text.ptr[0])) {
        text.ptr++;
        text.len--;
    }
    while (text.len > 0 && ascii_space(text.ptr[text.len - 1])) {
        text.len--;
    }
    return text;
}

char *wharf_str_dup(wharf_str text) {
    char *copy = malloc(text.len + 1);
    if (copy != NULL) {
        if (text.len > 0) {
            memcpy(copy, text.ptr, text.len);
        }
        copy[text.len] = '\0';
    }
    return copy;
}

/* ---- Buffers ----------------------------------------------------------------------------- */

void wharf_buffer_append(wharf_buffer *buffer, const void *bytes, size_t len) {
    if (len == 0) {
        return;
    }
    buffer->ptr = grow(buffer->ptr, &buffer->capacity, buffer->len + len, 1);
    memcpy(buffer->ptr + buffer->len, bytes, len);
    buffer->len += len;
}

void wharf_buffer_append_str(wharf_buffer *buffer, wharf_str text) {
    wharf_buffer_append(buffer, text.ptr, text.len);
}

void wharf_buffer_printf(wharf_buffer *buffer, const char *format, ...) {
    va_list args;
    va_start(args, format);
    char *text = vformat(format, args);
    va_end(args);
    wharf_buffer_append(buffer, text, strlen(text));
    free(text);
}

void wharf_buffer_append_json_string(wharf_buffer *buffer, wharf_str text) {
    wharf_buffer_append(buffer, "\"", 1);
    for (size_t i = 0; i < text.len; i++) {
        unsigned char c = (unsigned char)text.ptr[i];
        if (c == '"' || c == '\\') {
            char escaped[2] = {'\\', (char)c};
            wharf_buffer_append(buffer, escaped, 2);
        } else if (c < 0x20) {
            wharf_buffer_printf(buffer, "\\u%04x", c);
        } else {
            wharf_buffer_append(buffer, &text.ptr[i], 1);
        }
    }
    wharf_buffer_append(buffer, "\"", 1);
}

wharf_str wharf_buffer_str(const wharf_buffer *buffer) {
    return (wharf_str){(const char *)buffer->ptr, buffer->len};
}

void wharf_buffer_free(wharf_buffer *buffer) {
    free(buffer->ptr);
    *buffer = (wharf_buffer){0};
}

/* ---- Values ------------------------------------------------------------------------------ */

wharf_value wharf_null(void) {
    return (wharf_value){.kind = WHARF_NULL};
}

wharf_value wharf_string(const char *text) {
    return wharf_string_str(wharf_s(text));
}

wharf_value wharf_string_str(wharf_str text) {
    return (wharf_value){.kind = WHARF_STRING, .as.text = text};
}

wharf_value wharf_integer(int64_t number) {
    return (wharf_value){.kind = WHARF_INTEGER, .as.integer = number};
}

wharf_value wharf_decimal(wharf_str text) {
    return (wharf_value){.kind = WHARF_DECIMAL, .as.text = text};
}

wharf_value wharf_float(double number) {
    return (wharf_value){.kind = WHARF_FLOAT, .as.number = number};
}

wharf_value wharf_boolean(bool flag) {
    return (wharf_value){.kind = WHARF_BOOLEAN, .as.boolean = flag};
}

wharf_value wharf_date(wharf_str text) {
    return (wharf_value){.kind = WHARF_DATE, .as.text = text};
}

wharf_value wharf_datetime(wharf_str text) {
    return (wharf_value){.kind = WHARF_DATETIME, .as.text = text};
}

static bool is_text_kind(wharf_kind kind) {
    return kind == WHARF_STRING || kind == WHARF_DECIMAL || kind == WHARF_DATE || kind == WHARF_DATETIME;
}

bool wharf_value_text(wharf_value value, wharf_str *text) {
    if (!is_text_kind(value.kind)) {
        return false;
    }
    *text = value.as.text;
    return true;
}

const char *wharf_kind_name(wharf_kind kind) {
    static const char *const names[] = {"null", "string", "integer", "decimal",
                                        "float", "boolean", "date", "datetime"};
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "unknown value";
}

/* ---- Errors ------------------------------------------------------------------------------ */

bool wharf_fail(wharf_error *error, const char *format, ...) {
    free(error->message);
    va_list args;
    va_start(args, format);
    error->message = vformat(format, args);
    va_end(args);
    return false;
}

void wharf_row_error_free(wharf_row_error *error) {
    free(error->field);
    free(error->message);
    error->field = NULL;
    error->message = NULL;
}

wharf_row_error wharf_row_errorf(wharf_row row, const char *field, const char *format, ...) {
    va_list args;
    va_start(args, format);
    char *message = vformat(format, args);
    va_end(args);
    char *owned_field = field == NULL ? NULL : checked(wharf_str_dup(wharf_s(field)));
    return (wharf_row_error){row.index, owned_field, message};
}

/* ---- Reading a batch ------------------------------------------------------------------- */

static uint32_t read_u32(const uint8_t *at) {
    return (uint32_t)at[0] | (uint32_t)at[1] << 8 | (uint32_t)at[2] << 16 | (uint32_t)at[3] << 24;
}

static void cell_bounds(const wharf_batch *batch, size_t cell, size_t *start, size_t *end) {
    *start = read_u32(batch->data + batch->cells_end + cell * OFFSET_BYTES);
    *end = cell + 1 < batch->rows * batch->column_count
               ? read_u32(batch->data + batch->cells_end + (cell + 1) * OFFSET_BYTES)
               : batch->cells_end;
}

/* Why a cell's bytes are not a valid cell, or NULL when they are. */
static const char *check_cell(const uint8_t *cell, size_t len) {
    if (len == 0) {
        return "empty cell";
    }
    size_t payload = len - TAG_BYTES;
    switch (cell[0]) {
    case WHARF_NULL:
        return payload == 0 ? NULL : "a null with a payload";
    case WHARF_INTEGER:
    case WHARF_FLOAT:
        return payload == FIXED_BYTES ? NULL : "a number whose payload is not 8 bytes";
    case WHARF_BOOLEAN:
        return payload == 1 && cell[1] <= 1 ? NULL : "a boolean that is neither 0 nor 1";
    case WHARF_STRING:
    case WHARF_DECIMAL:
    case WHARF_DATE:
    case WHARF_DATETIME:
        return NULL;
    default:
        return "unknown cell tag";
    }
}

static bool malformed(wharf_batch *batch, wharf_error *error, const char *problem, size_t cell) {
    size_t columns = batch->column_count == 0 ? 1 : batch->column_count;
    wharf_fail(error, "malformed row batch: row %zu, column %zu: %s", cell / columns, cell % columns,
               problem);
    wharf_batch_free(batch);
    return false;
}

bool wharf_batch_read(wharf_batch *batch, const wharf_str *columns, size_t column_count,
                      const uint8_t *data, size_t len, wharf_error *error) {
    *batch = (wharf_batch){.columns = (wharf_str *)columns, .column_count = column_count, .data = data};
    if (len < COUNT_BYTES) {
        return wharf_fail(error, "malformed row batch: %zu bytes is too short for the row count", len);
    }
    size_t trailer = len - COUNT_BYTES;
    uint64_t rows = read_u32(data + trailer);
    uint64_t offsets = rows * column_count * OFFSET_BYTES;
    if (offsets > trailer) {
        return wharf_fail(error, "malformed row batch: %llu rows of %zu columns do not fit in %zu bytes",
                          (unsigned long long)rows, column_count, len);
    }
    batch->rows = (size_t)rows;
    batch->cells_end = trailer - (size_t)offsets;
    batch->previous = (uint32_t)column_count;
    batch->successors = checked(calloc(column_count + 1, sizeof(uint32_t)));
    size_t expected = 0;
    for (size_t cell = 0; cell < batch->rows * column_count; cell++) {
        size_t start, end;
        cell_bounds(batch, cell, &start, &end);
        if (start != expected || end < start || end > batch->cells_end) {
            return malformed(batch, error, "cell offsets out of order or out of bounds", cell);
        }
        const char *problem = check_cell(data + start, end - start);
        if (problem != NULL) {
            return malformed(batch, error, problem, cell);
        }
        expected = end;
    }
    if (expected != batch->cells_end) {
        wharf_fail(error, "malformed row batch: %zu stray bytes after the last cell", batch->cells_end - expected);
        wharf_batch_free(batch);
        return false;
    }
    return true;
}

void wharf_batch_free(wharf_batch *batch) {
    free(batch->successors);
    batch->successors = NULL;
}

size_t wharf_batch_len(const wharf_batch *batch) {
    return batch->rows;
}

wharf_row wharf_batch_row(const wharf_batch *batch, size_t index) {
    return (wharf_row){batch, (uint32_t)index};
}

static bool column_is(const wharf_batch *batch, size_t column, wharf_str name) {
    wharf_str candidate = batch->columns[column];
    return candidate.len == name.len && memcmp(candidate.ptr, name.ptr, name.len) == 0;
}

long wharf_batch_column(wharf_batch *batch, wharf_str name) {
    size_t previous = batch->previous <= batch->column_count ? batch->previous : batch->column_count;
    size_t guess = batch->successors[previous];
    long found = -1;
    if (guess < batch->column_count && column_is(batch, guess, name)) {
        found = (long)guess;
    } else {
        for (size_t column = 0; column < batch->column_count; column++) {
            if (column_is(batch, column, name)) {
                found = (long)column;
                break;
            }
        }
    }
    if (found >= 0) {
        batch->successors[previous] = (uint32_t)found;
        batch->previous = (uint32_t)found;
    }
    return found;
}

static uint64_t read_u64(const uint8_t *at) {
    return (uint64_t)read_u32(at) | (uint64_t)read_u32(at + 4) << 32;
}

wharf_value wharf_row_value(wharf_row row, size_t column) {
    const wharf_batch *batch = row.batch;
    size_t start, end;
    cell_bounds(batch, (size_t)row.index * batch->column_count + column, &start, &end);
    const uint8_t *cell = batch->data + start;
    wharf_value value = {.kind = (wharf_kind)cell[0]};
    switch (value.kind) {
    case WHARF_INTEGER:
        value.as.integer = (int64_t)read_u64(cell + TAG_BYTES);
        break;
    case WHARF_FLOAT: {
        uint64_t bits = read_u64(cell + TAG_BYTES);
        memcpy(&value.as.number, &bits, sizeof bits);
        break;
    }
    case WHARF_BOOLEAN:
        value.as.boolean = cell[1] == 1;
        break;
    case WHARF_NULL:
        break;
    default:
        value.as.text = (wharf_str){(const char *)cell + TAG_BYTES, end - start - TAG_BYTES};
    }
    return value;
}

bool wharf_row_get(wharf_row row, const char *name, wharf_value *value) {
    long column = wharf_batch_column((wharf_batch *)row.batch, wharf_s(name));
    if (column < 0) {
        return false;
    }
    *value = wharf_row_value(row, (size_t)column);
    return true;
}

bool wharf_row_str(wharf_row row, const char *name, wharf_str *text, wharf_row_error *error) {
    wharf_value value;
    if (!wharf_row_get(row, name, &value)) {
        *error = wharf_row_errorf(row, name, "the column is missing");
        return false;
    }
    if (value.kind == WHARF_NULL) {
        *text = (wharf_str){"", 0};
        return true;
    }
    if (!wharf_value_text(value, text)) {
        *error = wharf_row_errorf(row, name, "expected text, found a %s", wharf_kind_name(value.kind));
        return false;
    }
    return true;
}

bool wharf_row_opt_str(wharf_row row, const char *name, wharf_str *text, wharf_row_error *error) {
    if (!wharf_row_str(row, name, text, error)) {
        return false;
    }
    *text = wharf_str_trim(*text);
    return true;
}

bool wharf_row_required(wharf_row row, const char *name, wharf_str *text, wharf_row_error *error) {
    if (!wharf_row_opt_str(row, name, text, error)) {
        return false;
    }
    if (text->len == 0) {
        *error = wharf_row_errorf(row, name, "a value is required");
        return false;
    }
    return true;
}

/* ---- Writing a batch ------------------------------------------------------------------- */

void wharf_builder_init(wharf_builder *builder, const char *const *columns, size_t column_count) {
    *builder = (wharf_builder){.column_count = column_count};
    builder->columns = checked(calloc(column_count + 1, sizeof(char *)));
    for (size_t i = 0; i < column_count; i++) {
        builder->columns[i] = checked(wharf_str_dup(wharf_s(columns[i])));
    }
}

static void push_cell(wharf_builder *builder, wharf_value value) {
    builder->offsets = grow(builder->offsets, &builder->offset_capacity, builder->offset_count + 1,
                            sizeof(uint32_t));
    builder->offsets[builder->offset_count++] = (uint32_t)builder->cells.len;
    uint8_t tag = (uint8_t)value.kind;
    wharf_buffer_append(&builder->cells, &tag, TAG_BYTES);
    uint8_t bytes[FIXED_BYTES];
    uint64_t bits = 0;
    switch (value.kind) {
    case WHARF_NULL:
        break;
    case WHARF_INTEGER:
    case WHARF_FLOAT:
        if (value.kind == WHARF_INTEGER) {
            bits = (uint64_t)value.as.integer;
        } else {
            memcpy(&bits, &value.as.number, sizeof bits);
        }
        for (int i = 0; i < FIXED_BYTES; i++) {
            bytes[i] = (uint8_t)(bits >> (8 * i));
        }
        wharf_buffer_append(&builder->cells, bytes, FIXED_BYTES);
        break;
    case WHARF_BOOLEAN:
        bytes[0] = value.as.boolean ? 1 : 0;
        wharf_buffer_append(&builder->cells, bytes, 1);
        break;
    default:
        wharf_buffer_append_str(&builder->cells, value.as.text);
    }
}

void wharf_builder_push(wharf_builder *builder, const wharf_value *values, size_t count) {
    if (count != builder->column_count) {
        if (builder->fault == NULL) {
            wharf_buffer names = {0};
            for (size_t i = 0; i < builder->column_count; i++) {
                wharf_buffer_printf(&names, "%s%s", i == 0 ? "" : ", ", builder->columns[i]);
            }
            builder->fault = format_text("a row of %zu values for %zu columns (%.*s)", count,
                                         builder->column_count, (int)names.len, (const char *)names.ptr);
            wharf_buffer_free(&names);
        }
        return;
    }
    for (size_t i = 0; i < count; i++) {
        push_cell(builder, values[i]);
    }
    builder->rows++;
}

void wharf_builder_finish(wharf_builder *builder) {
    uint8_t bytes[OFFSET_BYTES];
    for (size_t i = 0; i <= builder->offset_count; i++) {
        uint32_t number = i < builder->offset_count ? builder->offsets[i] : builder->rows;
        for (int b = 0; b < OFFSET_BYTES; b++) {
            bytes[b] = (uint8_t)(number >> (8 * b));
        }
        wharf_buffer_append(&builder->cells, bytes, OFFSET_BYTES);
    }
    if (builder->cells.ptr == NULL) {
        builder->cells.ptr = checked(malloc(1));
    }
}

void wharf_builder_free(wharf_builder *builder) {
    for (size_t i = 0; builder->columns != NULL && i < builder->column_count; i++) {
        free(builder->columns[i]);
    }
    free(builder->columns);
    wharf_buffer_free(&builder->cells);
    free(builder->offsets);
    free(builder->fault);
    *builder = (wharf_builder){0};
}

/* ---- Mapper output ------------------------------------------------------------------------ */

size_t wharf_mapped_entity(wharf_mapped *mapped, const char *entity, const char *const *fields,
                           size_t field_count) {
    mapped->outputs = checked(realloc(mapped->outputs, (mapped->output_count + 1) * sizeof(wharf_entity_rows)));
    wharf_entity_rows *output = &mapped->outputs[mapped->output_count];
    *output = (wharf_entity_rows){.entity = checked(wharf_str_dup(wharf_s(entity)))};
    wharf_builder_init(&output->rows, fields, field_count);
    return mapped->output_count++;
}

void wharf_mapped_push(wharf_mapped *mapped, size_t output, wharf_row source, const wharf_value *values,
                       size_t count) {
    wharf_entity_rows *rows = &mapped->outputs[output];
    uint32_t before = rows->rows.rows;
    wharf_builder_push(&rows->rows, values, count);
    if (rows->rows.rows == before) {
        return;
    }
    rows->source_rows = grow(rows->source_rows, &rows->source_capacity, before + 1, sizeof(uint32_t));
    rows->source_rows[before] = source.index;
}

void wharf_mapped_reject(wharf_mapped *mapped, wharf_row_error error) {
    mapped->errors = grow(mapped->errors, &mapped->error_capacity, mapped->error_count + 1, sizeof(wharf_row_error));
    mapped->errors[mapped->error_count++] = error;
}

/* ---- Host services ------------------------------------------------------------------------ */

typedef wharf_bindings_string_t host_string;

/* Borrows `text` as the bindings' string: an import reads it and does not free it. */
static host_string host_str(wharf_str text) {
    return (host_string){(uint8_t *)text.ptr, text.len};
}

static wharf_str from_host(host_string text) {
    return (wharf_str){(const char *)text.ptr, text.len};
}

/* Frees what the host wrote through cabi_realloc: a zero-length list has no allocation. */
static void free_host(void *ptr, size_t len) {
    if (len > 0) {
        free(ptr);
    }
}

/* Sets `error` from a message the host returned, and frees it. */
static void fail_from_host(wharf_error *error, host_string *message) {
    wharf_fail(error, "%.*s", (int)message->len, (const char *)message->ptr);
    free_host(message->ptr, message->len);
}

void wharf_log(wharf_level level, const char *format, ...) {
    va_list args;
    va_start(args, format);
    char *text = vformat(format, args);
    va_end(args);
    host_string message = host_str(wharf_s(text));
    wharf_plugin_host_log((wharf_plugin_host_level_t)level, &message);
    free(text);
}

char *wharf_config(const char *key) {
    host_string name = host_str(wharf_s(key));
    host_string value;
    if (!wharf_plugin_host_config(&name, &value)) {
        return NULL;
    }
    char *text = checked(wharf_str_dup(from_host(value)));
    free_host(value.ptr, value.len);
    return text;
}

static wharf_plugin_types_value_t to_host_value(wharf_value value) {
    wharf_plugin_types_value_t out = {.tag = (uint8_t)value.kind};
    switch (value.kind) {
    case WHARF_NULL:
        break;
    case WHARF_INTEGER:
        out.val.integer = value.as.integer;
        break;
    case WHARF_FLOAT:
        out.val.float_ = value.as.number;
        break;
    case WHARF_BOOLEAN:
        out.val.boolean = value.as.boolean;
        break;
    default:
        /* Every text case of the union is the same string at the same place. */
        out.val.string = host_str(value.as.text);
    }
    return out;
}

static wharf_value from_host_value(const wharf_plugin_types_value_t *value) {
    wharf_value out = {.kind = (wharf_kind)value->tag};
    switch (out.kind) {
    case WHARF_NULL:
        break;
    case WHARF_INTEGER:
        out.as.integer = value->val.integer;
        break;
    case WHARF_FLOAT:
        out.as.number = value->val.float_;
        break;
    case WHARF_BOOLEAN:
        out.as.boolean = value->val.boolean;
        break;
    default:
        out.as.text = from_host(value->val.string);
    }
    return out;
}

/* The fields as the bindings take them, borrowed; free the array (only) when done. */
static wharf_plugin_types_field_t *to_host_fields(const wharf_field *fields, size_t count) {
    wharf_plugin_types_field_t *out = checked(calloc(count == 0 ? 1 : count, sizeof *out));
    for (size_t i = 0; i < count; i++) {
        out[i] = (wharf_plugin_types_field_t){host_str(fields[i].name), to_host_value(fields[i].value)};
    }
    return out;
}

/* Takes a row the host returned: `fields` points into its strings until `wharf_fields_free`. */
static wharf_fields take_host_fields(wharf_plugin_types_field_t *fields, size_t count) {
    wharf_fields out = {checked(calloc(count == 0 ? 1 : count, sizeof(wharf_field))), count, fields};
    for (size_t i = 0; i < count; i++) {
        out.fields[i] = (wharf_field){from_host(fields[i].name), from_host_value(&fields[i].value)};
    }
    return out;
}

void wharf_fields_free(wharf_fields *fields) {
    for (size_t i = 0; i < fields->count; i++) {
        wharf_field *field = &fields->fields[i];
        free_host((void *)field->name.ptr, field->name.len);
        if (is_text_kind(field->value.kind)) {
            free_host((void *)field->value.as.text.ptr, field->value.as.text.len);
        }
    }
    free_host(fields->storage, fields->count);
    free(fields->fields);
    *fields = (wharf_fields){0};
}

bool wharf_fields_get(const wharf_fields *fields, const char *name, wharf_value *value) {
    for (size_t i = 0; i < fields->count; i++) {
        if (wharf_str_eq(fields->fields[i].name, name)) {
            *value = fields->fields[i].value;
            return true;
        }
    }
    return false;
}

wharf_found wharf_lookup(const char *entity, const wharf_field *key, size_t key_count, wharf_fields *row,
                         wharf_error *error) {
    host_string name = host_str(wharf_s(entity));
    wharf_plugin_host_list_field_t fields = {to_host_fields(key, key_count), key_count};
    wharf_plugin_host_option_list_field_t found;
    host_string message;
    bool ok = wharf_plugin_host_lookup(&name, &fields, &found, &message);
    free(fields.ptr);
    if (!ok) {
        fail_from_host(error, &message);
        return WHARF_FAILED;
    }
    if (!found.is_some) {
        return WHARF_ABSENT;
    }
    *row = take_host_fields(found.val.ptr, found.val.len);
    return WHARF_PRESENT;
}

#ifdef WHARF_ROLE_ACTION
wharf_found wharf_uow_read(const char *entity, const wharf_field *key, size_t key_count, wharf_fields *row,
                           wharf_error *error) {
    host_string name = host_str(wharf_s(entity));
    wharf_plugin_unit_of_work_list_field_t fields = {to_host_fields(key, key_count), key_count};
    wharf_plugin_unit_of_work_option_list_field_t found;
    host_string message;
    bool ok = wharf_plugin_unit_of_work_read(&name, &fields, &found, &message);
    free(fields.ptr);
    if (!ok) {
        fail_from_host(error, &message);
        return WHARF_FAILED;
    }
    if (!found.is_some) {
        return WHARF_ABSENT;
    }
    *row = take_host_fields(found.val.ptr, found.val.len);
    return WHARF_PRESENT;
}

bool wharf_uow_find(const char *entity, const wharf_field *criteria, size_t criteria_count, uint32_t limit,
                    wharf_fields **rows, size_t *count, wharf_error *error) {
    host_string name = host_str(wharf_s(entity));
    wharf_plugin_unit_of_work_list_field_t fields = {to_host_fields(criteria, criteria_count), criteria_count};
    wharf_plugin_unit_of_work_list_list_field_t found;
    host_string message;
    bool ok = wharf_plugin_unit_of_work_find(&name, &fields, limit, &found, &message);
    free(fields.ptr);
    if (!ok) {
        fail_from_host(error, &message);
        return false;
    }
    *rows = checked(calloc(found.len == 0 ? 1 : found.len, sizeof(wharf_fields)));
    *count = found.len;
    for (size_t i = 0; i < found.len; i++) {
        (*rows)[i] = take_host_fields(found.ptr[i].ptr, found.ptr[i].len);
    }
    free_host(found.ptr, found.len);
    return true;
}

bool wharf_uow_insert(const char *entity, const wharf_field *row, size_t count, wharf_error *error) {
    host_string name = host_str(wharf_s(entity));
    wharf_plugin_unit_of_work_list_field_t fields = {to_host_fields(row, count), count};
    host_string message;
    bool ok = wharf_plugin_unit_of_work_insert(&name, &fields, &message);
    free(fields.ptr);
    if (!ok) {
        fail_from_host(error, &message);
    }
    return ok;
}

bool wharf_uow_update(const char *entity, const wharf_field *key, size_t key_count, const wharf_field *changes,
                      size_t change_count, wharf_error *error) {
    host_string name = host_str(wharf_s(entity));
    wharf_plugin_unit_of_work_list_field_t keys = {to_host_fields(key, key_count), key_count};
    wharf_plugin_unit_of_work_list_field_t changed = {to_host_fields(changes, change_count), change_count};
    host_string message;
    bool ok = wharf_plugin_unit_of_work_update(&name, &keys, &changed, &message);
    free(keys.ptr);
    free(changed.ptr);
    if (!ok) {
        fail_from_host(error, &message);
    }
    return ok;
}

/* ---- Action parameters: just enough JSON to read a top-level string ---------------------- */

static const char *skip_space(const char *at, const char *end) {
    while (at < end && (*at == ' ' || *at == '\t' || *at == '\n' || *at == '\r')) {
        at++;
    }
    return at;
}

static void append_utf8(wharf_buffer *out, uint32_t code) {
    uint8_t bytes[4];
    size_t len;
    if (code < 0x80) {
        bytes[0] = (uint8_t)code;
        len = 1;
    } else if (code < 0x800) {
        bytes[0] = (uint8_t)(0xC0 | code >> 6);
        bytes[1] = (uint8_t)(0x80 | (code & 0x3F));
        len = 2;
    } else if (code < 0x10000) {
        bytes[0] = (uint8_t)(0xE0 | code >> 12);
        bytes[1] = (uint8_t)(0x80 | (code >> 6 & 0x3F));
        bytes[2] = (uint8_t)(0x80 | (code & 0x3F));
        len = 3;
    } else {
        bytes[0] = (uint8_t)(0xF0 | code >> 18);
        bytes[1] = (uint8_t)(0x80 | (code >> 12 & 0x3F));
        bytes[2] = (uint8_t)(0x80 | (code >> 6 & 0x3F));
        bytes[3] = (uint8_t)(0x80 | (code & 0x3F));
        len = 4;
    }
    wharf_buffer_append(out, bytes, len);
}

static bool hex4(const char *at, const char *end, uint32_t *code) {
    if (end - at < 4) {
        return false;
    }
    *code = 0;
    for (int i = 0; i < 4; i++) {
        char c = at[i];
        uint32_t digit = c >= '0' && c <= '9'   ? (uint32_t)(c - '0')
                         : c >= 'a' && c <= 'f' ? (uint32_t)(c - 'a' + 10)
                         : c >= 'A' && c <= 'F' ? (uint32_t)(c - 'A' + 10)
                                                : 16;
        if (digit == 16) {
            return false;
        }
        *code = *code << 4 | digit;
    }
    return true;
}

/* Reads the JSON string starting at `at` (its opening quote) into `out` when `out` is not
 * NULL; returns where it ends, or NULL when it is not a valid string. */
static const char *json_string(const char *at, const char *end, wharf_buffer *out) {
    if (at >= end || *at != '"') {
        return NULL;
    }
    for (at++; at < end; at++) {
        char c = *at;
        if (c == '"') {
            return at + 1;
        }
        if (c != '\\') {
            if (out != NULL) {
                wharf_buffer_append(out, &c, 1);
            }
            continue;
        }
        if (++at >= end) {
            return NULL;
        }
        static const char escapes[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
        const char *escape = NULL;
        for (size_t i = 0; i + 1 < sizeof escapes; i += 2) {
            escape = escapes[i] == *at ? &escapes[i + 1] : escape;
        }
        uint32_t code;
        if (escape != NULL) {
            code = (uint32_t)(unsigned char)*escape;
        } else if (*at == 'u' && hex4(at + 1, end, &code)) {
            at += 4;
            uint32_t low;
            if (code >= 0xD800 && code < 0xDC00 && end - at > 6 && at[1] == '\\' && at[2] == 'u' &&
                hex4(at + 3, end, &low) && low >= 0xDC00 && low < 0xE000) {
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                at += 6;
            }
        } else {
            return NULL;
        }
        if (out != NULL) {
            append_utf8(out, code);
        }
    }
    return NULL;
}

/* Skips one JSON value; returns where it ends, or NULL when it is malformed. */
static const char *skip_json_value(const char *at, const char *end) {
    if (at < end && *at == '"') {
        return json_string(at, end, NULL);
    }
    int depth = 0;
    while (at < end) {
        char c = *at;
        if (c == '"') {
            at = json_string(at, end, NULL);
            if (at == NULL) {
                return NULL;
            }
            continue;
        }
        if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0) {
                return at;
            }
            depth--;
        } else if (c == ',' && depth == 0) {
            return at;
        }
        at++;
    }
    return depth == 0 ? at : NULL;
}

char *wharf_param_string(wharf_str input, const char *name) {
    const char *at = input.ptr, *end = input.ptr + input.len;
    at = skip_space(at, end);
    if (at >= end || *at != '{') {
        return NULL;
    }
    at = skip_space(at + 1, end);
    while (at < end && *at == '"') {
        wharf_buffer key = {0};
        at = json_string(at, end, &key);
        bool wanted = at != NULL && wharf_str_eq(wharf_buffer_str(&key), name);
        wharf_buffer_free(&key);
        at = at == NULL ? NULL : skip_space(at, end);
        if (at == NULL || at >= end || *at != ':') {
            return NULL;
        }
        at = skip_space(at + 1, end);
        if (wanted) {
            wharf_buffer value = {0};
            if (json_string(at, end, &value) == NULL) {
                wharf_buffer_free(&value);
                return NULL;
            }
            char *text = checked(wharf_str_dup(wharf_buffer_str(&value)));
            wharf_buffer_free(&value);
            return text;
        }
        at = skip_json_value(at, end);
        at = at == NULL ? NULL : skip_space(at, end);
        if (at == NULL || at >= end || *at != ',') {
            return NULL;
        }
        at = skip_space(at + 1, end);
    }
    return NULL;
}
#endif

/* ---- The entry points' glue --------------------------------------------------------------- */

static wharf_str from_host_option(const wharf_bindings_option_string_t *option) {
    return option->is_some ? from_host(option->val) : (wharf_str){NULL, 0};
}

static wharf_context context_of(const wharf_plugin_types_call_context_t *ctx) {
    return (wharf_context){from_host(ctx->entity), from_host_option(&ctx->company), from_host_option(&ctx->job),
                           from_host_option(&ctx->message), from_host_option(&ctx->correlation_id)};
}

/* Moves a NUL-terminated malloc'd string into the bindings' string, which post-return frees. */
static host_string give_string(char *text) {
    return (host_string){(uint8_t *)text, strlen(text)};
}

/* The call's error for the host; an entry point that failed without `wharf_fail` still says so. */
static wharf_plugin_types_plugin_error_t give_error(wharf_error *error) {
    if (error->message == NULL) {
        wharf_fail(error, "the plugin failed without saying why");
    }
    return (wharf_plugin_types_plugin_error_t){give_string(error->message)};
}

#if defined(WHARF_ROLE_MAPPER) || defined(WHARF_ROLE_FILTER)
/* Reads the host's batch; `columns` is allocated for it and freed by `release_batch`. */
static bool take_batch(wharf_plugin_types_row_batch_t *input, wharf_batch *batch, wharf_error *error) {
    size_t count = input->columns.len;
    wharf_str *columns = checked(calloc(count == 0 ? 1 : count, sizeof(wharf_str)));
    for (size_t i = 0; i < count; i++) {
        columns[i] = from_host(input->columns.ptr[i]);
    }
    if (!wharf_batch_read(batch, columns, count, input->rows.ptr, input->rows.len, error)) {
        free(columns);
        return false;
    }
    return true;
}

static void release_batch(wharf_batch *batch) {
    free(batch->columns);
    wharf_batch_free(batch);
}
#endif

#if defined(WHARF_ROLE_MAPPER)
/* Hands a finished output's rows to the bindings; the builder's memory moves with them. */
static exports_wharf_plugin_mapper_entity_rows_t give_rows(wharf_entity_rows *rows) {
    wharf_builder *builder = &rows->rows;
    wharf_builder_finish(builder);
    host_string *columns = checked(calloc(builder->column_count == 0 ? 1 : builder->column_count, sizeof *columns));
    for (size_t i = 0; i < builder->column_count; i++) {
        columns[i] = give_string(builder->columns[i]);
    }
    exports_wharf_plugin_mapper_entity_rows_t out = {
        .entity = give_string(rows->entity),
        .batch = {{columns, builder->column_count}, {builder->cells.ptr, builder->cells.len}},
        .source_rows = {rows->source_rows, builder->rows},
    };
    free(builder->columns);
    free(builder->offsets);
    return out;
}

static exports_wharf_plugin_mapper_row_error_t give_row_error(wharf_row_error *error) {
    exports_wharf_plugin_mapper_row_error_t out = {.row = error->row, .message = give_string(error->message)};
    if (error->field != NULL) {
        out.field = (wharf_bindings_option_string_t){true, give_string(error->field)};
    }
    return out;
}

/* The first misuse of an output builder, as the call's error. */
static bool check_outputs(const wharf_mapped *mapped, wharf_error *error) {
    for (size_t i = 0; i < mapped->output_count; i++) {
        if (mapped->outputs[i].rows.fault != NULL) {
            return wharf_fail(error, "%s rows: %s", mapped->outputs[i].entity, mapped->outputs[i].rows.fault);
        }
    }
    return true;
}

static void give_mapped(wharf_mapped *mapped, exports_wharf_plugin_mapper_mapped_t *out) {
    size_t outputs = mapped->output_count, errors = mapped->error_count;
    out->outputs.ptr = checked(calloc(outputs == 0 ? 1 : outputs, sizeof *out->outputs.ptr));
    out->outputs.len = outputs;
    for (size_t i = 0; i < outputs; i++) {
        out->outputs.ptr[i] = give_rows(&mapped->outputs[i]);
    }
    out->errors.ptr = checked(calloc(errors == 0 ? 1 : errors, sizeof *out->errors.ptr));
    out->errors.len = errors;
    for (size_t i = 0; i < errors; i++) {
        out->errors.ptr[i] = give_row_error(&mapped->errors[i]);
    }
    free(mapped->outputs);
    free(mapped->errors);
}

static void free_mapped(wharf_mapped *mapped) {
    for (size_t i = 0; i < mapped->output_count; i++) {
        free(mapped->outputs[i].entity);
        wharf_builder_free(&mapped->outputs[i].rows);
        free(mapped->outputs[i].source_rows);
    }
    for (size_t i = 0; i < mapped->error_count; i++) {
        wharf_row_error_free(&mapped->errors[i]);
    }
    free(mapped->outputs);
    free(mapped->errors);
}

bool exports_wharf_plugin_mapper_map(exports_wharf_plugin_mapper_call_context_t *ctx,
                                     exports_wharf_plugin_mapper_row_batch_t *input,
                                     exports_wharf_plugin_mapper_mapped_t *ret,
                                     exports_wharf_plugin_mapper_plugin_error_t *err) {
    wharf_context context = context_of(ctx);
    wharf_batch batch;
    wharf_mapped mapped = {0};
    wharf_error error = {0};
    bool read = take_batch(input, &batch, &error);
    bool ok = read && wharf_map(&context, &batch, &mapped, &error) && check_outputs(&mapped, &error);
    if (ok) {
        give_mapped(&mapped, ret);
    } else {
        free_mapped(&mapped);
        *err = give_error(&error);
    }
    if (read) {
        release_batch(&batch);
    }
    wharf_plugin_types_row_batch_free(input);
    wharf_plugin_types_call_context_free(ctx);
    return ok;
}
#elif defined(WHARF_ROLE_FILTER)
bool exports_wharf_plugin_filter_keep(exports_wharf_plugin_filter_call_context_t *ctx,
                                      exports_wharf_plugin_filter_row_batch_t *input, wharf_bindings_list_bool_t *ret,
                                      exports_wharf_plugin_filter_plugin_error_t *err) {
    wharf_context context = context_of(ctx);
    wharf_batch batch;
    wharf_error error = {0};
    bool read = take_batch(input, &batch, &error);
    size_t rows = read ? batch.rows : 0;
    bool *keep = checked(malloc(rows == 0 ? 1 : rows));
    for (size_t i = 0; i < rows; i++) {
        keep[i] = true;
    }
    bool ok = read && wharf_keep(&context, &batch, keep, &error);
    if (ok) {
        *ret = (wharf_bindings_list_bool_t){keep, rows};
    } else {
        free(keep);
        *err = give_error(&error);
    }
    if (read) {
        release_batch(&batch);
    }
    wharf_plugin_types_row_batch_free(input);
    wharf_plugin_types_call_context_free(ctx);
    return ok;
}
#elif defined(WHARF_ROLE_TRANSFORM)
bool exports_wharf_plugin_transform_transform(exports_wharf_plugin_transform_call_context_t *ctx,
                                              exports_wharf_plugin_transform_document_t *input,
                                              exports_wharf_plugin_transform_document_t *ret,
                                              exports_wharf_plugin_transform_plugin_error_t *err) {
    wharf_context context = context_of(ctx);
    wharf_document document = {from_host(input->format), from_host_option(&input->name), input->content.ptr,
                               input->content.len};
    char *input_format = checked(wharf_str_dup(document.format));
    const char *format = input_format;
    wharf_buffer output = {0};
    wharf_error error = {0};
    bool ok = wharf_transform(&context, &document, &output, &format, &error);
    if (ok) {
        ret->format = give_string(checked(wharf_str_dup(wharf_s(format))));
        ret->name = (wharf_bindings_option_string_t){input->name.is_some, {NULL, 0}};
        if (input->name.is_some) {
            ret->name.val = give_string(checked(wharf_str_dup(document.name)));
        }
        ret->content = (wharf_bindings_list_u8_t){output.ptr, output.len};
    } else {
        wharf_buffer_free(&output);
        *err = give_error(&error);
    }
    free(input_format);
    wharf_plugin_types_document_free(input);
    wharf_plugin_types_call_context_free(ctx);
    return ok;
}
#elif defined(WHARF_ROLE_ACTION)
bool exports_wharf_plugin_action_invoke(exports_wharf_plugin_action_call_context_t *ctx, host_string *name,
                                        host_string *input, host_string *ret,
                                        exports_wharf_plugin_action_plugin_error_t *err) {
    wharf_context context = context_of(ctx);
    wharf_buffer output = {0};
    wharf_error error = {0};
    bool ok = wharf_invoke(&context, from_host(*name), from_host(*input), &output, &error);
    if (ok) {
        *ret = (host_string){output.ptr, output.len};
    } else {
        wharf_buffer_free(&output);
        *err = give_error(&error);
    }
    wharf_bindings_string_free(name);
    wharf_bindings_string_free(input);
    wharf_plugin_types_call_context_free(ctx);
    return ok;
}
#endif
