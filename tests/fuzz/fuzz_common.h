/*
 * fuzz_common.h — shared by the libFuzzer targets in tests/fuzz/: most
 * labelaudit parsers take a path, so each input is written to a file in a
 * private temporary directory (made once per process, removed at exit).
 * Header-only (static functions): each fuzz_*.c is its own program.
 */
#ifndef LA_FUZZ_COMMON_H
#define LA_FUZZ_COMMON_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fz_dir[256];

static void fz_cleanup(void)
{
    char cmd[300];
    if (!fz_dir[0]) return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fz_dir);
    if (system(cmd)) { /* best effort */ }
}

/* The private directory, created on first use. */
static const char *fz_tmpdir(void)
{
    if (fz_dir[0]) return fz_dir;
    const char *t = getenv("TMPDIR");
    snprintf(fz_dir, sizeof fz_dir, "%s/la-fuzz.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(fz_dir)) { perror("mkdtemp"); abort(); }
    atexit(fz_cleanup);
    return fz_dir;
}

/* Writes data to <tmpdir>/<name> (truncating) and returns the full path in
 * out. Aborts on I/O failure: that is the harness, not the target. */
static const char *fz_write(const char *name, const uint8_t *data, size_t size, char *out, size_t outsz)
{
    snprintf(out, outsz, "%s/%s", fz_tmpdir(), name);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { perror(out); abort(); }
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) { perror("write"); abort(); }
        off += (size_t)w;
    }
    close(fd);
    return out;
}

#endif
