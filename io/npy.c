/*
 * npy.c — reading and writing NumPy .npy files (see npy.h).
 *
 * The header is a Python dict literal; we parse only the three keys numpy
 * writes ('descr', 'fortran_order', 'shape') and refuse anything we do not
 * understand. Reads convert element by element into the caller's buffer, a
 * bounded row range at a time, so a 4 GB matrix never has to be in memory.
 */
#include "npy.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Longest header dictionary read: numpy writes a few hundred bytes; a larger
 * length is a corrupt or hostile file, refused before allocating it. */
#define NPY_MAX_HEADER ((size_t)1 << 20)

/* Finds 'key' in the header dict and returns a pointer just past the colon. */
static const char *npy_find_key(const char *h, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(h, pat);
    if (!p) {
        snprintf(pat, sizeof pat, "\"%s\"", key);
        p = strstr(h, pat);
    }
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ') p++;
    if (*p != ':') return NULL;
    p++;
    while (*p == ' ') p++;
    return p;
}

static int npy_parse_descr(io_npy *f, const char *d, la_error *err)
{
    char q = *d;
    if (q != '\'' && q != '"')
        return la_error_set(err, LA_EUSAGE, f->path, 0, "not a .npy file: unreadable 'descr'");
    char ds[32];
    size_t i = 0;
    for (d++; *d && *d != q && i + 1 < sizeof ds; d++) ds[i++] = *d;
    ds[i] = '\0';
    char bo = ds[0], kind = ds[1];
    int size = atoi(ds + 2);
    if (bo == '>' && size > 1)
        return la_error_set(err, LA_EUSAGE, f->path, 0, "big-endian dtype '%s' is not supported (save it little-endian)", ds);
    if (bo != '<' && bo != '|' && bo != '=')
        return la_error_set(err, LA_EUSAGE, f->path, 0, "unsupported dtype '%s'", ds);
    if (kind == 'f' && (size == 2 || size == 4 || size == 8))
        f->dtype = size == 2 ? IO_DT_F16 : size == 4 ? IO_DT_F32 : IO_DT_F64;
    else if (kind == 'i' && (size == 1 || size == 2 || size == 4 || size == 8))
        f->dtype = IO_DT_INT;
    else if (kind == 'u' && (size == 1 || size == 2 || size == 4 || size == 8))
        f->dtype = IO_DT_UINT;
    else if (kind == 'b' && size == 1)
        f->dtype = IO_DT_UINT;
    else
        return la_error_set(err, LA_EUSAGE, f->path, 0, "unsupported dtype '%s' (need float16, float32, float64 or integers)", ds);
    f->elem_size = size;
    return 0;
}

static int npy_parse_shape(io_npy *f, const char *s, la_error *err)
{
    if (*s != '(')
        return la_error_set(err, LA_EUSAGE, f->path, 0, "not a .npy file: unreadable 'shape'");
    s++;
    size_t dims[3];
    int nd = 0;
    for (;;) {
        while (*s == ' ' || *s == ',') s++;
        if (*s == ')') break;
        /* digits only: strtoull would take "-1" as ULLONG_MAX */
        if (*s < '0' || *s > '9')
            return la_error_set(err, LA_EUSAGE, f->path, 0, "not a .npy file: unreadable 'shape'");
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (end == s || errno)
            return la_error_set(err, LA_EUSAGE, f->path, 0, "not a .npy file: unreadable 'shape'");
        if (nd == 3)
            return la_error_set(err, LA_EUSAGE, f->path, 0, "array has more than 2 dimensions (need 1-D or 2-D)");
        dims[nd++] = (size_t)v;
        s = end;
        while (*s == 'L') s++;
    }
    if (nd == 0)
        return la_error_set(err, LA_EUSAGE, f->path, 0, "array is a scalar (need 1-D or 2-D)");
    if (nd == 3)
        return la_error_set(err, LA_EUSAGE, f->path, 0, "array has 3 dimensions (need 1-D or 2-D)");
    f->ndim = nd;
    f->rows = dims[0];
    f->cols = nd == 2 ? dims[1] : 1;
    return 0;
}

/* The fixed start of the file: magic, version, header length. Sets
 * *hlen and f->data_offset to where the header ends (before its length is
 * known to be sane). */
static int npy_read_preamble(io_npy *f, size_t *hlen, la_error *err)
{
    unsigned char pre[12];
    if (fread(pre, 1, 10, f->fp) != 10 || memcmp(pre, IO_NPY_MAGIC, IO_NPY_MAGIC_LEN) != 0)
        return la_error_set(err, LA_EUSAGE, f->path, 0, "not a .npy file (bad magic)");
    int major = pre[6];
    if (major == 1) {
        *hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
        f->data_offset = 10;
    } else if (major == 2 || major == 3) {
        if (fread(pre + 10, 1, 2, f->fp) != 2) return la_error_set(err, LA_EUSAGE, f->path, 0, "truncated .npy header");
        *hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
        f->data_offset = 12;
    } else {
        return la_error_set(err, LA_EUSAGE, f->path, 0, "unsupported .npy format version %d", major);
    }
    if (*hlen > NPY_MAX_HEADER)
        return la_error_set(err, LA_EUSAGE, f->path, 0, "implausible .npy header length %zu", *hlen);
    f->data_offset += (long)*hlen;
    return 0;
}

/* The header dictionary (hlen bytes at the current position): dtype, order
 * and shape into f. */
static int npy_read_header(io_npy *f, size_t hlen, la_error *err)
{
    char *hdr = malloc(hlen + 1);
    if (!hdr) return la_error_set(err, LA_EINTERNAL, f->path, 0, "out of memory");
    int rc = 0;
    if (fread(hdr, 1, hlen, f->fp) != hlen) {
        rc = la_error_set(err, LA_EUSAGE, f->path, 0, "truncated .npy header");
        goto done;
    }
    hdr[hlen] = '\0';
    const char *d = npy_find_key(hdr, "descr");
    const char *fo = npy_find_key(hdr, "fortran_order");
    const char *sh = npy_find_key(hdr, "shape");
    if (!d || !fo || !sh) {
        rc = la_error_set(err, LA_EUSAGE, f->path, 0, "not a .npy file: header lacks descr/fortran_order/shape");
        goto done;
    }
    if ((rc = npy_parse_descr(f, d, err))) goto done;
    if (strncmp(fo, "True", 4) == 0) {
        f->fortran = 1;
    } else if (strncmp(fo, "False", 5) != 0) {
        rc = la_error_set(err, LA_EUSAGE, f->path, 0, "not a .npy file: unreadable 'fortran_order'");
        goto done;
    }
    rc = npy_parse_shape(f, sh, err);
    if (f->ndim == 1 || f->cols == 1 || f->rows == 1) f->fortran = 0;   /* the same bytes either way */
done:
    free(hdr);
    return rc;
}

/* The file must hold rows x cols elements: checked here so readers never hit
 * EOF. */
static int npy_check_length(const io_npy *f, la_error *err)
{
    struct stat st;
    if (fstat(fileno(f->fp), &st) != 0) return 0;
    unsigned long long need = (unsigned long long)f->rows * f->cols;
    if ((f->cols && need / f->cols != f->rows) || need > (1ULL << 56) / 8)
        return la_error_set(err, LA_EUSAGE, f->path, 0, "shape (%zu, %zu) too large", f->rows, f->cols);
    need = need * (unsigned long long)f->elem_size + (unsigned long long)f->data_offset;
    if ((unsigned long long)st.st_size < need)
        return la_error_set(err, LA_EUSAGE, f->path, 0, "truncated .npy file: shape (%zu, %zu) needs %llu bytes, file has %lld",
                            f->rows, f->cols, need, (long long)st.st_size);
    return 0;
}

int io_npy_open(io_npy *f, const char *path, la_error *err)
{
    assert(f && path && err);
    memset(f, 0, sizeof *f);
    snprintf(f->path, sizeof f->path, "%s", path);
    f->fp = fopen(path, "rb");
    if (!f->fp) return la_error_set(err, LA_EUSAGE, path, 0, "cannot open: %s", strerror(errno));
    size_t hlen = 0;
    int rc = npy_read_preamble(f, &hlen, err);
    if (!rc) rc = npy_read_header(f, hlen, err);
    if (!rc) rc = npy_check_length(f, err);
    if (rc) {
        fclose(f->fp);
        f->fp = NULL;
    }
    return rc;
}

void io_npy_close(io_npy *f)
{
    if (f->fp) fclose(f->fp);
    f->fp = NULL;
}

/* IEEE 754 binary16 to float: exact (every half is a float). */
static float npy_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0x1f) {                       /* inf, nan */
        bits = sign | 0x7f800000u | man << 13;
    } else if (exp != 0) {                   /* normal */
        bits = sign | (exp + 112) << 23 | man << 13;
    } else if (man == 0) {                   /* zero */
        bits = sign;
    } else {                                 /* subnormal: man * 2^-24 */
        float v = (float)man * 0x1p-24f;
        memcpy(&bits, &v, 4);
        bits |= sign;
    }
    float out;
    memcpy(&out, &bits, 4);
    return out;
}

/* Converts m raw little-endian elements at src into doubles. */
static void npy_convert_f64(const io_npy *f, const unsigned char *src, size_t m, double *out)
{
    size_t es = (size_t)f->elem_size;
    for (size_t i = 0; i < m; i++, src += es) {
        switch (f->dtype) {
        case IO_DT_F32: { float v; memcpy(&v, src, 4); out[i] = v; break; }
        case IO_DT_F16: { uint16_t h; memcpy(&h, src, 2); out[i] = npy_half_to_float(h); break; }
        case IO_DT_F64: memcpy(&out[i], src, 8); break;
        case IO_DT_INT: {
            int64_t v;
            if (es == 1) v = (int8_t)src[0];
            else if (es == 2) { int16_t t; memcpy(&t, src, 2); v = t; }
            else if (es == 4) { int32_t t; memcpy(&t, src, 4); v = t; }
            else memcpy(&v, src, 8);
            out[i] = (double)v;
            break;
        }
        case IO_DT_UINT: {
            uint64_t v;
            if (es == 1) v = src[0];
            else if (es == 2) { uint16_t t; memcpy(&t, src, 2); v = t; }
            else if (es == 4) { uint32_t t; memcpy(&t, src, 4); v = t; }
            else memcpy(&v, src, 8);
            out[i] = (double)v;
            break;
        }
        }
    }
}

/* Elements per pread of a Fortran-order gather (one column block at a time). */
#define NPY_GATHER_ELEMS 4096

/* Fortran order: rows [row0, row0 + nrows) gathered column by column, each
 * column's run of nrows elements read with pread (bounded buffer) and
 * scattered to out[r * cols + j] as double (out64) or float (out32). */
static int npy_read_fortran(io_npy *f, size_t row0, size_t nrows, double *out64, float *out32, la_error *err)
{
    unsigned char buf[NPY_GATHER_ELEMS * 8];
    double tmp[NPY_GATHER_ELEMS];
    size_t es = (size_t)f->elem_size;
    int fd = fileno(f->fp);
    for (size_t j = 0; j < f->cols; j++) {
        for (size_t r0 = 0; r0 < nrows; r0 += NPY_GATHER_ELEMS) {
            size_t take = nrows - r0 < NPY_GATHER_ELEMS ? nrows - r0 : NPY_GATHER_ELEMS;
            off_t pos = (off_t)f->data_offset + (off_t)((j * f->rows + row0 + r0) * es);
            if (pread(fd, buf, take * es, pos) != (ssize_t)(take * es))
                return la_error_set(err, LA_EUSAGE, f->path, 0, "unexpected end of file");
            npy_convert_f64(f, buf, take, tmp);
            for (size_t q = 0; q < take; q++) {
                size_t at = (r0 + q) * f->cols + j;
                if (out64) out64[at] = tmp[q];
                else out32[at] = (float)tmp[q];
            }
        }
    }
    return 0;
}

int io_npy_read_rows_f64(io_npy *f, size_t row0, size_t nrows, double *out, la_error *err)
{
    assert(f && f->fp && (out || !nrows) && err);
    if (row0 > f->rows || nrows > f->rows - row0)
        return la_error_set(err, LA_EINTERNAL, f->path, 0, "row range out of bounds");
    size_t m = nrows * f->cols;
    if (m == 0) return 0;
    if (f->fortran) return npy_read_fortran(f, row0, nrows, out, NULL, err);
    long long pos = f->data_offset + (long long)(row0 * f->cols) * f->elem_size;
    if (fseeko(f->fp, (off_t)pos, SEEK_SET) != 0)
        return la_error_set(err, LA_EUSAGE, f->path, 0, "seek failed: %s", strerror(errno));
    if (f->dtype == IO_DT_F64) {
        if (fread(out, 8, m, f->fp) != m)
            return la_error_set(err, LA_EUSAGE, f->path, 0, "unexpected end of file");
        return 0;
    }
    /* Narrower types: read into the tail of out, convert forward (safe since
     * element size <= 8 and we convert from the front). Use a bounce buffer. */
    unsigned char buf[1 << 16];
    size_t per = sizeof buf / (size_t)f->elem_size, done = 0;
    while (done < m) {
        size_t take = m - done < per ? m - done : per;
        if (fread(buf, (size_t)f->elem_size, take, f->fp) != take)
            return la_error_set(err, LA_EUSAGE, f->path, 0, "unexpected end of file");
        npy_convert_f64(f, buf, take, out + done);
        done += take;
    }
    return 0;
}

int io_npy_read_rows_f32(io_npy *f, size_t row0, size_t nrows, float *out, la_error *err)
{
    assert(f && f->fp && (out || !nrows) && err);
    double tmp[4096];
    size_t m = nrows * f->cols, done = 0;
    if (row0 > f->rows || nrows > f->rows - row0)
        return la_error_set(err, LA_EINTERNAL, f->path, 0, "row range out of bounds");
    if (m == 0) return 0;
    if (f->fortran) return npy_read_fortran(f, row0, nrows, NULL, out, err);
    long long pos = f->data_offset + (long long)(row0 * f->cols) * f->elem_size;
    if (fseeko(f->fp, (off_t)pos, SEEK_SET) != 0)
        return la_error_set(err, LA_EUSAGE, f->path, 0, "seek failed: %s", strerror(errno));
    if (f->dtype == IO_DT_F32) {
        if (fread(out, 4, m, f->fp) != m)
            return la_error_set(err, LA_EUSAGE, f->path, 0, "unexpected end of file");
        return 0;
    }
    unsigned char buf[4096 * 8];
    while (done < m) {
        size_t take = m - done < 4096 ? m - done : 4096;
        if (fread(buf, (size_t)f->elem_size, take, f->fp) != take)
            return la_error_set(err, LA_EUSAGE, f->path, 0, "unexpected end of file");
        npy_convert_f64(f, buf, take, tmp);
        for (size_t i = 0; i < take; i++) out[done + i] = (float)tmp[i];
        done += take;
    }
    return 0;
}

int io_npy_load_f64(const char *path, double **out, size_t *rows, size_t *cols, la_error *err)
{
    assert(path && out && rows && cols && err);
    io_npy f;
    int rc = io_npy_open(&f, path, err);
    if (rc) return rc;
    double *p = la_malloc_array(f.rows * f.cols + 1, sizeof *p);
    if (!p) { io_npy_close(&f); return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory"); }
    rc = io_npy_read_rows_f64(&f, 0, f.rows, p, err);
    if (rc) { free(p); io_npy_close(&f); return rc; }
    *out = p; *rows = f.rows; *cols = f.cols;
    io_npy_close(&f);
    return 0;
}

int io_npy_load_f32(const char *path, float **out, size_t *rows, size_t *cols, la_error *err)
{
    assert(path && out && rows && cols && err);
    io_npy f;
    int rc = io_npy_open(&f, path, err);
    if (rc) return rc;
    float *p = la_malloc_array(f.rows * f.cols + 1, sizeof *p);
    if (!p) { io_npy_close(&f); return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory"); }
    rc = io_npy_read_rows_f32(&f, 0, f.rows, p, err);
    if (rc) { free(p); io_npy_close(&f); return rc; }
    *out = p; *rows = f.rows; *cols = f.cols;
    io_npy_close(&f);
    return 0;
}

/* An index file: integers, 1-D (or one column). */
static int npy_index_check(const io_npy *f, la_error *err)
{
    if (f->dtype == IO_DT_F32 || f->dtype == IO_DT_F64 || f->dtype == IO_DT_F16)
        return la_error_set(err, LA_EUSAGE, f->path, 0, "expected an integer array, found floats");
    if (f->cols != 1)
        return la_error_set(err, LA_EUSAGE, f->path, 0, "expected a 1-D array, found shape (%zu, %zu)", f->rows, f->cols);
    return 0;
}

int io_npy_read_rows_i64(io_npy *f, size_t row0, size_t nrows, int64_t *out, la_error *err)
{
    assert(f && f->fp && (out || !nrows) && err);
    int rc = npy_index_check(f, err);
    if (rc) return rc;
    if (row0 > f->rows || nrows > f->rows - row0)
        return la_error_set(err, LA_EINTERNAL, f->path, 0, "row range out of bounds");
    if (nrows == 0) return 0;
    size_t es = (size_t)f->elem_size;
    if (fseeko(f->fp, (off_t)f->data_offset + (off_t)(row0 * es), SEEK_SET) != 0)
        return la_error_set(err, LA_EUSAGE, f->path, 0, "seek failed");
    if (f->dtype == IO_DT_INT && es == 8) { /* the common case: straight in */
        if (fread(out, 8, nrows, f->fp) != nrows)
            return la_error_set(err, LA_EUSAGE, f->path, 0, "unexpected end of file");
        return 0;
    }
    unsigned char buf[1 << 15];
    size_t per = sizeof buf / es;
    for (size_t i0 = 0; i0 < nrows; i0 += per) {
        size_t take = nrows - i0 < per ? nrows - i0 : per;
        if (fread(buf, es, take, f->fp) != take)
            return la_error_set(err, LA_EUSAGE, f->path, 0, "unexpected end of file");
        for (size_t q = 0; q < take; q++) {
            const unsigned char *b = buf + q * es;
            size_t i = i0 + q;
            if (f->dtype == IO_DT_UINT && es == 8) {
                uint64_t u; memcpy(&u, b, 8);
                if (u > (uint64_t)INT64_MAX)
                    return la_error_set(err, LA_EUSAGE, f->path, 0, "value %" PRIu64 " at index %zu is too large",
                                        u, row0 + i);
                out[i] = (int64_t)u;
            } else if (es == 8) {
                memcpy(&out[i], b, 8);
            } else {
                double d;
                npy_convert_f64(f, b, 1, &d);
                out[i] = (int64_t)d;
            }
        }
    }
    return 0;
}

int io_npy_load_i64(const char *path, int64_t **out, size_t *n, la_error *err)
{
    assert(path && out && n && err);
    io_npy f;
    int rc = io_npy_open(&f, path, err);
    if (rc) return rc;
    int64_t *v = NULL;
    if (!(rc = npy_index_check(&f, err))) {
        v = la_malloc_array(f.rows + 1, sizeof *v);
        rc = v ? io_npy_read_rows_i64(&f, 0, f.rows, v, err) : la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    }
    io_npy_close(&f);
    if (rc) { free(v); return rc; }
    *out = v; *n = f.rows;
    return 0;
}

/* Writes the header for dtype descr and shape; total length padded to 64. */
static int npy_write_header(FILE *fp, const char *descr, size_t rows, size_t cols, int ndim)
{
    char dict[256];
    int len;
    if (ndim == 1)
        len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%zu,), }", descr, rows);
    else
        len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%zu, %zu), }", descr, rows, cols);
    size_t total = 10 + (size_t)len + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)len + pad + 1;
    unsigned char pre[10] = {0, 0, 0, 0, 0, 0, 1, 0, (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
    memcpy(pre, IO_NPY_MAGIC, IO_NPY_MAGIC_LEN);
    if (fwrite(pre, 1, 10, fp) != 10 || fwrite(dict, 1, (size_t)len, fp) != (size_t)len) return -1;
    for (size_t i = 0; i < pad; i++) fputc(' ', fp);
    fputc('\n', fp);
    return 0;
}

/* Header and data: 0, or -1 when a write failed. */
static int npy_write(FILE *fp, const char *descr, const void *data, size_t es, size_t rows, size_t cols, int ndim)
{
    if (npy_write_header(fp, descr, rows, cols, ndim)) return -1;
    return fwrite(data, es, rows * cols, fp) == rows * cols ? 0 : -1;
}

int io_npy_write_f64(FILE *fp, const double *data, size_t rows, size_t cols)
{
    assert(fp && (data || !rows || !cols));
    return npy_write(fp, "<f8", data, 8, rows, cols, 2);
}

static int npy_save(const char *path, const char *descr, const void *data, size_t es,
                    size_t rows, size_t cols, int ndim, la_error *err)
{
    la_atomic_file af;
    int rc = la_atomic_open(&af, path, err);
    if (rc) return rc;
    if (npy_write(af.fp, descr, data, es, rows, cols, ndim)) {
        la_atomic_abort(&af);
        return la_error_set(err, LA_EINTERNAL, path, 0, "write failed");
    }
    return la_atomic_commit(&af, err);
}

int io_npy_save_f32(const char *path, const float *data, size_t rows, size_t cols, la_error *err)
{
    assert(path && (data || !rows || !cols) && err);
    return npy_save(path, "<f4", data, 4, rows, cols, 2, err);
}

int io_npy_save_f64(const char *path, const double *data, size_t rows, size_t cols, la_error *err)
{
    assert(path && (data || !rows || !cols) && err);
    return npy_save(path, "<f8", data, 8, rows, cols, 2, err);
}

int io_npy_save_i64(const char *path, const int64_t *data, size_t n, la_error *err)
{
    assert(path && (data || !n) && err);
    return npy_save(path, "<i8", data, 8, n, 1, 1, err);
}
