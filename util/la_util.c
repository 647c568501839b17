/*
 * la_util.c — error record, checked allocation, atomic output files, progress.
 * Nothing here knows about datasets or models; see la_util.h for the contracts.
 */
#include "la_util.h"
#include "la_par.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void la_error_clear(la_error *err)
{
    if (!err) return;
    memset(err, 0, sizeof *err);
}

static int error_vset(la_error *err, int status, const char *file, long line,
                      const char *column, const char *fmt, va_list ap)
{
    if (!err) return status;
    err->status = status;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
    snprintf(err->column, sizeof err->column, "%s", column ? column : "");
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return status;
}

int la_error_set(la_error *err, int status, const char *file, long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, status, file, line, NULL, fmt, ap);
    va_end(ap);
    return status;
}

int la_error_setc(la_error *err, int status, const char *file, long line,
                  const char *column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, status, file, line, column, fmt, ap);
    va_end(ap);
    return status;
}

void la_error_print(const la_error *err, FILE *out)
{
    fputs("labelaudit: ", out);
    if (err->file[0]) {
        fputs(err->file, out);
        if (err->line > 0) fprintf(out, ":%ld", err->line);
        fputs(": ", out);
    }
    if (err->column[0]) fprintf(out, "column '%s': ", err->column);
    fputs(err->msg[0] ? err->msg : "unknown error", out);
    fputc('\n', out);
}

void *la_calloc(size_t n, size_t size)
{
    if (n == 0 || size == 0) return calloc(1, 1);
    if (n > SIZE_MAX / size) return NULL;
    return calloc(n, size);
}

void *la_malloc_array(size_t n, size_t size)
{
    if (n == 0 || size == 0) return malloc(1);
    if (n > SIZE_MAX / size) return NULL;
    return malloc(n * size);
}

void *la_big_alloc(size_t n, size_t size)
{
    const size_t huge = (size_t)2 << 20;         /* one transparent huge page   */
    if (size && n > SIZE_MAX / size) return NULL;
    size_t bytes = n * size;
    if (bytes < 2 * huge) return la_malloc_array(n ? n : 1, size ? size : 1);
    void *p = NULL;
    if (posix_memalign(&p, huge, bytes)) return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, bytes, MADV_HUGEPAGE);       /* advice only: failure is fine */
#endif
    return p;
}

char *la_strdup(const char *s)
{
    size_t len = strlen(s) + 1;
    char *copy = malloc(len);
    if (copy) memcpy(copy, s, len);
    return copy;
}

int la_atomic_open(la_atomic_file *af, const char *path, la_error *err)
{
    memset(af, 0, sizeof *af);
    if (snprintf(af->path, sizeof af->path, "%s", path) >= (int)sizeof af->path)
        return la_error_set(err, LA_EUSAGE, path, 0, "path too long");
    snprintf(af->tmp, sizeof af->tmp, "%s.tmp.%ld", path, (long)getpid());
    af->fp = fopen(af->tmp, "wb");
    if (!af->fp)
        return la_error_set(err, LA_EUSAGE, path, 0, "cannot write: %s", strerror(errno));
    return 0;
}

int la_atomic_commit(la_atomic_file *af, la_error *err)
{
    int failed = 0;
    if (!af->fp) return la_error_set(err, LA_EINTERNAL, af->path, 0, "file not open");
    if (fflush(af->fp) != 0 || ferror(af->fp)) failed = errno ? errno : EIO;
    if (!failed && fsync(fileno(af->fp)) != 0 && errno != EINVAL) failed = errno;
    if (fclose(af->fp) != 0 && !failed) failed = errno ? errno : EIO;
    af->fp = NULL;
    if (!failed && rename(af->tmp, af->path) != 0) failed = errno;
    if (failed) {
        unlink(af->tmp);
        return la_error_set(err, LA_EINTERNAL, af->path, 0, "cannot write: %s", strerror(failed));
    }
    return 0;
}

/* One wave of fsyncs: part t syncs file w0 + t (concurrent fsyncs share
 * journal commits, where one after another each waits for its own). */
typedef struct la_sync_wave { la_atomic_file *afs; size_t w0; int err[64]; } la_sync_wave;

static void la_sync_part(void *ctx, int t, int T)
{
    la_sync_wave *w = ctx;
    la_atomic_file *af = &w->afs[w->w0 + (size_t)t];
    (void)T;
    w->err[t] = af->fp && fsync(fileno(af->fp)) != 0 && errno != EINVAL ? errno : 0;
}

int la_atomic_commit_all(la_atomic_file *afs, size_t n, la_error *err)
{
    enum { MAX_SYNC = 64 };   /* threads per wave (la_sync_wave.err)       */
    size_t bad = n;          /* first failed file */
    int failed = 0;
    for (size_t i = 0; i < n && !failed; i++) {
        if (!afs[i].fp) continue;
        if (fflush(afs[i].fp) != 0 || ferror(afs[i].fp)) { failed = errno ? errno : EIO; bad = i; }
    }
    la_sync_wave wave = {afs, 0, {0}};
    for (size_t w0 = 0; w0 < n && !failed; w0 += MAX_SYNC) {
        size_t m = n - w0 < MAX_SYNC ? n - w0 : MAX_SYNC;
        wave.w0 = w0;
        la_par_run((int)m, la_sync_part, &wave);
        for (size_t q = 0; q < m && !failed; q++)
            if (wave.err[q]) { failed = wave.err[q]; bad = w0 + q; }
    }
    for (size_t i = 0; i < n && !failed; i++) {
        if (!afs[i].fp) continue;
        if (fclose(afs[i].fp) != 0) failed = errno ? errno : EIO;
        afs[i].fp = NULL;
        if (!failed && rename(afs[i].tmp, afs[i].path) != 0) failed = errno;
        if (failed) { unlink(afs[i].tmp); bad = i; }
    }
    if (!failed) return 0;
    for (size_t i = 0; i < n; i++) if (afs[i].fp) la_atomic_abort(&afs[i]);
    return la_error_set(err, LA_EINTERNAL, afs[bad].path, 0, "cannot write: %s", strerror(failed));
}

void la_atomic_abort(la_atomic_file *af)
{
    if (af->fp) fclose(af->fp);
    af->fp = NULL;
    if (af->tmp[0]) unlink(af->tmp);
}

int la_mkdir_p(const char *path, la_error *err)
{
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return la_error_set(err, LA_EUSAGE, path, 0, "path too long");
    for (char *p = buf + 1; ; p++) {
        if (*p != '/' && *p != '\0') continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return la_error_set(err, LA_EUSAGE, buf, 0, "cannot create directory: %s", strerror(errno));
        *p = saved;
        if (saved == '\0') break;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return la_error_set(err, LA_EUSAGE, path, 0, "not a directory");
    return 0;
}

int la_path_join(char *out, size_t outsz, const char *dir, const char *name)
{
    int n;
    if (!dir || !dir[0] || name[0] == '/')
        n = snprintf(out, outsz, "%s", name);
    else if (dir[strlen(dir) - 1] == '/')
        n = snprintf(out, outsz, "%s%s", dir, name);
    else
        n = snprintf(out, outsz, "%s/%s", dir, name);
    return (n < 0 || (size_t)n >= outsz) ? -1 : 0;
}

double la_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int la_num_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

static void progress_draw(la_progress *pg)
{
    if (pg->total > 0) {
        int width = 30;
        double frac = (double)pg->done / (double)pg->total;
        if (frac > 1) frac = 1;
        int filled = (int)(frac * width);
        fprintf(stderr, "\r%s [", pg->label);
        for (int i = 0; i < width; i++) fputc(i < filled ? '#' : ' ', stderr);
        fprintf(stderr, "] %3d%% %lld/%lld", (int)(frac * 100), pg->done, pg->total);
    } else {
        fprintf(stderr, "\r%s %lld", pg->label, pg->done);
    }
    fflush(stderr);
}

void la_progress_start(la_progress *pg, const char *label, long long total, int quiet)
{
    memset(pg, 0, sizeof *pg);
    pg->label = label;
    pg->total = total;
    pg->enabled = !quiet && isatty(STDERR_FILENO);
    pg->last_draw = 0;
}

void la_progress_update(la_progress *pg, long long done)
{
    pg->done = done;
    if (!pg->enabled) return;
    double t = la_now();
    if (t - pg->last_draw < 0.1) return;   /* redraw at most 10 times a second */
    pg->last_draw = t;
    progress_draw(pg);
}

void la_progress_finish(la_progress *pg)
{
    if (!pg->enabled) return;
    if (pg->total > 0) pg->done = pg->total;
    progress_draw(pg);
    fputc('\n', stderr);
}

size_t la_utf8_check(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = u[i];
        if (c < 0x80) { i++; continue; }
        size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
        if (len == 0 || c > 0xF4 || i + len > n) return i;
        unsigned cp = c & (0x3F >> (len - 1));
        for (size_t j = 1; j < len; j++) {
            if ((u[i + j] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (u[i + j] & 0x3F);
        }
        /* shortest form only; no UTF-16 surrogates; at most U+10FFFF */
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return i;
        i += len;
    }
    return n;
}

/* %.17g for 1e-4 <= x < 1. With x = m 2^e2 (m < 2^53) and X = floor(log10 x)
 * in -4..-1, the 17 significant digits are q = round-half-even(x 10^p) for
 * p = 16 - X, and x 10^p = m 5^p 2^(e2 + p) where m 5^p < 2^100 and
 * e2 + p < 0: one 128-bit product and a right shift whose remainder decides
 * the rounding exactly. %g then prints X >= -4 in fixed notation without
 * trailing zeros. */
int la_fmt_g17(double x, char *out)
{
    if (!(x >= 1e-4 && x < 1)) return snprintf(out, 32, "%.17g", x);
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    uint64_t m = (bits & ((1ull << 52) - 1)) | (1ull << 52);
    int e2 = (int)((bits >> 52) & 0x7ff) - 1075;
    /* each comparison is exact: the doubles 0.1 ... 0.0001 lie above the
     * powers of ten they stand for, with no double in between */
    int X = x >= 0.1 ? -1 : x >= 0.01 ? -2 : x >= 0.001 ? -3 : -4;
    int p = 16 - X;
    unsigned __int128 n = m;
    for (int i = 0; i < p; i++) n *= 5;
    int s = -(e2 + p);
    unsigned __int128 rem = n & (((unsigned __int128)1 << s) - 1), half = (unsigned __int128)1 << (s - 1);
    uint64_t q = (uint64_t)(n >> s);
    if (rem > half || (rem == half && (q & 1))) q++;
    if (q == 100000000000000000ull) { q /= 10; X++; }   /* rounded up to 10^(X+1) */
    char dig[17];
    for (int i = 16; i >= 0; i--) { dig[i] = (char)('0' + q % 10); q /= 10; }
    int nd = 17;
    while (nd > 1 && dig[nd - 1] == '0') nd--;
    if (X == 0) { out[0] = '1'; out[1] = 0; return 1; }
    int len = 0;
    out[len++] = '0';
    out[len++] = '.';
    for (int i = 0; i < -X - 1; i++) out[len++] = '0';
    memcpy(out + len, dig, (size_t)nd);
    len += nd;
    out[len] = 0;
    return len;
}
