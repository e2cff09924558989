/* The bridge between the Rust transform plugin and libxslt: applies one stylesheet to one
 * document held in memory, with every file the engine asks for served by the plugin (which
 * holds only the deployment's stylesheet folder) and every other way out refused. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlerror.h>
#include <libxslt/documents.h>
#include <libxslt/extensions.h>
#include <libxslt/extra.h>
#include <libxslt/security.h>
#include <libxslt/transform.h>
#include <libxslt/xslt.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>

/* Provided by the Rust side: the bytes of `name` in the stylesheet folder, or NULL when the
 * folder has no such file. The caller frees them with wharf_xslt_free_file. */
extern unsigned char *wharf_xslt_file(const char *name, size_t *len);
extern void wharf_xslt_free_file(unsigned char *bytes, size_t len);

/* .NET's XslCompiledTransform offers node-set() in this namespace; partner stylesheets call
 * msxsl:node-set() where others call exsl:node-set(). */
#define MSXSL_NAMESPACE ((const xmlChar *)"urn:schemas-microsoft-com:xslt")

/* Template recursion deeper than this is taken for an endless loop. libxslt's default (3000)
 * needs more stack than a plugin should have; real stylesheets stay far below 1000. */
#define MAX_TEMPLATE_DEPTH 1000

/* What the engine reported during one run; only the first part is kept, it names the
 * stylesheet and line of the first fault. */
#define ERROR_CAPACITY 4096
static char error_text[ERROR_CAPACITY];
static size_t error_length;

/* Set when an allocation failed: the sandbox refused to grow memory past the plugin's limit.
 * What libxml2 and libxslt report after that is a consequence (a name that could not be
 * copied "is missing"), so the run's message says what happened first. */
static int out_of_memory;

#define OUT_OF_MEMORY "out of memory: the document and its transformed copy outgrew the plugin's memory limit\n"

static void keep_error_text(const char *text, size_t length) {
    size_t room = ERROR_CAPACITY - 1 - error_length;
    if (length > room) length = room;
    memcpy(error_text + error_length, text, length);
    error_length += length;
    error_text[error_length] = 0;
}

static void generic_error(void *context, const char *format, ...) {
    (void)context;
    if (out_of_memory) return;
    char line[1024];
    va_list arguments;
    va_start(arguments, format);
    int length = vsnprintf(line, sizeof line, format, arguments);
    va_end(arguments);
    if (length > 0) keep_error_text(line, (size_t)length < sizeof line ? (size_t)length : sizeof line - 1);
}

static void structured_error(void *context, const xmlError *error) {
    (void)context;
    if (error->code == XML_ERR_NO_MEMORY && !out_of_memory) {
        out_of_memory = 1;
        error_length = 0;
        keep_error_text(OUT_OF_MEMORY, sizeof OUT_OF_MEMORY - 1);
        return;
    }
    if (out_of_memory) return;
    char line[1200];
    const char *file = error->file != NULL ? error->file : "the document";
    int length = snprintf(line, sizeof line, "%s line %d: %s", file, error->line,
                          error->message != NULL ? error->message : "error\n");
    if (length > 0) keep_error_text(line, (size_t)length < sizeof line ? (size_t)length : sizeof line - 1);
}

/* A name is served only when it is a plain relative path inside the folder: no scheme, no
 * absolute path, no `..` step. Everything else (file:, http:, /etc/…, ../…) is refused. */
static int inside_folder(const char *name) {
    if (name == NULL || name[0] == 0 || name[0] == '/' || name[0] == '\\') return 0;
    if (strchr(name, ':') != NULL || strchr(name, '\\') != NULL || strchr(name, '%') != NULL) return 0;
    const char *step = name;
    while (step != NULL) {
        if (step[0] == '.' && step[1] == '.' && (step[2] == '/' || step[2] == 0)) return 0;
        step = strchr(step, '/');
        if (step != NULL) step++;
    }
    return 1;
}

static void refused(const char *what, const char *name) {
    char line[600];
    int length = snprintf(line, sizeof line, "%s '%s' refused: only files in the stylesheet folder can be read\n",
                          what, name != NULL ? name : "");
    if (length > 0) keep_error_text(line, (size_t)length < sizeof line ? (size_t)length : sizeof line - 1);
}

static xmlDocPtr folder_document(const char *name, int options, const char *what) {
    if (!inside_folder(name)) {
        refused(what, name);
        return NULL;
    }
    size_t length = 0;
    unsigned char *bytes = wharf_xslt_file(name, &length);
    if (bytes == NULL) {
        char line[600];
        int written = snprintf(line, sizeof line, "%s '%s' is not in the stylesheet folder\n", what, name);
        if (written > 0) keep_error_text(line, (size_t)written < sizeof line ? (size_t)written : sizeof line - 1);
        return NULL;
    }
    xmlDocPtr document = xmlReadMemory((const char *)bytes, (int)length, name, NULL, options);
    wharf_xslt_free_file(bytes, length);
    return document;
}

/* Parse options for every document: no network, no DTD loading, no entity substitution. */
#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOCDATA)

/* xsl:include, xsl:import and document() all come here. */
static xmlDocPtr load_document(const xmlChar *uri, xmlDictPtr dict, int options, void *context,
                               xsltLoadType type) {
    (void)dict;
    (void)options;
    const char *what = type == XSLT_LOAD_DOCUMENT ? "document()" : "stylesheet";
    xmlDocPtr document = folder_document((const char *)uri, PARSE_OPTIONS, what);
    /* libxslt lets document() of an unreadable file go on with an empty node-set; like
     * XslCompiledTransform with document() off, a refused read stops the transform. */
    if (document == NULL && type == XSLT_LOAD_DOCUMENT && context != NULL)
        ((xsltTransformContextPtr)context)->state = XSLT_STATE_STOPPED;
    return document;
}

/* External entities and DTDs, in the input and in stylesheets alike, are never fetched. */
static xmlParserInputPtr no_entities(const char *url, const char *id, xmlParserCtxtPtr context) {
    (void)context;
    refused("external entity or DTD", url != NULL ? url : id);
    return NULL;
}

static int refuse(xsltSecurityPrefsPtr prefs, xsltTransformContextPtr context, const char *value) {
    (void)prefs;
    refused("writing or network access to", value);
    if (context != NULL) context->state = XSLT_STATE_STOPPED;
    return 0;
}

static int initialized;

static void initialize(void) {
    if (initialized) return;
    initialized = 1;
    xmlInitParser();
    xsltInit();
    xsltRegisterExtModuleFunction((const xmlChar *)"node-set", MSXSL_NAMESPACE, xsltFunctionNodeSet);
    xmlSetExternalEntityLoader(no_entities);
    xsltSetLoaderFunc(load_document);
    xsltMaxDepth = MAX_TEMPLATE_DEPTH;
}

/* The run's outcome. */
struct wharf_xslt_result {
    /* 0 when the transform succeeded. */
    int failed;
    /* The serialized result (xmlMalloc'ed), when it succeeded. */
    unsigned char *output;
    int output_length;
    /* What went wrong, naming the stylesheet and line, when it failed (static storage). */
    const char *error;
};

/* Applies stylesheet `name` (a file of the stylesheet folder) to `input`. */
void wharf_xslt_apply(const char *name, const unsigned char *input, size_t input_length,
                      struct wharf_xslt_result *result) {
    initialize();
    out_of_memory = 0;
    error_length = 0;
    error_text[0] = 0;
    xmlSetStructuredErrorFunc(NULL, structured_error);
    xsltSetGenericErrorFunc(NULL, generic_error);
    result->failed = 1;
    result->output = NULL;
    result->output_length = 0;
    result->error = error_text;

    xmlDocPtr sheet_document = folder_document(name, PARSE_OPTIONS, "stylesheet");
    if (sheet_document == NULL) return;
    xsltStylesheetPtr sheet = xsltParseStylesheetDoc(sheet_document);
    if (sheet == NULL || sheet->errors > 0) {
        if (error_length == 0) generic_error(NULL, "stylesheet %s is not a valid XSLT 1.0 stylesheet\n", name);
        if (sheet != NULL) xsltFreeStylesheet(sheet);
        else xmlFreeDoc(sheet_document);
        return;
    }
    xmlDocPtr document = xmlReadMemory((const char *)input, (int)input_length, "the document", NULL, PARSE_OPTIONS);
    if (document == NULL) {
        xsltFreeStylesheet(sheet);
        return;
    }
    xsltTransformContextPtr context = xsltNewTransformContext(sheet, document);
    xsltSecurityPrefsPtr prefs = xsltNewSecurityPrefs();
    xsltSetSecurityPrefs(prefs, XSLT_SECPREF_WRITE_FILE, refuse);
    xsltSetSecurityPrefs(prefs, XSLT_SECPREF_CREATE_DIRECTORY, refuse);
    xsltSetSecurityPrefs(prefs, XSLT_SECPREF_READ_NETWORK, refuse);
    xsltSetSecurityPrefs(prefs, XSLT_SECPREF_WRITE_NETWORK, refuse);
    xsltSetCtxtSecurityPrefs(prefs, context);
    xmlDocPtr output = xsltApplyStylesheetUser(sheet, document, NULL, NULL, NULL, context);
    int stopped = context->state != XSLT_STATE_OK;
    /* The source tree is done with. Freed before the result is serialized, as xsltproc does, so
     * that both trees and the serialized bytes are never in the plugin's memory at once. */
    xsltFreeTransformContext(context);
    xsltFreeSecurityPrefs(prefs);
    xmlFreeDoc(document);
    if (output != NULL && !stopped) {
        xmlChar *bytes = NULL;
        int length = 0;
        if (xsltSaveResultToString(&bytes, &length, output, sheet) == 0) {
            result->failed = 0;
            result->output = bytes != NULL ? bytes : (unsigned char *)xmlStrdup((const xmlChar *)"");
            result->output_length = length;
        }
    }
    if (result->failed && error_length == 0) generic_error(NULL, "stylesheet %s failed with no message\n", name);
    if (output != NULL) xmlFreeDoc(output);
    xsltFreeStylesheet(sheet);
}

void wharf_xslt_free_output(unsigned char *output) {
    xmlFree(output);
}
