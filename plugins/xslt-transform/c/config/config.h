/* Configuration of libxml2 and libxslt for wasm32-wasi, written by hand for the sandboxed
 * XSLT transform: no threads, no modules, no network, no iconv, no clock beyond the host's. */
#define HAVE_DECL_GETENTROPY 0
#define HAVE_DECL_GLOB 0
#define HAVE_DECL_MMAP 0
#define HAVE_STDINT_H 1
#define HAVE_INTTYPES_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_SYS_TIME_H 1
#define HAVE_UNISTD_H 1
#define HAVE_GETTIMEOFDAY 1
#define HAVE_GMTIME_R 1
#define HAVE_LOCALTIME_R 1
#define HAVE_SNPRINTF 1
#define HAVE_VSNPRINTF 1
#define HAVE_STAT 1
#define VERSION "1.1.43"

/* WASI has no dup(): libxml2 only duplicates a descriptor to read a file it was handed or
 * to write to stdout, and the sandbox reads nothing from files, so duplicating always fails
 * with EBADF. */
#include <errno.h>
#define dup(fd) (errno = EBADF, -1)
