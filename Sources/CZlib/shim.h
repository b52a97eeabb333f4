#ifndef DHCPSCOPE_CZLIB_SHIM_H
#define DHCPSCOPE_CZLIB_SHIM_H
#include <stdio.h>
#include <sys/types.h>
#include <zlib.h>

/* glibc's fopencookie, declared under its own name so that _GNU_SOURCE is not needed: four function pointers,
   as cookie_io_functions_t lays them out. */
typedef struct {
    ssize_t (*read)(void *cookie, char *buffer, size_t size);
    ssize_t (*write)(void *cookie, const char *buffer, size_t size);
    int (*seek)(void *cookie, long long *offset, int whence);
    int (*close)(void *cookie);
} dhcpscope_cookie_functions;
extern FILE *dhcpscope_fopencookie(void *cookie, const char *mode, dhcpscope_cookie_functions functions)
    __asm__("fopencookie");

static ssize_t dhcpscope_gzip_read(void *cookie, char *buffer, size_t size) {
    int count = gzread((gzFile)cookie, buffer, size > 0x40000000 ? 0x40000000 : (unsigned)size);
    if (count == 0) {
        /* zlib reports a stream cut short (Z_BUF_ERROR) as an end of file: make it a read error. */
        int error = Z_OK;
        gzerror((gzFile)cookie, &error);
        if (error != Z_OK) return -1;
    }
    return count < 0 ? -1 : count;
}

static int dhcpscope_gzip_close(void *cookie) { return gzclose((gzFile)cookie) == Z_OK ? 0 : -1; }

/* A read-only stdio stream of the decompressed contents of a gzip file; NULL when it cannot be opened. */
static inline FILE *dhcpscope_gzip_open(const char *path) {
    gzFile file = gzopen(path, "rb");
    if (!file) return NULL;
    dhcpscope_cookie_functions functions = { dhcpscope_gzip_read, NULL, NULL, dhcpscope_gzip_close };
    FILE *stream = dhcpscope_fopencookie(file, "rb", functions);
    if (!stream) gzclose(file);
    return stream;
}
#endif
