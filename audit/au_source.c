/*
 * au_source.c — the audit stage's inputs: the probability sources behind
 * cl_run's reader (in memory, or a .npy streamed with read-ahead) and
 * au_load, which reads the files `labelaudit audit` takes (probabilities,
 * labels, class names, dataset) with the same checks and messages as before
 * the stage existed. Never prints.
 */
#include "au_source.h"
#include "../io/npy.h"

#include <assert.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Rows per read: about 8 MB of probabilities, at least 1, at most n. */
enum { AU_CHUNK_BYTES = 8u << 20, AU_LABEL_BLOCK = 8192 };
/* Dataset classes mapped to named columns by name: at most this many. */
enum { AU_MAP_MAX = 4096 };

static size_t au_chunk_rows(size_t n, size_t k, int elem)
{
    size_t row_bytes = k * (size_t)elem;
    size_t rows = AU_CHUNK_BYTES / (row_bytes ? row_bytes : 1);
    if (rows < 1) rows = 1;
    if (rows > n && n) rows = n;
    return rows;
}

/* ---- the streamed .npy ------------------------------------------------- */

/* The .npy reader reads ahead: while cl_run works on one chunk, a thread
 * reads the next one (cl_run's passes go front to back, then start again
 * at row 0) into the other buffer, so the copy out of the page cache no
 * longer leaves a core idle between chunks. The buffer handed out stays
 * untouched until the next call, as cl_reader requires. The read-ahead is
 * one background read overlapping the caller, not a parallel-for. */
struct au_npy_reader {
    io_npy    f;              /* the shard open now (f.fp NULL: none)       */
    size_t    fs;             /* its index                                  */
    const char *const *paths; /* ns shards (one for a plain .npy) ...       */
    const size_t *start;      /* ... rows [start[s], start[s+1]) in shard s */
    size_t    ns, k;
    int       elem;           /* 4: read as float32, 8: as float64          */
    const char *one_path;     /* a plain .npy: its one-shard list           */
    size_t    one_start[2];
    void     *buf[2];
    int       cur;            /* buffer handed out last                     */
    pthread_t th;
    int       pending;        /* a read-ahead thread is running             */
    size_t    ahead0, aheadn; /* its rows                                   */
    int       ahead_rc;
    la_error  ahead_err;
    size_t    lo, hi;         /* the matrix rows read: reader row r is lo + r */
};

/* Opens shard s (closing the one open): its header must still say the
 * shape au_load saw. */
static int au_npy_shard(au_npy_reader *r, size_t s, la_error *err)
{
    if (r->f.fp && r->fs == s) return 0;
    if (r->f.fp) io_npy_close(&r->f);
    int rc = io_npy_open(&r->f, r->paths[s], err);
    if (rc) return rc;
    r->fs = s;
    size_t rows = r->start[s + 1] - r->start[s];
    if (r->f.ndim != 2 || r->f.rows != rows || r->f.cols != r->k)
        return la_error_set(err, LA_EUSAGE, r->paths[s], 0, "pred_probs is %zu x %zu, expected %zu x %zu",
                            r->f.rows, r->f.cols, rows, r->k);
    /* every pass reads front to back: ask for aggressive read-ahead */
    posix_fadvise(fileno(r->f.fp), 0, 0, POSIX_FADV_SEQUENTIAL);
    return 0;
}

/* Reader rows [row0, row0 + nrows) into buffer b: matrix rows from lo on,
 * taken from each shard they lie in, in order. */
static int au_npy_fill(au_npy_reader *r, int b, size_t row0, size_t nrows, la_error *err)
{
    size_t g = r->lo + row0, end = g + nrows, s = r->f.fp ? r->fs : 0;
    char *out = r->buf[b];
    if (s >= r->ns || r->start[s] > g) s = 0;
    while (g < end) {
        while (r->start[s + 1] <= g) s++;   /* the shard holding row g (empty shards skipped) */
        size_t take = (r->start[s + 1] < end ? r->start[s + 1] : end) - g;
        int rc = au_npy_shard(r, s, err);
        size_t local = g - r->start[s];
        if (!rc) rc = r->elem == 4 ? io_npy_read_rows_f32(&r->f, local, take, (float *)(void *)out, err)
                                   : io_npy_read_rows_f64(&r->f, local, take, (double *)(void *)out, err);
        if (rc) return rc;
        out += take * r->k * (size_t)r->elem;
        g += take;
    }
    return 0;
}

static void *au_npy_ahead(void *arg)
{
    au_npy_reader *r = arg;
    la_error_clear(&r->ahead_err);
    r->ahead_rc = au_npy_fill(r, !r->cur, r->ahead0, r->aheadn, &r->ahead_err);
    return NULL;
}

/* Waits for the read-ahead; returns 1 when it read exactly these rows. */
static int au_npy_join(au_npy_reader *r, size_t row0, size_t nrows)
{
    if (!r->pending) return 0;
    pthread_join(r->th, NULL);
    r->pending = 0;
    return r->ahead0 == row0 && r->aheadn == nrows;
}

static int au_read_npy(void *ctx, size_t row0, size_t nrows, const void **out, la_error *err)
{
    au_npy_reader *r = ctx;
    int rc = 0;
    if (au_npy_join(r, row0, nrows)) {
        if (r->ahead_rc) { *err = r->ahead_err; return r->ahead_rc; }
        r->cur = !r->cur;
    } else {
        if (r->buf[1]) r->cur = !r->cur;
        if ((rc = au_npy_fill(r, r->cur, row0, nrows, err))) return rc;
    }
    *out = r->buf[r->cur];
    /* the next chunk of the same size, or the first one after the last */
    size_t rows = r->hi - r->lo;
    r->ahead0 = row0 + nrows < rows ? row0 + nrows : 0;
    r->aheadn = rows - r->ahead0 < nrows ? rows - r->ahead0 : nrows;
    if (r->buf[1] && r->aheadn && pthread_create(&r->th, NULL, au_npy_ahead, r) == 0) r->pending = 1;
    return 0;
}

static int au_read_mem(void *ctx, size_t row0, size_t nrows, const void **out, la_error *err)
{
    au_source *s = ctx;
    (void)nrows; (void)err;
    *out = s->mem + (s->lo + row0) * s->k;
    return 0;
}

/* Opens path as pred_probs: a 2-D .npy. */
static int au_npy_open_probs(io_npy *f, const char *path, la_error *err)
{
    int rc = io_npy_open(f, path, err);
    if (!rc && f->ndim != 2)
        rc = la_error_set(err, LA_EUSAGE, path, 0, "pred_probs must be 2-D (N x K), found a 1-D array");
    return rc;
}

static int au_source_open_npy(const au_input *in, size_t lo, size_t hi, au_source *s, la_error *err)
{
    au_npy_reader *nr = la_calloc(1, sizeof *nr);
    if (!nr) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    s->npy = nr;
    nr->k = in->k;
    if (in->shards) {
        const au_shards *sh = in->shards;
        if (sh->start[sh->n] != in->n || sh->k != in->k)
            return la_error_set(err, LA_EUSAGE, in->probs_path, 0, "pred_probs is %zu x %zu, expected %zu x %zu",
                                sh->start[sh->n], sh->k, in->n, in->k);
        nr->paths = (const char *const *)sh->paths;
        nr->start = sh->start;
        nr->ns = sh->n;
        nr->elem = sh->elem;
    } else {
        int rc = au_npy_open_probs(&nr->f, in->probs_npy, err);
        if (rc) return rc;
        if (nr->f.rows != in->n || nr->f.cols != in->k)
            return la_error_set(err, LA_EUSAGE, in->probs_npy, 0, "pred_probs is %zu x %zu, expected %zu x %zu",
                                nr->f.rows, nr->f.cols, in->n, in->k);
        nr->one_path = in->probs_npy;
        nr->one_start[1] = in->n;
        nr->paths = &nr->one_path;
        nr->start = nr->one_start;
        nr->ns = 1;
        nr->fs = 0;
        nr->elem = nr->f.dtype == IO_DT_F32 ? 4 : 8;
        posix_fadvise(fileno(nr->f.fp), 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    size_t n = hi - lo, k = in->k;
    nr->lo = lo;
    nr->hi = hi;
    s->rd.elem = nr->elem;
    s->rd.chunk_rows = au_chunk_rows(n, k, s->rd.elem);
    nr->buf[0] = la_big_alloc(s->rd.chunk_rows * k + 1, (size_t)s->rd.elem);
    /* a file of one chunk is read once per pass: no read-ahead */
    nr->buf[1] = s->rd.chunk_rows < n ? la_big_alloc(s->rd.chunk_rows * k + 1, (size_t)s->rd.elem) : NULL;
    if (!nr->buf[0] || (s->rd.chunk_rows < n && !nr->buf[1]))
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    s->rd.ctx = nr;
    s->rd.read = au_read_npy;
    return 0;
}

int au_source_open(const au_input *in, au_source *s, la_error *err)
{
    return au_source_open_rows(in, 0, in->n, s, err);
}

int au_source_open_rows(const au_input *in, size_t lo, size_t hi, au_source *s, la_error *err)
{
    assert(in && s && err && lo <= hi && hi <= in->n);
    assert(!in->probs + !in->probs_npy + !in->shards == 2);   /* exactly one source */
    memset(s, 0, sizeof *s);
    s->k = in->k;
    s->rd.path = in->probs_path ? in->probs_path : in->probs_npy;
    if (in->probs_npy || in->shards) return au_source_open_npy(in, lo, hi, s, err);
    s->mem = in->probs;
    s->lo = lo;
    s->rd.elem = 8;
    s->rd.chunk_rows = au_chunk_rows(hi - lo, in->k, 8);
    s->rd.ctx = s;
    s->rd.read = au_read_mem;
    return 0;
}

void au_source_close(au_source *s)
{
    au_npy_reader *nr = s->npy;
    if (nr) {
        au_npy_join(nr, 0, 0);
        if (nr->f.fp) io_npy_close(&nr->f);
        free(nr->buf[0]);
        free(nr->buf[1]);
        free(nr);
    }
    memset(s, 0, sizeof *s);
}

/* ---- labels ------------------------------------------------------------ */

/* The two label refusals shared by the .npy and CSV paths. */
static int au_label_count_error(la_error *err, const char *labels, size_t got, const char *probs, size_t n)
{
    return la_error_set(err, LA_EUSAGE, labels, 0, "%zu labels but %s has %zu rows (pred_probs and labels must "
                        "have the same length)", got, probs, n);
}

static int au_label_range_error(la_error *err, const char *labels, long line, int64_t v, size_t i, size_t k)
{
    return la_error_set(err, LA_EUSAGE, labels, line, "label %" PRId64 " (example %zu) is out of range: "
                        "pred_probs has %zu columns (classes 0..%zu)", v, i, k, k - 1);
}

/* Class indices from a .npy label file straight into y (int32), in chunks:
 * at N = 1e7 this saves an 80 MB int64 copy. Refuses what io_labels_load
 * refuses, with the same messages, and labels outside 0..k-1. (A chunked
 * int32 reader like this one belongs in io/labels.c; it stays here until
 * io offers one.) */
static int au_labels_npy_at(const char *path, const char *probs, size_t n, size_t k, int32_t *y, size_t base,
                            la_error *err)
{
    io_npy f;
    int64_t buf[AU_LABEL_BLOCK];
    int rc = io_npy_open(&f, path, err);
    if (rc) return rc;
    if (f.cols == 1 && f.rows != n && f.dtype != IO_DT_F32 && f.dtype != IO_DT_F64)
        rc = au_label_count_error(err, path, f.rows, probs, n);
    /* at least one read, even of 0 rows: it refuses float and 2-D files */
    for (size_t i0 = 0; !rc && (i0 < f.rows || i0 == 0); i0 += AU_LABEL_BLOCK) {
        size_t take = f.rows - i0 < AU_LABEL_BLOCK ? f.rows - i0 : AU_LABEL_BLOCK;
        if ((rc = io_npy_read_rows_i64(&f, i0, take, buf, err))) break;
        for (size_t q = 0; q < take; q++) {
            int64_t v = buf[q];
            if (v < 0 || v >= (int64_t)k) {
                rc = v < 0 ? la_error_set(err, LA_EUSAGE, path, 0, "label %lld at index %zu is negative (labels are class indices 0..K-1)",
                                          (long long)v, base + i0 + q)
                           : au_label_range_error(err, path, 0, v, base + i0 + q, k);
                break;
            }
            y[i0 + q] = (int32_t)v;
        }
    }
    io_npy_close(&f);
    return rc;
}

static int au_labels_npy(const char *path, const char *probs, size_t n, size_t k, int32_t *y, la_error *err)
{
    return au_labels_npy_at(path, probs, n, k, y, 0, err);
}

/* Appends one formatted warning to (*v, *n): 0, or -1 out of memory. */
static int au_warn(char ***v, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int au_warn(char ***v, size_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int len = vasprintf(&s, fmt, ap);
    va_end(ap);
    char **nv = len < 0 ? NULL : realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv) {
        free(s);
        return -1;
    }
    *v = nv;
    nv[(*n)++] = s;
    return 0;
}

/* Rows of a probability CSV with ids to the order of ids[0..n) (from
 * `from`); without ids to match, a warning (rows go by order). */
static int au_match_ids(au_loaded *l, char *const *ids, size_t n, const char *from, la_error *err)
{
    au_input *in = &l->in;
    const char *probs = l->mean_of ? l->mean_of[0] : in->probs_path;   /* averaged: the first file's ids */
    if (!l->mem.ids) return 0;
    if (!ids) {
        if (au_warn(&l->warnings, &l->n_warnings, "%s has an id column, but %s has no ids to match it by: rows "
                    "are taken in order (give labels as CSV with an id column, or --data)", probs, from))
            return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        return 0;
    }
    int rc = io_probs_reorder(&l->mem, probs, ids, n, from, err);
    if (rc) return rc;
    in->probs = l->mem.p;
    in->n = l->mem.n;
    return 0;
}

/* Labels from a CSV file (names mapped through the column names, which
 * must be known when the labels are names), checked against n and k. */
static int au_labels_csv_checked(au_loaded *l, const char *path, const char *probs, la_error *err);

static int au_labels_csv(au_loaded *l, const char *path, const char *probs, la_error *err)
{
    au_input *in = &l->in;
    int rc = io_labels_load(path, in->class_names, in->class_names ? in->k : 0, &l->lab, err);
    return rc ? rc : au_labels_csv_checked(l, path, probs, err);
}

/* The labels read into l->lab (from path: one file or the shards' spec),
 * checked and copied into l->y. */
static int au_labels_csv_checked(au_loaded *l, const char *path, const char *probs, la_error *err)
{
    au_input *in = &l->in;
    size_t k = in->k;
    int rc;
    if (l->lab.names && !in->class_names)
        return la_error_set(err, LA_EUSAGE, path, 0, "the labels are class names ('%s', ...) but the columns of %s "
                            "carry no names, so which column is which class is unknown: give the column order with "
                            "--classes FILE (one name per line, column 0 first), or write %s as CSV with the class "
                            "names as its header", l->lab.names[0], probs, probs);
    char *const *ids = l->lab.ids ? l->lab.ids : l->ds.ids;
    if ((rc = au_match_ids(l, ids, l->lab.ids ? l->lab.n : l->ds.n, l->lab.ids ? path : in->data_path ? in->data_path
                           : path, err)))
        return rc;
    size_t n = in->n;
    if (l->lab.n != n) return au_label_count_error(err, path, l->lab.n, probs, n);
    for (size_t i = 0; i < n; i++) {
        if (l->lab.labels[i] < 0 || l->lab.labels[i] >= (int64_t)k)
            return au_label_range_error(err, path, (long)i + 2, l->lab.labels[i], i, k);
        l->y[i] = (int32_t)l->lab.labels[i];
    }
    if (!in->ids && l->lab.ids) in->ids = l->lab.ids;
    free(l->lab.labels);
    l->lab.labels = NULL;
    return 0;
}

/* Labels from the dataset itself (no label file): mapped to the columns by
 * name when the columns have names other than the dataset's own. */
static int au_labels_dataset(au_loaded *l, const char *data, const char *probs, la_error *err)
{
    int rc = au_match_ids(l, l->ds.ids, l->ds.n, data, err);
    if (rc) return rc;
    size_t n = l->in.n, k = l->in.k;
    char *const *cols = l->in.class_names;
    if (l->ds.n != n)
        return la_error_set(err, LA_EUSAGE, data, 0, "%zu examples but %s has %zu rows", l->ds.n, probs, n);
    if (l->ds.k > k)
        return la_error_set(err, LA_EUSAGE, data, 0, "%zu classes but %s has %zu columns", l->ds.k, probs, k);
    int32_t map[AU_MAP_MAX];
    int by_name = cols && cols != l->ds.class_names && l->ds.k <= AU_MAP_MAX;
    for (size_t c = 0; by_name && c < l->ds.k; c++) {
        map[c] = -1;
        for (size_t j = 0; j < k && map[c] < 0; j++)
            if (!strcmp(cols[j], l->ds.class_names[c])) map[c] = (int32_t)j;
        if (map[c] < 0)
            return la_error_set(err, LA_EUSAGE, data, 0, "class '%s' of the dataset is not a column of %s (its "
                                "columns are '%s', ...): give the --classes the probabilities were made with",
                                l->ds.class_names[c], probs, cols[0]);
    }
    for (size_t i = 0; i < n; i++) l->y[i] = by_name ? map[l->ds.labels[i]] : l->ds.labels[i];
    return 0;
}

/* ---- label shards -------------------------------------------------------- */

static int au_ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}


/* Label shard s of m holds `got` labels: with probability shards, shard s
 * of those must hold as many. */
static int au_label_shard_count(const au_loaded *l, const char *spec, const char *path, size_t s, size_t got,
                                la_error *err)
{
    const au_shards *sh = l->in.shards;
    if (!sh) return 0;
    size_t want = sh->start[s + 1] - sh->start[s];
    if (got == want) return 0;
    return la_error_set(err, LA_EUSAGE, path, 0, "%zu labels but probability shard %s has %zu rows (label shard %zu "
                        "of %s: each label shard must match its probability shard)", got, sh->paths[s], want, s + 1,
                        spec);
}

/* .npy label shards straight into y, in order; the counts checked first. */
static int au_labels_npy_shards(au_loaded *l, const char *spec, char **paths, size_t m, const char *probs,
                                la_error *err)
{
    size_t total = 0, n = l->in.n;
    int rc = 0;
    for (size_t s = 0; !rc && s < m; s++) {
        io_npy f;
        if ((rc = io_npy_open(&f, paths[s], err))) break;
        rc = au_label_shard_count(l, spec, paths[s], s, f.rows, err);
        total += f.rows;
        io_npy_close(&f);
    }
    if (!rc && total != n) rc = au_label_count_error(err, spec, total, probs, n);
    for (size_t s = 0, at = 0; !rc && s < m; s++) {
        io_npy f;
        if ((rc = io_npy_open(&f, paths[s], err))) break;
        size_t rows = f.rows;
        io_npy_close(&f);
        rc = au_labels_npy_at(paths[s], probs, rows, l->in.k, l->y + at, at, err);
        at += rows;
    }
    return rc;
}

/* Appends one CSV label shard (one) to l->lab; its warnings to l's. */
static int au_labels_csv_append(au_loaded *l, io_labels *one, const char *path, la_error *err)
{
    io_labels *a = &l->lab;
    if ((a->n && !a->ids) != (a->n && !one->ids) && a->n)
        return la_error_set(err, LA_EUSAGE, path, 0, "this label shard %s an id column but the shards before it %s",
                            one->ids ? "has" : "has no", one->ids ? "have none" : "have one");
    int64_t *lv = realloc(a->labels, (a->n + one->n + 1) * sizeof *lv);
    if (lv) a->labels = lv;
    char **iv = one->ids ? realloc(a->ids, (a->n + one->n + 1) * sizeof *iv) : NULL;
    if (iv) a->ids = iv;
    if (!lv || (one->ids && !iv)) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    if (one->n) memcpy(a->labels + a->n, one->labels, one->n * sizeof *lv);
    if (one->ids) {
        memcpy(a->ids + a->n, one->ids, one->n * sizeof *iv);
        free(one->ids);   /* the strings are a's now */
        one->ids = NULL;
    }
    a->n += one->n;
    if (!a->names && one->names) {
        a->names = one->names;
        a->n_names = one->n_names;
        one->names = NULL;
    }
    for (size_t w = 0; w < one->n_warnings; w++)
        if (au_warn(&l->warnings, &l->n_warnings, "%s", one->warnings[w]))
            return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    return 0;
}

/* CSV label shards read one at a time, concatenated into l->lab. */
static int au_labels_csv_shards(au_loaded *l, const char *spec, char **paths, size_t m, const char *probs,
                                la_error *err)
{
    au_input *in = &l->in;
    int rc = 0;
    for (size_t s = 0; !rc && s < m; s++) {
        io_labels one;
        if ((rc = io_labels_load(paths[s], in->class_names, in->class_names ? in->k : 0, &one, err))) break;
        rc = au_label_shard_count(l, spec, paths[s], s, one.n, err);
        if (!rc) rc = au_labels_csv_append(l, &one, paths[s], err);
        io_labels_free(&one);
    }
    return rc ? rc : au_labels_csv_checked(l, spec, probs, err);
}

/* --labels 'DIR/part*.npy' (or .csv) or a comma list: the shards concatenated in
 * order, one per probability shard when those are sharded too. */
static int au_labels_shards(au_loaded *l, const char *spec, const char *probs, const char *data, la_error *err)
{
    char **paths = NULL;
    size_t m = 0, npy = 0;
    int rc = au_shards_paths(spec, &paths, &m, err);
    if (rc) return rc;
    for (size_t s = 0; s < m; s++) npy += au_ends_with(paths[s], ".npy");
    if (l->in.shards && m != l->in.shards->n)
        rc = la_error_set(err, LA_EUSAGE, spec, 0, "%zu label shards but %s has %zu probability shards (give one "
                          "label shard per probability shard, in the same order)", m, probs, l->in.shards->n);
    else if (npy && npy != m)
        rc = la_error_set(err, LA_EUSAGE, spec, 0, "the label shards mix .npy and CSV files: give one kind");
    else if (npy)
        rc = au_match_ids(l, l->ds.ids, l->ds.n, data ? data : spec, err);
    if (!rc) rc = npy ? au_labels_npy_shards(l, spec, paths, m, probs, err) : au_labels_csv_shards(l, spec, paths, m, probs, err);
    io_free_strings(paths, m);
    return rc;
}

/* ---- au_load ------------------------------------------------------------ */

int au_class_names_file(const char *path, size_t k, const char *probs_path, char ***names, la_error *err)
{
    assert(path && names && err);
    size_t m = 0;
    *names = NULL;
    int rc = io_class_names_load(path, names, &m, err);
    if (rc) return rc;
    if (m != k) {
        io_free_strings(*names, m);
        *names = NULL;
        return la_error_set(err, LA_EUSAGE, path, 0, "%zu class names, but %s has %zu columns", m, probs_path, k);
    }
    return 0;
}

/* The probabilities: n and k, and for CSV the matrix itself. */
static int au_load_probs(const char *probs, au_loaded *l, la_error *err)
{
    au_input *in = &l->in;
    in->probs_path = probs;
    if (au_shards_is_spec(probs)) {
        int rc = au_shards_open(probs, &l->shards, err);
        if (rc) return rc;
        in->n = l->shards.start[l->shards.n];
        in->k = l->shards.k;
        in->shards = &l->shards;
        return 0;
    }
    if (au_ends_with(probs, ".npy")) {
        io_npy f;
        int rc = au_npy_open_probs(&f, probs, err);
        if (rc) return rc;
        in->n = f.rows;
        in->k = f.cols;
        in->probs_npy = probs;
        io_npy_close(&f);
        return 0;
    }
    int rc = io_probs_load(probs, &l->mem, err);
    if (rc) return rc;
    in->n = l->mem.n;
    in->k = l->mem.k;
    in->probs = l->mem.p;
    return 0;
}

int au_classes_beside(const char *probs, size_t k, char ***names, size_t *m, char ***warnings,
                      size_t *n_warnings, la_error *err)
{
    assert(probs && names && m && warnings && n_warnings && err);
    *names = NULL;
    *m = 0;
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s", probs);
    char *slash = strrchr(dir, '/');
    if (slash) slash[1] = '\0';
    else dir[0] = '\0';
    snprintf(path, sizeof path, "%s%s", dir, AU_CLASSES_FILE);
    if (access(path, R_OK)) return 0;
    size_t got = 0, nlw = 0;
    char **v = NULL, **lw = NULL;   /* the trim warning, kept only when used */
    int rc = io_class_names_load_warn(path, &v, &got, &lw, &nlw, err);
    if (!rc && got == k) {
        for (size_t i = 0; i < nlw && !rc; i++)
            if (au_warn(warnings, n_warnings, "%s", lw[i])) rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        io_free_strings(lw, nlw);
        if (rc) {
            io_free_strings(v, got);
            return rc;
        }
        *names = v;
        *m = got;
        return 0;
    }
    io_free_strings(lw, nlw);
    if (rc) return rc;
    io_free_strings(v, got);
    if (au_warn(warnings, n_warnings, "%s lists %zu classes but %s has %zu columns: not used as the column "
                "names (it belongs to other probabilities; give --classes)", path, got, probs, k))
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    return 0;
}

/* The class of each column of one averaged file: its CSV header, else the
 * classes.txt beside it, else none (*names NULL). *owned: free *names (k). */
static int au_mean_names(au_loaded *l, const io_probs *p, const char *path, char ***names, int *owned,
                         la_error *err)
{
    *owned = 0;
    *names = p->class_names;
    if (*names) return 0;
    size_t m = 0;
    int rc = au_classes_beside(path, p->k, names, &m, &l->warnings, &l->n_warnings, err);
    *owned = *names != NULL;
    return rc;
}

/* perm[c]: the column of `names` holding class names0[c]. LA_EUSAGE when
 * the two files do not have the same classes. */
static int au_mean_perm(char *const *names0, const char *path0, char *const *names, const char *path, size_t k,
                        size_t *perm, la_error *err)
{
    for (size_t c = 0; c < k; c++) {
        size_t d = 0;
        while (d < k && strcmp(names[d], names0[c])) d++;
        if (d == k)
            return la_error_set(err, LA_EUSAGE, path, 0, "has no column for class '%s' of %s: averaged "
                                "probabilities must have the same classes", names0[c], path0);
        perm[c] = d;
    }
    return 0;
}

/* Adds averaged file j (path) to l->mem: rows matched by id (or order),
 * columns by name (or order). io_probs_load has checked every value, so
 * no bad one hides in the mean. */
static int au_mean_add(au_loaded *l, const au_files *f, const char *path, char *const *names0, int by_name,
                       size_t *perm, la_error *err)
{
    io_probs one;
    int rc = io_probs_load(path, &one, err);
    if (rc) return rc;
    for (size_t i = 0; i < one.n_warnings && !rc; i++)
        if (au_warn(&l->warnings, &l->n_warnings, "%s", one.warnings[i]))
            rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    size_t n = l->mem.n, k = l->mem.k;
    if (!rc && one.k != k)
        rc = la_error_set(err, LA_EUSAGE, path, 0, "%zu columns, but %s has %zu: averaged probabilities must "
                          "have the same classes", one.k, f->probs, k);
    if (!rc && !l->mem.ids != !one.ids)
        rc = la_error_set(err, LA_EUSAGE, path, 0, "%s, but %s %s: the rows cannot be matched (give every "
                          "file ids, or none)", one.ids ? "has an id column" : "has no id column", f->probs,
                          one.ids ? "has none" : "has one");
    if (!rc && one.ids) rc = io_probs_reorder(&one, path, l->mem.ids, n, f->probs, err);
    if (!rc && one.n != n)
        rc = la_error_set(err, LA_EUSAGE, path, 0, "%zu rows, but %s has %zu: averaged probabilities must "
                          "hold the same examples in the same order", one.n, f->probs, n);
    char **names = NULL;
    int owned = 0;
    if (!rc && by_name) rc = au_mean_names(l, &one, path, &names, &owned, err);
    for (size_t c = 0; c < k; c++) perm[c] = c;
    if (!rc && names0 && names) rc = au_mean_perm(names0, f->probs, names, path, k, perm, err);
    if (!rc)
        for (size_t i = 0; i < n; i++)
            for (size_t c = 0; c < k; c++) l->mem.p[i * k + c] += one.p[i * k + perm[c]];
    if (owned) io_free_strings(names, k);
    io_probs_free(&one);
    return rc;
}

/* --pred-probs given M >= 2 times: l->mem becomes the element-wise mean
 *     p(c|x_i) = (1/M) sum_m p_m(c|x_i),
 * in the first file's rows and columns (each file read into memory). */
static int au_load_mean(const au_files *f, au_loaded *l, la_error *err)
{
    au_input *in = &l->in;
    size_t m = f->n_probs_more + 1;
    if (!(l->mean_of = malloc(m * sizeof *l->mean_of)))
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    l->mean_of[0] = (char *)f->probs;
    for (size_t j = 1; j < m; j++) l->mean_of[j] = f->probs_more[j - 1];
    for (size_t j = 0; j < m; j++)
        if (au_shards_is_spec(l->mean_of[j]))
            return la_error_set(err, LA_EUSAGE, l->mean_of[j], 0, "shards cannot be averaged: give one file per "
                                "--pred-probs (np.concatenate the shards)");
    int rc = io_probs_load(f->probs, &l->mem, err);
    if (rc) return rc;
    int by_name = !(f->load && f->load->classes_file);   /* --classes names every file's columns */
    char **names0 = NULL;
    int owned0 = 0;
    if (by_name) rc = au_mean_names(l, &l->mem, f->probs, &names0, &owned0, err);
    size_t k = l->mem.k, n = l->mem.n;
    size_t *perm = rc ? NULL : malloc((k + 1) * sizeof *perm);
    if (!rc && !perm) rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t j = 1; j < m && !rc; j++) rc = au_mean_add(l, f, l->mean_of[j], names0, by_name, perm, err);
    free(perm);
    if (owned0) {   /* the first file's classes.txt names the mean's columns (au_column_names) */
        l->cls_file = names0;
        l->n_cls_file = k;
    }
    if (rc) return rc;
    for (size_t i = 0; i < n * k; i++) l->mem.p[i] /= (double)m;
    in->n = n;
    in->k = k;
    in->probs = l->mem.p;
    in->probs_path = f->mean_path ? f->mean_path : f->probs;
    in->mean_of = l->mean_of;
    in->n_mean_of = m;
    return 0;
}

/* The column names: --classes, the CSV header, classes.txt beside. */
static int au_column_names(const au_files *f, au_loaded *l, la_error *err)
{
    au_input *in = &l->in;
    size_t k = in->k;
    if (f->load && f->load->classes_file) {
        size_t m = 0;
        int rc = io_class_names_load_warn(f->load->classes_file, &l->cls_file, &m, &l->warnings, &l->n_warnings, err);
        l->n_cls_file = m;
        if (rc) return rc;
        if (m != k)
            return la_error_set(err, LA_EUSAGE, f->load->classes_file, 0, "%zu class names, but %s has %zu columns",
                                m, f->probs, k);
        in->class_names = l->cls_file;
        return 0;
    }
    if (l->mem.class_names) {
        in->class_names = l->mem.class_names;
        return 0;
    }
    if (l->mean_of) {   /* averaged: au_load_mean read the first file's classes.txt already */
        in->class_names = l->cls_file;
        return 0;
    }
    const char *beside = l->shards.n ? l->shards.paths[0] : f->probs;   /* shards: the first one's directory */
    int rc = au_classes_beside(beside, k, &l->cls_file, &l->n_cls_file, &l->warnings, &l->n_warnings, err);
    if (!rc && l->cls_file) in->class_names = l->cls_file;
    return rc;
}

int au_load(const au_files *f, au_loaded *l, la_error *err)
{
    assert(f && f->probs && (f->labels || f->data) && l && err);
    memset(l, 0, sizeof *l);
    au_input *in = &l->in;
    in->labels_path = f->labels;
    in->data_path = f->data;
    in->load = f->load;
    int rc = f->n_probs_more ? au_load_mean(f, l, err) : au_load_probs(f->probs, l, err);
    if (!rc) rc = au_column_names(f, l, err);
    if (rc) return rc;
    size_t n = in->n, k = in->k;
    if (f->data) {
        if ((rc = io_dataset_load(f->data, f->load, &l->ds, err))) return rc;
        if (!in->class_names && l->ds.k == k) in->class_names = l->ds.class_names;
        in->ids = l->ds.ids;
        in->image_paths = l->ds.image_paths;
    }
    l->y = la_big_alloc(n + 1, sizeof *l->y);
    if (!l->y) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    in->labels = l->y;
    if (f->labels && au_shards_is_spec(f->labels)) {
        rc = au_labels_shards(l, f->labels, f->probs, f->data, err);
    } else if (f->labels && au_ends_with(f->labels, ".npy")) {
        rc = au_match_ids(l, l->ds.ids, l->ds.n, f->data ? f->data : f->labels, err);
        if (!rc) rc = au_labels_npy(f->labels, f->probs, n, k, l->y, err);
    } else if (f->labels) {
        rc = au_labels_csv(l, f->labels, f->probs, err);
    } else {
        rc = au_labels_dataset(l, f->data, f->probs, err);
    }
    if (rc) return rc;
    if (f->data && l->ds.n && l->ds.n != n)
        return la_error_set(err, LA_EUSAGE, f->data, 0, "%zu examples but %s has %zu rows", l->ds.n, f->probs, n);
    return 0;
}

void au_loaded_free(au_loaded *l)
{
    free(l->y);
    io_labels_free(&l->lab);
    io_probs_free(&l->mem);
    io_free_strings(l->cls_file, l->n_cls_file);
    io_free_strings(l->warnings, l->n_warnings);
    io_dataset_free(&l->ds);
    au_shards_free(&l->shards);
    free(l->mean_of);
    memset(l, 0, sizeof *l);
}
