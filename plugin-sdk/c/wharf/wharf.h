/*
 * wharf.h: the C SDK for Wharf plugins.
 *
 * A plugin is one C program compiled to a WebAssembly component for one role: a mapper, a
 * filter, a transform or an action (`wit/wharf.wit` is the contract). `build.sh` beside this
 * file compiles it; it defines WHARF_ROLE_MAPPER, WHARF_ROLE_FILTER, WHARF_ROLE_TRANSFORM or
 * WHARF_ROLE_ACTION, and the plugin implements the one entry point of its role:
 *
 *   mapper     bool wharf_map(const wharf_context *, wharf_batch *, wharf_mapped *, wharf_error *);
 *   filter     bool wharf_keep(const wharf_context *, wharf_batch *, bool *keep, wharf_error *);
 *   transform  bool wharf_transform(const wharf_context *, const wharf_document *, wharf_buffer *,
 *                                   const char **format, wharf_error *);
 *   action     bool wharf_invoke(const wharf_context *, wharf_str name, wharf_str input, wharf_buffer *,
 *                                wharf_error *);
 *
 * Each returns true on success, or false after `wharf_fail` wrote why the whole call failed.
 *
 * Rows cross the boundary in batches, in Wharf's compact row encoding: column names once,
 * then every cell as a tag byte and its payload. `wharf_batch` reads it in place (a cell is an
 * offset lookup, nothing is copied), `wharf_builder` writes it.
 *
 * MEMORY. Every call runs in a fresh instance that is thrown away afterwards, so a plugin
 * that leaks only wastes its own call's memory; still, the rules are:
 *   - What the SDK hands to an entry point (the context, the input batch or document, the
 *     name and input of an action) is the SDK's: read it during the call, do not free it or
 *     keep pointers to it after returning. A `wharf_str` read from a batch points into the
 *     batch and lives as long as it.
 *   - What an entry point writes into its outputs (`wharf_mapped`, `keep`, the output
 *     `wharf_buffer`, the `wharf_error`) is handed to the host when it returns: the SDK frees
 *     it after the host copied it out (the canonical ABI's post-return). Give outputs memory
 *     from malloc (or the SDK's functions, which use malloc); never a pointer to a static or
 *     stack array.
 *   - What a host import returns to you (`wharf_config`, `wharf_lookup`, the unit of work) is
 *     yours: free it with the matching `wharf_*_free`.
 *   - The host writes every argument into the plugin's memory through `cabi_realloc`, which
 *     the generated bindings define on top of realloc, so malloc and free are the allocator
 *     of everything above.
 * Text is UTF-8 and is never NUL-terminated unless a function says so: a `wharf_str` is a
 * pointer and a length.
 */
#ifndef WHARF_H
#define WHARF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Text ------------------------------------------------------------------------------ */

/* Borrowed UTF-8 text: `len` bytes at `ptr`, not NUL-terminated. */
typedef struct wharf_str {
    const char *ptr;
    size_t len;
} wharf_str;

/* The text of a NUL-terminated C string (borrowed, not copied). */
wharf_str wharf_s(const char *text);
/* Whether `text` is exactly the NUL-terminated `other`. */
bool wharf_str_eq(wharf_str text, const char *other);
/* Whether `text` equals `other` ignoring ASCII case. */
bool wharf_str_eq_ignore_case(wharf_str text, const char *other);
/* `text` without leading and trailing ASCII white space. */
wharf_str wharf_str_trim(wharf_str text);
/* A malloc'd NUL-terminated copy of `text`; free it with free(). NULL when out of memory. */
char *wharf_str_dup(wharf_str text);

/* A growable byte buffer, owned: its bytes come from malloc. Start from `{0}`. */
typedef struct wharf_buffer {
    uint8_t *ptr;
    size_t len;
    size_t capacity;
} wharf_buffer;

/* Appends `len` bytes. */
void wharf_buffer_append(wharf_buffer *buffer, const void *bytes, size_t len);
/* Appends text. */
void wharf_buffer_append_str(wharf_buffer *buffer, wharf_str text);
/* Appends printf-formatted text (no NUL is appended). */
void wharf_buffer_printf(wharf_buffer *buffer, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends `text` as a JSON string literal, quotes and escapes included. */
void wharf_buffer_append_json_string(wharf_buffer *buffer, wharf_str text);
/* The buffer's bytes as text (borrowed). */
wharf_str wharf_buffer_str(const wharf_buffer *buffer);
/* Frees the bytes and empties the buffer. */
void wharf_buffer_free(wharf_buffer *buffer);

/* ---- Values ---------------------------------------------------------------------------- */

/* The type of a cell; the numbers are the encoding's tags. */
typedef enum wharf_kind {
    WHARF_NULL = 0,
    WHARF_STRING = 1,
    WHARF_INTEGER = 2,
    WHARF_DECIMAL = 3,
    WHARF_FLOAT = 4,
    WHARF_BOOLEAN = 5,
    WHARF_DATE = 6,
    WHARF_DATETIME = 7,
} wharf_kind;

/*
 * One cell, borrowed. Decimals are their canonical text (`-1234.50`), dates ISO 8601
 * (`2026-11-21`), date-times RFC 3339 in UTC; all of those, and strings, are in `text`.
 */
typedef struct wharf_value {
    wharf_kind kind;
    union {
        wharf_str text;
        int64_t integer;
        double number;
        bool boolean;
    } as;
} wharf_value;

/* Values to write: a null, a string from a C string or from text, and the other types. */
wharf_value wharf_null(void);
wharf_value wharf_string(const char *text);
wharf_value wharf_string_str(wharf_str text);
wharf_value wharf_integer(int64_t number);
wharf_value wharf_decimal(wharf_str text);
wharf_value wharf_float(double number);
wharf_value wharf_boolean(bool flag);
wharf_value wharf_date(wharf_str text);
wharf_value wharf_datetime(wharf_str text);

/* The text of a string, decimal, date or date-time value: false for the other types. */
bool wharf_value_text(wharf_value value, wharf_str *text);
/* The type's name as error messages say it: "null", "string", "integer"... */
const char *wharf_kind_name(wharf_kind kind);

/* ---- Errors ---------------------------------------------------------------------------- */

/* Why a whole call failed. The SDK owns the message (malloc'd); nothing the call produced is used. */
typedef struct wharf_error {
    char *message;
} wharf_error;

/* Sets the call's error to the printf-formatted message; returns false, so an entry point can
 * `return wharf_fail(error, "...")`. */
bool wharf_fail(wharf_error *error, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Why one input row was rejected: the row is left out, the others go on. Owned: `field` and
 * `message` are malloc'd; `wharf_mapped_reject` takes them, `wharf_row_error_free` frees them. */
typedef struct wharf_row_error {
    /* The row's index in the input batch, 0-based (the batch's first row is 0). */
    uint32_t row;
    /* The field at fault, or NULL. */
    char *field;
    char *message;
} wharf_row_error;

/* Frees the error's text. */
void wharf_row_error_free(wharf_row_error *error);

/* ---- Reading a batch ------------------------------------------------------------------- */

/* A batch of rows, read-only; made by the SDK from what the host sent. */
typedef struct wharf_batch {
    wharf_str *columns;
    size_t column_count;
    const uint8_t *data;
    /* Where the offsets trailer starts, which is also where the cells end. */
    size_t cells_end;
    size_t rows;
    /* Which column the last by-name lookup found, and which it found after each column
     * (column_count + 1 entries): a mapper reads the same fields in the same order row after
     * row, so the next lookup is usually a right guess that costs one comparison. */
    uint32_t previous;
    uint32_t *successors;
} wharf_batch;

/* One row of a batch. */
typedef struct wharf_row {
    const wharf_batch *batch;
    uint32_t index;
} wharf_row;

/*
 * Reads a batch from column names and encoded rows, checking every cell (offsets in order and
 * in bounds, known tags, payloads of the right size). Borrows `columns` and `data`, which must
 * outlive the batch; free the batch with `wharf_batch_free`. False, with `error` set, for a
 * malformed batch.
 */
bool wharf_batch_read(wharf_batch *batch, const wharf_str *columns, size_t column_count,
                      const uint8_t *data, size_t len, wharf_error *error);
/* Frees what `wharf_batch_read` allocated (not the borrowed columns and data). */
void wharf_batch_free(wharf_batch *batch);
/* The number of rows. */
size_t wharf_batch_len(const wharf_batch *batch);
/* Row `index` (which must be below `wharf_batch_len`). */
wharf_row wharf_batch_row(const wharf_batch *batch, size_t index);
/* The position of the column named `name`, or -1 when there is none. */
long wharf_batch_column(wharf_batch *batch, wharf_str name);
/* The value in column position `column` (which must be below `column_count`). */
wharf_value wharf_row_value(wharf_row row, size_t column);
/* The value of the column named `name`: false when the batch has no such column. */
bool wharf_row_get(wharf_row row, const char *name, wharf_value *value);

/*
 * The text in column `name`; null reads as "". False, with `error` naming the row and field,
 * when the column is missing or holds a number or boolean.
 */
bool wharf_row_str(wharf_row row, const char *name, wharf_str *text, wharf_row_error *error);
/* The trimmed text in column `name`; blank or null gives an empty `text`. */
bool wharf_row_opt_str(wharf_row row, const char *name, wharf_str *text, wharf_row_error *error);
/* The trimmed text in column `name`; a blank or null is an error: "a value is required". */
bool wharf_row_required(wharf_row row, const char *name, wharf_str *text, wharf_row_error *error);
/* An error about `field` of this row (NULL for the row as a whole), printf-formatted. */
wharf_row_error wharf_row_errorf(wharf_row row, const char *field, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- Writing a batch ------------------------------------------------------------------- */

/* Builds a batch row by row. Owned: its memory comes from malloc. */
typedef struct wharf_builder {
    char **columns;
    size_t column_count;
    wharf_buffer cells;
    uint32_t *offsets;
    size_t offset_count;
    size_t offset_capacity;
    uint32_t rows;
    /* Set by the first misuse (a row of the wrong width); the call then fails with it. */
    char *fault;
} wharf_builder;

/* An empty batch with these columns (copied). */
void wharf_builder_init(wharf_builder *builder, const char *const *columns, size_t column_count);
/* Adds a row: exactly one value per column, in column order. A row of another width is a
 * bug in the plugin: it is not added and the call fails, naming the columns. */
void wharf_builder_push(wharf_builder *builder, const wharf_value *values, size_t count);
/* Appends the offsets and the row count: `cells` then holds the whole encoded batch. */
void wharf_builder_finish(wharf_builder *builder);
/* Frees the builder. */
void wharf_builder_free(wharf_builder *builder);

/* ---- The call ---------------------------------------------------------------------------- */

/* Where a call comes from. Everything but `entity` has `ptr == NULL` when not known. */
typedef struct wharf_context {
    wharf_str entity;
    wharf_str company;
    wharf_str job;
    wharf_str message;
    wharf_str correlation_id;
} wharf_context;

/* A whole document, borrowed: its format (`csv`, `xml`, `json`...), name (ptr NULL when it has
 * none) and bytes. */
typedef struct wharf_document {
    wharf_str format;
    wharf_str name;
    const uint8_t *content;
    size_t len;
} wharf_document;

/* ---- Mapper output ------------------------------------------------------------------------ */

/* What a mapper made of a batch: rows per entity, and rejected input rows. */
typedef struct wharf_mapped {
    struct wharf_entity_rows *outputs;
    size_t output_count;
    wharf_row_error *errors;
    size_t error_count;
    size_t error_capacity;
} wharf_mapped;

/* The rows one entity receives: a batch in the entity's field names, and for each row the
 * input row it came from. */
typedef struct wharf_entity_rows {
    char *entity;
    wharf_builder rows;
    uint32_t *source_rows;
    size_t source_capacity;
} wharf_entity_rows;

/* Declares an output for `entity` with these fields; returns its number for `wharf_mapped_push`. */
size_t wharf_mapped_entity(wharf_mapped *mapped, const char *entity, const char *const *fields,
                           size_t field_count);
/* Adds a row to output `output`, made from input row `source`. */
void wharf_mapped_push(wharf_mapped *mapped, size_t output, wharf_row source,
                       const wharf_value *values, size_t count);
/* Rejects an input row; takes the error's text. */
void wharf_mapped_reject(wharf_mapped *mapped, wharf_row_error error);

/* ---- Host services ------------------------------------------------------------------------ */

/* How much a log record matters. */
typedef enum wharf_level {
    WHARF_DEBUG = 0,
    WHARF_INFO = 1,
    WHARF_WARN = 2,
    WHARF_ERROR = 3,
} wharf_level;

/* Writes a printf-formatted line to the host's structured log. */
void wharf_log(wharf_level level, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* A configuration value from the manifest's `[config]`, as a malloc'd NUL-terminated string
 * that the caller frees; NULL when the key is not set. */
char *wharf_config(const char *key);

/* A named value: one field of a row or of a key. Owned when it comes from the host (free
 * with `wharf_fields_free`), borrowed when you pass it. */
typedef struct wharf_field {
    wharf_str name;
    wharf_value value;
} wharf_field;

/* Rows read from the host: `count` fields each, owned. */
typedef struct wharf_fields {
    wharf_field *fields;
    size_t count;
    /* The host's copy of the row, which `fields` points into. */
    void *storage;
} wharf_fields;

/* Frees what the host returned. */
void wharf_fields_free(wharf_fields *fields);
/* The value of field `name`: false when the row has no such field. */
bool wharf_fields_get(const wharf_fields *fields, const char *name, wharf_value *value);

/* What a lookup or read found. */
typedef enum wharf_found {
    /* The host refused: `error` says why (an unknown entity, a key that is not the key). */
    WHARF_FAILED = -1,
    /* No row has this key. */
    WHARF_ABSENT = 0,
    /* `row` holds the row. */
    WHARF_PRESENT = 1,
} wharf_found;

/* Reads one row of `entity` by its key fields (committed data; in an action, through its
 * unit of work). */
wharf_found wharf_lookup(const char *entity, const wharf_field *key, size_t key_count,
                         wharf_fields *row, wharf_error *error);

/* Web services (mappers and actions, within the manifest's `[[outbound.allow]]`): call the
 * generated `wharf_plugin_outbound_send` of "wharf_bindings.h" directly; the request is
 * borrowed, and the response or error it fills is yours to free with
 * `wharf_plugin_outbound_response_free` or `wharf_plugin_outbound_outbound_error_free`. */

#ifdef WHARF_ROLE_ACTION
/* The action's unit of work: every change is committed when `wharf_invoke` returns true and
 * thrown away otherwise. Only entities the manifest lists can be touched. */

/* Reads one row by its key; sees the unit's own changes. */
wharf_found wharf_uow_read(const char *entity, const wharf_field *key, size_t key_count,
                           wharf_fields *row, wharf_error *error);
/* Rows whose fields equal every criterion, at most `limit` of them, in key order: `*rows`
 * becomes a malloc'd array of `*count` rows; free each with `wharf_fields_free`, then it. */
bool wharf_uow_find(const char *entity, const wharf_field *criteria, size_t criteria_count,
                    uint32_t limit, wharf_fields **rows, size_t *count, wharf_error *error);
/* Adds a row. Fails when its key is taken or a required field is missing. */
bool wharf_uow_insert(const char *entity, const wharf_field *row, size_t count, wharf_error *error);
/* Changes the given fields of the row with this key. */
bool wharf_uow_update(const char *entity, const wharf_field *key, size_t key_count,
                      const wharf_field *changes, size_t change_count, wharf_error *error);

/* The text of top-level parameter `name` of an action's JSON input, unescaped into a malloc'd
 * NUL-terminated string the caller frees; NULL when there is no such string parameter. */
char *wharf_param_string(wharf_str input, const char *name);
#endif

/* ---- The entry points: implement the one of your role ------------------------------------- */

#if defined(WHARF_ROLE_MAPPER)
/* Maps one batch: declare outputs with `wharf_mapped_entity`, add rows with `wharf_mapped_push`,
 * reject single rows with `wharf_mapped_reject`; return false only when the whole batch fails. */
bool wharf_map(const wharf_context *ctx, wharf_batch *input, wharf_mapped *output, wharf_error *error);
#elif defined(WHARF_ROLE_FILTER)
/* One answer per input row, in order: `keep[i]` starts true; set it false to drop row i. */
bool wharf_keep(const wharf_context *ctx, wharf_batch *input, bool *keep, wharf_error *error);
#elif defined(WHARF_ROLE_TRANSFORM)
/* Writes the reshaped document's bytes into `output`; `*format` starts as the input's format
 * and may be pointed at another (a static string or one that outlives the call's return). */
bool wharf_transform(const wharf_context *ctx, const wharf_document *input, wharf_buffer *output,
                     const char **format, wharf_error *error);
#elif defined(WHARF_ROLE_ACTION)
/* Runs action `name` with `input`, a JSON object keyed by parameter name; writes its result
 * as JSON into `output`. */
bool wharf_invoke(const wharf_context *ctx, wharf_str name, wharf_str input, wharf_buffer *output,
                  wharf_error *error);
#endif

#ifdef __cplusplus
}
#endif

#endif /* WHARF_H */
