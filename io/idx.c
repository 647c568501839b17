/*
 * idx.c — IDX reader (see idx.h). Pixels are streamed through a 1 MB byte
 * buffer straight into the N x D float block: peak memory is the block itself.
 */
#include "idx.h"
#include "loader.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Pixels are read through a buffer of this many bytes (and labels, when fewer). */
#define IDX_CHUNK ((size_t)1 << 20)
/* Most bytes asked of one gzread (its count is an unsigned int). */
#define IDX_GZREAD_MAX ((size_t)1 << 30)
/* deflate's worst-case expansion: a gzip file decompresses to at most this
 * many times its size (plus a little). */
#define IDX_DEFLATE_MAX_RATIO 1032ULL

/* Reads exactly n bytes; returns bytes read (short at end of file), -1 on error. */
static long long gz_read_full(gzFile g, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        size_t want = n - got > IDX_GZREAD_MAX ? IDX_GZREAD_MAX : n - got;
        int r = gzread(g, (char *)buf + got, (unsigned)want);
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (long long)got;
}

static const char *gz_reason(gzFile g)
{
    int errnum;
    const char *s = gzerror(g, &errnum);
    return errnum == Z_ERRNO ? strerror(errno) : s;
}

/* Opens an IDX file and reads its header: magic type 0x08 and ndim dims. */
static int idx_open(const char *path, int want_ndim, gzFile *out, uint32_t *dims, la_error *err)
{
    gzFile g = gzopen(path, "rb");
    if (!g) return la_error_set(err, LA_EUSAGE, path, 0, "cannot open: %s", strerror(errno ? errno : ENOENT));
    unsigned char h[4];
    long long got = gz_read_full(g, h, 4);
    if (got < 0) { int rc = la_error_set(err, LA_EUSAGE, path, 0, "cannot read: %s", gz_reason(g)); gzclose(g); return rc; }
    if (got == 0) { gzclose(g); return la_error_set(err, LA_EUSAGE, path, 0, "empty file, not an IDX file"); }
    if (got < 4 || h[0] || h[1]) {
        gzclose(g);
        return la_error_set(err, LA_EUSAGE, path, 0, "not an IDX file (bad magic number)");
    }
    if (h[2] != 0x08) {
        gzclose(g);
        return la_error_set(err, LA_EUSAGE, path, 0, "IDX element type 0x%02x is not supported (only 0x08, unsigned byte)", h[2]);
    }
    if (h[3] != want_ndim) {
        gzclose(g);
        return la_error_set(err, LA_EUSAGE, path, 0, "IDX file has %d dimensions, expected %d (%s)", h[3], want_ndim,
                            want_ndim == 3 ? "images N x H x W" : "labels N");
    }
    for (int i = 0; i < want_ndim; i++) {
        unsigned char b[4];
        if (gz_read_full(g, b, 4) != 4) {
            gzclose(g);
            return la_error_set(err, LA_EUSAGE, path, 0, "truncated IDX header");
        }
        dims[i] = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    }
    *out = g;
    return 0;
}

/* After the data: the file must end here. */
static int idx_expect_end(gzFile g, const char *path, la_error *err)
{
    unsigned char extra;
    long long r = gz_read_full(g, &extra, 1);
    if (r < 0) return la_error_set(err, LA_EUSAGE, path, 0, "read error: %s", gz_reason(g));
    if (r > 0) return la_error_set(err, LA_EUSAGE, path, 0, "trailing bytes after the data the header declares");
    return 0;
}

/* Most bytes the file can decompress to: its size when plain; for gzip,
 * deflate's worst-case ratio (1032:1) times the compressed size. Used to refuse
 * a header that declares more data than the file can hold before allocating. */
static unsigned long long idx_max_bytes(const char *path)
{
    struct stat st;
    unsigned char m[2] = {0, 0};
    if (stat(path, &st)) return 0;
    FILE *fp = fopen(path, "rb");
    size_t got = fp ? fread(m, 1, 2, fp) : 0;
    if (fp) fclose(fp);
    unsigned long long size = (unsigned long long)st.st_size;
    return got == 2 && m[0] == 0x1f && m[1] == 0x8b ? size * IDX_DEFLATE_MAX_RATIO + 64 : size;
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static void replace_in(char *s, const char *from, const char *to)
{
    char *p = strstr(s, from);
    if (!p || strlen(from) != strlen(to)) return;
    memcpy(p, to, strlen(to));
}

int io_idx_labels_path(const char *images, char *out, size_t outsz)
{
    assert(images && out && outsz > 0);
    if (strlen(images) + 4 >= outsz) return -1;
    strcpy(out, images);
    char *base = strrchr(out, '/');
    base = base ? base + 1 : out;
    if (!strstr(base, "images")) return -1;
    replace_in(base, "images", "labels");
    replace_in(base, "idx3", "idx1");
    if (file_exists(out)) return 0;
    size_t n = strlen(out);
    if (n > 3 && !strcmp(out + n - 3, ".gz")) {
        out[n - 3] = 0;
    } else {
        strcat(out, ".gz");
    }
    return file_exists(out) ? 0 : -1;
}

/* classes.txt beside the images, if present: path of the class list. */
static int sibling_classes(const char *images, char *out, size_t outsz)
{
    const char *slash = strrchr(images, '/');
    int n = slash ? (int)(slash - images) : 0;
    int w = slash ? snprintf(out, outsz, "%.*s/classes.txt", n, images) : snprintf(out, outsz, "classes.txt");
    return w > 0 && (size_t)w < outsz && file_exists(out) ? 0 : -1;
}

/* The header's N x H x W against the pixel limit and against what the two
 * files can hold, before anything is allocated. */
static int idx_check_dims(const char *path, const char *labels_path, const uint32_t *idim, const uint32_t *ldim,
                          long long max_pixels, la_error *err)
{
    size_t n = idim[0], h = idim[1], w = idim[2];
    if (ldim[0] != idim[0])
        return la_error_set(err, LA_EUSAGE, labels_path, 0, "%u labels for %u images in %s", ldim[0], idim[0], path);
    if (n == 0 || h == 0 || w == 0 || h * w > (size_t)max_pixels)
        return la_error_set(err, LA_EUSAGE, path, 0, "IDX dimensions %zu x %zu x %zu are empty or over the pixel limit",
                            n, h, w);
    if ((unsigned long long)n > idx_max_bytes(labels_path))
        return la_error_set(err, LA_EUSAGE, labels_path, 0,
                            "truncated: the header declares %zu labels, more than the file can hold", n);
    if ((unsigned long long)n * h * w > idx_max_bytes(path))
        return la_error_set(err, LA_EUSAGE, path, 0,
                            "truncated: the header declares %zu x %zu x %zu pixels, more than the file can hold", n, h, w);
    return 0;
}

/* The N label bytes into ds->labels (allocated here); *maxlab = the largest.
 * buf holds at least max(n, IDX_CHUNK) bytes. */
static int idx_read_labels(gzFile gl, const char *labels_path, size_t n, unsigned char *buf, la_dataset *ds,
                           int *maxlab, la_error *err)
{
    ds->labels = la_malloc_array(n, sizeof *ds->labels);
    if (!ds->labels) return la_error_set(err, LA_EINTERNAL, labels_path, 0, "out of memory");
    long long got = gz_read_full(gl, buf, n);
    if (got < 0) return la_error_set(err, LA_EUSAGE, labels_path, 0, "read error: %s", gz_reason(gl));
    if ((size_t)got != n)
        return la_error_set(err, LA_EUSAGE, labels_path, 0, "truncated: the header declares %zu labels, the file holds %lld",
                            n, got);
    int rc = idx_expect_end(gl, labels_path, err);
    if (rc) return rc;
    *maxlab = 0;
    for (size_t i = 0; i < n; i++) {
        ds->labels[i] = buf[i];
        if (buf[i] > *maxlab) *maxlab = buf[i];
    }
    return 0;
}

/* The N x H x W pixel bytes streamed through buf (IDX_CHUNK bytes) into
 * ds->features (allocated here), x = byte / 255. */
static int idx_read_pixels(gzFile gi, const char *path, size_t n, size_t h, size_t w, unsigned char *buf,
                           la_progress *progress, la_dataset *ds, la_error *err)
{
    size_t d = h * w;
    /* the pixel block is large (188 MB for Fashion-MNIST's 60000 x 784): huge
     * pages make filling it fault 512 times less often */
    ds->features = la_big_alloc(n, d * sizeof(float));
    if (!ds->features) return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory (%zu x %zu floats)", n, d);
    size_t total = n * d, done_bytes = 0;
    while (done_bytes < total) {
        size_t want = total - done_bytes < IDX_CHUNK ? total - done_bytes : IDX_CHUNK;
        long long got = gz_read_full(gi, buf, want);
        if (got < 0) return la_error_set(err, LA_EUSAGE, path, 0, "read error: %s", gz_reason(gi));
        for (long long i = 0; i < got; i++) ds->features[done_bytes + (size_t)i] = (float)buf[i] * (1.0f / 255.0f);
        done_bytes += (size_t)got;
        if (progress) {
            progress->total = (long long)n;
            la_progress_update(progress, (long long)(done_bytes / d));
        }
        if ((size_t)got < want)
            return la_error_set(err, LA_EUSAGE, path, 0,
                                "truncated: the header declares %zu x %zu x %zu bytes of pixels, the file holds %zu", n, h,
                                w, done_bytes);
    }
    return idx_expect_end(gi, path, err);
}

/* "0", "1", ... (count of them) into a new array *out. 0 or -1 out of memory;
 * the array is whole (NULL-filled) before any string, so a failure frees. */
static int idx_numbers(size_t count, char ***out)
{
    *out = calloc(count ? count : 1, sizeof **out);
    if (!*out) return -1;
    for (size_t i = 0; i < count; i++) {
        char s[24];
        snprintf(s, sizeof s, "%zu", i);
        if (!((*out)[i] = la_strdup(s))) return -1;
    }
    return 0;
}

/* Class names: --classes, classes.txt beside the images, or the numbers
 * 0..maxlab. A label without a name in the list is an error. */
static int idx_class_names(const char *path, const char *labels_path, const io_load_opts *opts, int maxlab,
                           la_dataset *ds, la_error *err)
{
    char cpath[PATH_MAX];
    const char *cfile = opts->classes_file;
    if (!cfile && sibling_classes(path, cpath, sizeof cpath) == 0) cfile = cpath;
    if (!cfile) {
        ds->k = (size_t)maxlab + 1;
        if (idx_numbers(ds->k, &ds->class_names)) {
            if (!ds->class_names) ds->k = 0;
            return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
        }
        return 0;
    }
    io_classset cs;
    io_trim_log trimmed;
    int rc = io_class_file_read(cfile, &cs, &trimmed, err);
    if (rc) return rc;
    if (io_trim_warning(&trimmed, cfile, "class names", "line", &ds->warnings, &ds->n_warnings)) {
        io_classset_free(&cs);
        return la_error_set(err, LA_EINTERNAL, cfile, 0, "out of memory");
    }
    if ((size_t)maxlab >= cs.k) {
        size_t i = 0;
        while (ds->labels[i] != maxlab) i++;
        rc = la_error_set(err, LA_EUSAGE, labels_path, 0, "label %d (example %zu) has no name: %s lists %zu classes",
                          maxlab, i, cfile, cs.k);
        io_classset_free(&cs);
        return rc;
    }
    ds->class_names = cs.names;
    ds->k = cs.k;
    io_strtab_free(&cs.index);
    return 0;
}

int io_idx_load(const char *path, const io_load_opts *opts, la_dataset *ds, la_error *err)
{
    assert(path && opts && ds && err);
    char lpath[PATH_MAX];
    const char *labels_path = opts->idx_labels;
    if (!labels_path) {
        if (io_idx_labels_path(path, lpath, sizeof lpath))
            return la_error_set(err, LA_EUSAGE, path, 0,
                                "no labels file found beside the images (expected the *-labels-idx1-ubyte[.gz] name); "
                                "give it with --idx-labels FILE");
        labels_path = lpath;
    }
    gzFile gi = NULL, gl = NULL;
    uint32_t idim[3], ldim[1];
    unsigned char *buf = NULL;
    int maxlab = 0;
    int rc = idx_open(path, 3, &gi, idim, err);
    if (!rc) rc = idx_open(labels_path, 1, &gl, ldim, err);
    if (!rc) rc = idx_check_dims(path, labels_path, idim, ldim, opts->max_pixels, err);
    if (rc) goto done;
    size_t n = idim[0], h = idim[1], w = idim[2];
    buf = malloc(n > IDX_CHUNK ? n : IDX_CHUNK);
    if (!buf) { rc = la_error_set(err, LA_EINTERNAL, path, 0, "out of memory"); goto done; }
    if ((rc = idx_read_labels(gl, labels_path, n, buf, ds, &maxlab, err))) goto done;
    if ((rc = idx_read_pixels(gi, path, n, h, w, buf, opts->progress, ds, err))) goto done;
    ds->n = n;
    if (idx_numbers(n, &ds->ids)) { rc = la_error_set(err, LA_EINTERNAL, path, 0, "out of memory"); goto done; }
    ds->d = h * w;
    ds->image_w = (int)w;
    ds->image_h = (int)h;
    ds->channels = 1;
    if (io_note_image_size(ds, (int)w, (int)h)) { rc = la_error_set(err, LA_EINTERNAL, path, 0, "out of memory"); goto done; }
    ds->image_sizes[0].count = n;
    rc = idx_class_names(path, labels_path, opts, maxlab, ds, err);
done:
    free(buf);
    if (gi) gzclose(gi);
    if (gl) gzclose(gl);
    return rc;
}
