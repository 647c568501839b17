/*
 * cmd_audit.c — `labelaudit audit`: labels + out-of-fold probabilities in,
 * confident-learning findings out (the golden file set, is_label_issue.csv,
 * ranked.csv, label_issues.csv, summary.json), optionally into the database.
 *
 * Re-entrant (no static state): `cv --audit` calls cmd_audit with its own
 * argv. Every output file is written temp-then-rename, and only after the
 * whole computation succeeded, so an error never leaves half a result.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"
#include "../db/db.h"
#include "../io/dataset.h"
#include "load_opts.h"
#include "../io/labels.h"
#include "../io/npy.h"
#include "../audit/cl.h"
#include "../audit/cl_run.h"
#include "../report/rp_digest.h"

static const char au_usage[] =
    "usage: labelaudit audit --labels FILE --pred-probs FILE --out DIR [options]\n"
    "\n"
    "Finds label issues with confident learning (exactly as cleanlab 2.9.0 does)\n"
    "and estimates the label noise. FILEs are .npy or CSV.\n"
    "\n"
    "  --labels FILE            given labels: .npy integers, or CSV with a 'label'\n"
    "                           column (class indices or names; optional 'id' column)\n"
    "  --pred-probs FILE        out-of-fold probabilities, N x K: .npy float32/float64\n"
    "                           (streamed) or CSV with header p0..pK-1 or class names\n"
    "  --out DIR                output directory (created if needed)\n"
    "  --filter-by F            prune_by_noise_rate (default), prune_by_class, both,\n"
    "                           confident_learning, predicted_neq_given,\n"
    "                           low_normalized_margin, low_self_confidence\n"
    "  --rank-by R              self_confidence (default), normalized_margin,\n"
    "                           confidence_weighted_entropy\n"
    "  --frac-noise X           fraction of the estimated issues to flag, (0, 1] (1)\n"
    "  --num-to-remove-per-class FILE|n0,n1,...\n"
    "                           flag this many per class (prune filters only); FILE is a\n"
    "                           CSV with header 'count' and K rows\n"
    "  --min-examples-per-class N  never prune a class below N examples (1)\n"
    "  --corrected              opt-in fixes of two reference quirks: round (not\n"
    "                           truncate) fractional prune counts, and normalise\n"
    "                           --num-to-remove-per-class by each row's own sum\n"
    "  --scores                 also write the per-example label_quality_*.csv files\n"
    "  --data DATASET           the dataset (ids, class names, labels when --labels is\n"
    "                           not given); loader options below apply\n"
    "  --classes FILE           class names, one per line, in index order\n"
    "  --summary FILE           also write summary.json to FILE\n"
    "  --db FILE                record the run, its examples and review queue in FILE\n"
    "  --bootstrap B            bootstrap resamples for the error-rate intervals (1000)\n"
    "  --confidence C           interval level (0.95)\n"
    "  --seed S                 bootstrap seed (0)\n"
    "  --threads N              worker threads (default: all cores); results do not\n"
    "                           depend on it\n"
    "  --format text|json       terminal summary format (default text)\n"
    "  --quiet                  no progress or summary on stderr\n"
    "  --help                   this help\n"
    "\n";

enum {
    AU_LABELS = 1, AU_PROBS, AU_OUT, AU_FILTER, AU_RANK, AU_FRAC, AU_REMOVE, AU_NMIN, AU_SCORES,
    AU_DATA, AU_SUMMARY, AU_DB, AU_THREADS, AU_FORMAT, AU_QUIET, AU_HELP, AU_BOOT, AU_CONF, AU_SEED,
    AU_CORRECTED
};

typedef struct au_args {
    const char *labels, *probs, *out, *remove_arg, *data, *summary, *db;
    cl_opts     co;
    int         scores, quiet, json, boot;
    double      conf;
    uint64_t    seed;
    io_load_opts lo;
} au_args;

/* ---- probability readers ---------------------------------------------- */

/* The .npy reader reads ahead: while cl_run works on one chunk, a thread
 * reads the next one (cl_run's passes go front to back, then start again
 * at row 0) into the other buffer, so the copy out of the page cache no
 * longer leaves a core idle between chunks. The buffer handed out stays
 * untouched until the next call, as cl_reader requires. */
typedef struct au_npy_reader {
    io_npy    f;
    void     *buf[2];
    int       cur;            /* buffer handed out last                     */
    pthread_t th;
    int       pending;        /* a read-ahead thread is running             */
    size_t    ahead0, aheadn; /* its rows                                   */
    int       ahead_rc;
    la_error  ahead_err;
} au_npy_reader;

static int au_npy_fill(au_npy_reader *r, int b, size_t row0, size_t nrows, la_error *err)
{
    return r->f.dtype == IO_DT_F32 ? io_npy_read_rows_f32(&r->f, row0, nrows, r->buf[b], err)
                                   : io_npy_read_rows_f64(&r->f, row0, nrows, r->buf[b], err);
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
    size_t rows = r->f.rows;
    r->ahead0 = row0 + nrows < rows ? row0 + nrows : 0;
    r->aheadn = rows - r->ahead0 < nrows ? rows - r->ahead0 : nrows;
    if (r->buf[1] && r->aheadn && pthread_create(&r->th, NULL, au_npy_ahead, r) == 0) r->pending = 1;
    return 0;
}

typedef struct au_mem_reader { const double *p; size_t k; } au_mem_reader;

static int au_read_mem(void *ctx, size_t row0, size_t nrows, const void **out, la_error *err)
{
    au_mem_reader *r = ctx;
    (void)nrows; (void)err;
    *out = r->p + row0 * r->k;
    return 0;
}

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
 * refuses, with the same messages, and labels outside 0..k-1. */
static int au_labels_npy(const char *path, const char *probs, size_t n, size_t k, int32_t *y, la_error *err)
{
    io_npy f;
    int64_t buf[8192];
    int rc = io_npy_open(&f, path, err);
    if (rc) return rc;
    if (f.cols == 1 && f.rows != n && f.dtype != IO_DT_F32 && f.dtype != IO_DT_F64)
        rc = au_label_count_error(err, path, f.rows, probs, n);
    /* at least one read, even of 0 rows: it refuses float and 2-D files */
    for (size_t i0 = 0; !rc && (i0 < f.rows || i0 == 0); i0 += 8192) {
        size_t take = f.rows - i0 < 8192 ? f.rows - i0 : 8192;
        if ((rc = io_npy_read_rows_i64(&f, i0, take, buf, err))) break;
        for (size_t q = 0; q < take; q++) {
            int64_t v = buf[q];
            if (v < 0 || v >= (int64_t)k) {
                rc = v < 0 ? la_error_set(err, LA_EUSAGE, path, 0, "label %lld at index %zu is negative (labels are class indices 0..K-1)",
                                          (long long)v, i0 + q)
                           : au_label_range_error(err, path, 0, v, i0 + q, k);
                break;
            }
            y[i0 + q] = (int32_t)v;
        }
    }
    io_npy_close(&f);
    return rc;
}

/* ---- score files (pass 2 sink) ----------------------------------------- */

static const char *const au_score_files[5] = {
    "label_quality_self_confidence.csv", "label_quality_normalized_margin.csv",
    "label_quality_confidence_weighted_entropy.csv", "label_quality_self_confidence_adjusted.csv",
    "label_quality_normalized_margin_adjusted.csv"
};

typedef struct au_scores { la_atomic_file f[5]; int open; } au_scores;

static int au_score_sink(void *ctx, size_t row0, size_t nrows, const double *s, la_error *err)
{
    au_scores *sc = ctx;
    (void)row0;
    for (int j = 0; j < 5; j++) {
        FILE *fp = sc->f[j].fp;
        char num[34];
        for (size_t i = 0; i < nrows; i++) {
            int len = la_fmt_g17(s[i * 5 + j], num);
            num[len] = '\n';
            fwrite(num, 1, (size_t)len + 1, fp);
        }
        if (ferror(fp)) return la_error_set(err, LA_EINTERNAL, sc->f[j].path, 0, "write failed");
    }
    return 0;
}

/* ---- small writers ------------------------------------------------------ */

/* The output files of one run, opened as they are written and committed
 * together at the end (la_atomic_commit_all: parallel fsyncs, then the
 * renames), or all discarded. Two writer threads add to it, hence mu. */
enum { AU_MAX_OUT = 32 };
typedef struct au_outs {
    const char     *dir;
    la_atomic_file  f[AU_MAX_OUT];
    int             n;
    pthread_mutex_t mu;
} au_outs;

static int au_join(char *path, size_t size, const char *dir, const char *name, la_error *err)
{
    if (la_path_join(path, size, dir, name)) return la_error_set(err, LA_EUSAGE, dir, 0, "output path too long");
    return 0;
}

/* Opens DIR/name, or `path` itself when name is NULL, as o's next file. */
static la_atomic_file *au_open(au_outs *o, const char *name, const char *path, la_error *err)
{
    char buf[1024];
    if (name) {
        if (au_join(buf, sizeof buf, o->dir, name, err)) return NULL;
        path = buf;
    }
    pthread_mutex_lock(&o->mu);
    la_atomic_file *af = o->n < AU_MAX_OUT ? &o->f[o->n++] : NULL;
    pthread_mutex_unlock(&o->mu);
    if (!af) { la_error_set(err, LA_EINTERNAL, path, 0, "too many output files"); return NULL; }
    return la_atomic_open(af, path, err) ? NULL : af;
}

/* A file done with: 0, or the error when writing it failed. */
static int au_close(const la_atomic_file *af, la_error *err)
{
    return ferror(af->fp) ? la_error_set(err, LA_EINTERNAL, af->path, 0, "write failed") : 0;
}

static void au_abort_all(au_outs *o)
{
    for (int i = 0; i < o->n; i++) if (o->f[i].fp) la_atomic_abort(&o->f[i]);
    o->n = 0;
}

static void au_header_cols(FILE *fp, size_t k)
{
    for (size_t j = 0; j < k; j++) fprintf(fp, "%sc%zu", j ? "," : "", j);
    fputc('\n', fp);
}

static int au_write_mat_i(au_outs *o, const char *name, const int64_t *m, size_t k, la_error *err)
{
    la_atomic_file *af = au_open(o, name, NULL, err);
    if (!af) return err->status;
    au_header_cols(af->fp, k);
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++) fprintf(af->fp, "%" PRId64 "%c", m[i * k + j], j + 1 < k ? ',' : '\n');
    return au_close(af, err);
}

static int au_write_mat_d(au_outs *o, const char *name, const double *m, size_t k, la_error *err)
{
    la_atomic_file *af = au_open(o, name, NULL, err);
    if (!af) return err->status;
    au_header_cols(af->fp, k);
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++) fprintf(af->fp, "%.17g%c", m[i * k + j], j + 1 < k ? ',' : '\n');
    return au_close(af, err);
}

static int au_write_vec_d(au_outs *o, const char *name, const char *hdr, const double *v, size_t k, la_error *err)
{
    la_atomic_file *af = au_open(o, name, NULL, err);
    if (!af) return err->status;
    fprintf(af->fp, "%s\n", hdr);
    for (size_t i = 0; i < k; i++) fprintf(af->fp, "%.17g\n", v[i]);
    return au_close(af, err);
}

/* text into DIR/name, or into `path` when name is NULL */
static int au_write_text(au_outs *o, const char *name, const char *path, const char *text, la_error *err)
{
    la_atomic_file *af = au_open(o, name, path, err);
    if (!af) return err->status;
    fputs(text, af->fp);
    return au_close(af, err);
}

/* ---- the N-row files: text built in memory, then one fwrite ----------- */

/* A growable text buffer: at N = 1e7, stdio calls per field cost more than
 * the audit's passes over the matrix. */
typedef struct au_text { char *b; size_t len, cap; int oom; } au_text;

/* Room for `more` bytes; on failure sets oom and returns 0 (writers then
 * stop appending, and the caller reports out of memory). */
static int au_room(au_text *t, size_t more)
{
    if (t->oom) return 0;
    if (t->len + more <= t->cap) return 1;
    size_t cap = t->cap ? 2 * t->cap : 1u << 16;
    while (cap < t->len + more) cap *= 2;
    char *b = realloc(t->b, cap);
    if (!b) { t->oom = 1; return 0; }
    t->b = b;
    t->cap = cap;
    return 1;
}

/* v in decimal, then `end` unless it is 0. */
static void au_u64(au_text *t, uint64_t v, char end)
{
    char d[24];
    int i = 24;
    if (end) d[--i] = end;
    do { d[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    if (!au_room(t, (size_t)(24 - i))) return;
    memcpy(t->b + t->len, d + i, (size_t)(24 - i));
    t->len += (size_t)(24 - i);
}

/* s as one CSV field (quoted when it holds , " CR or LF). */
static void au_csv_field(au_text *t, const char *s)
{
    size_t n = strlen(s);
    if (!au_room(t, 2 * n + 2)) return;
    if (!strpbrk(s, ",\"\r\n")) { memcpy(t->b + t->len, s, n); t->len += n; return; }
    t->b[t->len++] = '"';
    for (; *s; s++) {
        if (*s == '"') t->b[t->len++] = '"';
        t->b[t->len++] = *s;
    }
    t->b[t->len++] = '"';
}

/* Writes and empties t; nonzero when t ran out of memory. */
static int au_text_flush(au_text *t, FILE *fp, const char *path, la_error *err)
{
    if (t->oom) return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    if (t->len) fwrite(t->b, 1, t->len, fp);
    t->len = 0;
    return 0;
}

static int au_enum(const char *cmd, const char *opt, const char *v, const char *const *names, int n, int *out)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v, names[i])) { *out = i; return 0; }
    return cli_usage_error(cmd, "unknown value '%s' for --%s", v, opt);
}

/* --num-to-remove-per-class: "n0,n1,..." or a CSV file with header `count`. */
static int au_parse_remove(const char *arg, size_t k, int64_t **out, la_error *err)
{
    int64_t *v = la_calloc(k + 1, sizeof *v);
    if (!v) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    size_t m = 0;
    struct stat st;
    if (stat(arg, &st) == 0) {
        FILE *fp = fopen(arg, "r");
        if (!fp) { free(v); return la_error_set(err, LA_EUSAGE, arg, 0, "cannot open: %s", strerror(errno)); }
        char line[256];
        long ln = 0;
        while (fgets(line, sizeof line, fp)) {
            ln++;
            line[strcspn(line, "\r\n")] = '\0';
            if (ln == 1 && (line[0] < '0' || line[0] > '9')) continue; /* header */
            if (!line[0]) continue;
            char *end;
            errno = 0;
            long long x = strtoll(line, &end, 10);
            if (end == line || *end || errno || x < 0) {
                fclose(fp); free(v);
                return la_error_set(err, LA_EUSAGE, arg, ln, "expected a non-negative integer count, found '%s'", line);
            }
            if (m == k) {
                fclose(fp); free(v);
                return la_error_set(err, LA_EUSAGE, arg, ln, "more than K = %zu counts", k);
            }
            v[m++] = x;
        }
        fclose(fp);
    } else {
        const char *s = arg;
        while (*s) {
            char *end;
            errno = 0;
            long long x = strtoll(s, &end, 10);
            if (end == s || errno || x < 0 || (*end && *end != ',')) {
                free(v);
                return la_error_set(err, LA_EUSAGE, NULL, 0,
                                    "--num-to-remove-per-class: '%s' is neither a file nor a list n0,n1,...", arg);
            }
            if (m == k) { free(v); return la_error_set(err, LA_EUSAGE, NULL, 0, "--num-to-remove-per-class: more than K = %zu counts", k); }
            v[m++] = x;
            s = *end ? end + 1 : end;
        }
    }
    if (m != k) {
        free(v);
        return la_error_set(err, LA_EUSAGE, arg, 0, "--num-to-remove-per-class needs K = %zu counts, found %zu", k, m);
    }
    *out = v;
    return 0;
}

static uint64_t au_hash_file(const char *path, uint64_t h)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return h;
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
        for (size_t i = 0; i < n; i++) { h ^= buf[i]; h *= 0x100000001b3ull; }
    fclose(fp);
    return h;
}

/* ---- summary.json ------------------------------------------------------ */

static json_t *au_num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *au_summary(const au_args *a, const cl_result *r, char *const *names, const int64_t *remove,
                          const double *ci, const double *cci)
{
    size_t k = r->k;
    json_t *j = json_object();
    json_t *cls = json_array(), *cnt = json_array(), *cer = json_array(), *ccis = json_array(), *cfl = json_array();
    for (size_t c = 0; c < k; c++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%zu", c);
        json_array_append_new(cls, json_string(names ? names[c] : buf));
        json_array_append_new(cnt, json_integer(r->counts[c]));
        json_array_append_new(cfl, json_integer(r->class_flagged[c]));
        json_array_append_new(cer, r->counts[c] ? json_real((double)r->class_off_diagonal[c] / (double)r->counts[c])
                                                : json_real(0.0));
        json_array_append_new(ccis, json_pack("[oo]", au_num_or_null(cci[2 * c]), au_num_or_null(cci[2 * c + 1])));
    }
    json_t *opt = json_object();
    json_object_set_new(opt, "filter_by", json_string(cl_filter_names[a->co.filter]));
    json_object_set_new(opt, "rank_by", json_string(cl_rank_names[a->co.rank]));
    json_object_set_new(opt, "frac_noise", json_real(a->co.frac_noise));
    json_object_set_new(opt, "min_examples_per_class", json_integer(a->co.nmin));
    if (remove) {
        json_t *rm = json_array();
        for (size_t c = 0; c < k; c++) json_array_append_new(rm, json_integer(remove[c]));
        json_object_set_new(opt, "num_to_remove_per_class", rm);
    } else {
        json_object_set_new(opt, "num_to_remove_per_class", json_null());
    }
    json_object_set_new(opt, "scores", json_boolean(a->scores));
    json_object_set_new(opt, "corrected", json_boolean(a->co.corrected));
    json_object_set_new(opt, "bootstrap", json_integer(a->boot));
    json_object_set_new(opt, "confidence", json_real(a->conf));
    json_object_set_new(opt, "seed", json_integer((json_int_t)a->seed));
    /* the loader options given, so the report can reload the dataset (file
     * paths made absolute, like the run's dataset_path in the db) */
    const io_load_opts *lo = &a->lo;
    const char *files[3][2] = {{"classes", lo->classes_file}, {"idx_labels", lo->idx_labels},
                               {"npy_labels", lo->npy_labels}};
    for (int f = 0; f < 3; f++) {
        if (!files[f][1]) continue;
        char *abs = realpath(files[f][1], NULL);
        json_object_set_new(opt, files[f][0], json_string(abs ? abs : files[f][1]));
        free(abs);
    }
    if (lo->format != IO_FORMAT_AUTO) json_object_set_new(opt, "format_in", json_string(io_format_name(lo->format)));
    if (lo->label_col && strcmp(lo->label_col, "label"))
        json_object_set_new(opt, "label_col", json_string(lo->label_col));
    if (lo->id_col && strcmp(lo->id_col, "id")) json_object_set_new(opt, "id_col", json_string(lo->id_col));
    if (lo->features) json_object_set_new(opt, "features", json_string(lo->features));

    json_object_set_new(j, "labelaudit_version", json_string(LA_VERSION));
    json_object_set_new(j, "n", json_integer((json_int_t)r->n));
    json_object_set_new(j, "k", json_integer((json_int_t)k));
    json_object_set_new(j, "classes", cls);
    json_object_set_new(j, "counts", cnt);
    json_object_set_new(j, "num_flagged", json_integer((json_int_t)r->n_flagged));
    json_object_set_new(j, "class_flagged", cfl);
    json_object_set_new(j, "num_label_issues", json_integer(r->num_off_diagonal));
    json_object_set_new(j, "num_label_issues_calibrated", json_integer(r->num_off_diagonal_calibrated));
    json_object_set_new(j, "error_rate", json_real((double)r->num_off_diagonal / (double)r->n));
    json_object_set_new(j, "error_rate_ci", json_pack("[oo]", au_num_or_null(ci[0]), au_num_or_null(ci[1])));
    json_object_set_new(j, "class_error_rate", cer);
    json_object_set_new(j, "class_error_rate_ci", ccis);
    json_object_set_new(j, "health_score", json_real(r->health));
    json_object_set_new(j, "confidence", json_real(a->conf));
    json_object_set_new(j, "bootstrap", json_pack("{sisI}", "resamples", a->boot, "seed", (json_int_t)a->seed));
    json_object_set_new(j, "method", json_string(cl_filter_names[a->co.filter]));
    json_object_set_new(j, "rank_by", json_string(cl_rank_names[a->co.rank]));
    json_object_set_new(j, "options", opt);
    json_object_set_new(j, "labels_path", a->labels ? json_string(a->labels) : json_null());
    json_object_set_new(j, "pred_probs_path", json_string(a->probs));
    json_object_set_new(j, "dataset", a->data ? json_string(a->data) : json_null());
    return j;
}

/* ---- outputs ----------------------------------------------------------- */

/* The two N-row mask files, off_diagonal_indices.csv and is_label_issue.csv:
 * written on a thread of their own while the rest is written (au_masks). */
typedef struct au_masks {
    au_outs         *outs;
    const cl_result *r;
    int              rc;
    la_error         err;
} au_masks;

static void *au_write_masks(void *arg)
{
    au_masks *m = arg;
    const cl_result *r = m->r;
    au_text t = {0};
    int rc = 0;
    la_atomic_file *af = au_open(m->outs, "off_diagonal_indices.csv", NULL, &m->err);
    if (!af) { rc = m->err.status; goto done; }
    fputs("index\n", af->fp);
    for (size_t i = 0; i < r->n && !rc; i++) {
        if (r->flags[i] & CL_F_OFFDIAG) au_u64(&t, i, '\n');
        if (t.len >= (1u << 20)) rc = au_text_flush(&t, af->fp, af->path, &m->err);
    }
    if (!rc) rc = au_text_flush(&t, af->fp, af->path, &m->err);
    if (rc || (rc = au_close(af, &m->err))) goto done;

    if (!(af = au_open(m->outs, "is_label_issue.csv", NULL, &m->err))) { rc = m->err.status; goto done; }
    fputs("is_label_issue\n", af->fp);
    for (size_t i = 0; i < r->n && !rc; i++) {
        if (!au_room(&t, 2)) { rc = au_text_flush(&t, af->fp, af->path, &m->err); break; }
        t.b[t.len++] = r->flags[i] & CL_F_ISSUE ? '1' : '0';
        t.b[t.len++] = '\n';
        if (t.len >= (1u << 20)) rc = au_text_flush(&t, af->fp, af->path, &m->err);
    }
    if (!rc) rc = au_text_flush(&t, af->fp, af->path, &m->err);
    if (!rc) rc = au_close(af, &m->err);
done:
    free(t.b);
    m->rc = rc;
    return NULL;
}

static int au_write_all(au_outs *d, const cl_result *r, la_error *err)
{
    size_t k = r->k;
    int rc;
    char buf[128];
    if ((rc = au_write_vec_d(d, "thresholds.csv", "threshold", r->thresholds, k, err))) return rc;
    if ((rc = au_write_mat_i(d, "confident_joint.csv", r->cj, k, err))) return rc;
    if ((rc = au_write_mat_i(d, "confident_joint_calibrated.csv", r->cjc, k, err))) return rc;
    if ((rc = au_write_mat_d(d, "joint.csv", r->joint, k, err))) return rc;
    if ((rc = au_write_vec_d(d, "py.csv", "py", r->py, k, err))) return rc;
    if ((rc = au_write_mat_d(d, "noise_matrix.csv", r->nm, k, err))) return rc;
    if ((rc = au_write_mat_d(d, "inverse_noise_matrix.csv", r->inv, k, err))) return rc;
    if ((rc = au_write_vec_d(d, "py_raw.csv", "py", r->py_raw, k, err))) return rc;
    if ((rc = au_write_mat_d(d, "noise_matrix_raw.csv", r->nm_raw, k, err))) return rc;
    if ((rc = au_write_mat_d(d, "inverse_noise_matrix_raw.csv", r->inv_raw, k, err))) return rc;
    if (r->single_class) {
        cli_warn("audit: every label is class 0: num_label_issues_off_diagonal.txt, "
                 "num_label_issues_off_diagonal_calibrated.txt and overall_label_health_score.txt are not "
                 "written (the reference refuses a single class there); the other outputs are");
    } else {
        snprintf(buf, sizeof buf, "%" PRId64 "\n", r->num_off_diagonal);
        if ((rc = au_write_text(d, "num_label_issues_off_diagonal.txt", NULL, buf, err))) return rc;
        snprintf(buf, sizeof buf, "%" PRId64 "\n", r->num_off_diagonal_calibrated);
        if ((rc = au_write_text(d, "num_label_issues_off_diagonal_calibrated.txt", NULL, buf, err))) return rc;
        snprintf(buf, sizeof buf, "%.17g\n", r->health);
        if ((rc = au_write_text(d, "overall_label_health_score.txt", NULL, buf, err))) return rc;
    }

    la_atomic_file *af = au_open(d, "class_label_quality.csv", NULL, err);
    if (!af) return err->status;
    fputs("Class Index,Label Issues,Inverse Label Issues,Label Noise,Inverse Label Noise,Label Quality Score\n", af->fp);
    for (size_t c = 0; c < k; c++) {
        const cl_class_quality *q = &r->class_quality[c];
        fprintf(af->fp, "%" PRId64 ",%" PRId64 ",%" PRId64 ",%.17g,%.17g,%.17g\n", q->cls, q->issues, q->inv_issues,
                q->noise, q->inv_noise, q->quality);
    }
    if ((rc = au_close(af, err))) return rc;

    if (!(af = au_open(d, "overlapping_classes.csv", NULL, err))) return err->status;
    fputs("Class Index A,Class Index B,Num Overlapping Examples,Joint Probability\n", af->fp);
    for (size_t q = 0; q < k * (k - 1) / 2; q++) {
        const cl_overlap *o = &r->overlap[q];
        fprintf(af->fp, "%" PRId64 ",%" PRId64 ",%" PRId64 ",%.17g\n", o->a, o->b, o->num, o->joint);
    }
    if ((rc = au_close(af, err))) return rc;

    if (!(af = au_open(d, "ranked.csv", NULL, err))) return err->status;
    fputs("index\n", af->fp);
    au_text t = {0};
    for (size_t q = 0; q < r->n_flagged && !rc; q++) {
        au_u64(&t, r->ranked[q], '\n');
        if (t.len >= (1u << 20)) rc = au_text_flush(&t, af->fp, af->path, err);
    }
    if (!rc) rc = au_text_flush(&t, af->fp, af->path, err);
    free(t.b);
    return rc ? rc : au_close(af, err);
}

/* label_issues.csv rows [q0, q1) (ranks q0 + 1 ...) formatted into t. */
typedef struct au_issue_rows {
    const cl_result *r;
    char *const     *names, *const *ids;
    size_t           q0, q1;
    au_text          t;
} au_issue_rows;

static void *au_format_issues(void *arg)
{
    au_issue_rows *w = arg;
    const cl_result *r = w->r;
    au_text *t = &w->t;
    for (size_t q = w->q0; q < w->q1 && !t->oom; q++) {
        uint32_t i = r->ranked[q];
        au_u64(t, q + 1, ',');
        au_u64(t, i, ',');
        if (w->ids) au_csv_field(t, w->ids[i]);
        else au_u64(t, i, 0);
        int32_t lab[2] = {r->ranked_given[q], r->ranked_suggested[q]};
        for (int u = 0; u < 2; u++) {
            if (au_room(t, 1)) t->b[t->len++] = ',';
            if (w->names) au_csv_field(t, w->names[lab[u]]);
            else au_u64(t, (uint64_t)lab[u], 0);
        }
        if (au_room(t, 34)) {
            t->b[t->len++] = ',';
            t->len += (size_t)la_fmt_g17(r->ranked_score[q], t->b + t->len);
            t->b[t->len++] = '\n';
        }
    }
    return NULL;
}

/* The ranked issues for people. Blocks of rows are formatted by up to
 * `threads` threads and written in rank order. */
static int au_write_issues(au_outs *o, const cl_result *r, char *const *names,
                           char *const *ids, int threads, la_error *err)
{
    enum { BLOCK = 1 << 15 };
    au_issue_rows w[2];
    int rc = 0;
    la_atomic_file *af = au_open(o, "label_issues.csv", NULL, err);
    if (!af) return err->status;
    int T = threads < 2 ? 1 : 2;
    memset(w, 0, sizeof w);
    fputs("rank,index,id,given_label,suggested_label,label_quality\n", af->fp);
    for (size_t b0 = 0; b0 < r->n_flagged && !rc; b0 += (size_t)T * BLOCK) {
        pthread_t th;
        int started = 0;
        for (int u = 0; u < T; u++) {
            size_t q0 = b0 + (size_t)u * BLOCK;
            w[u] = (au_issue_rows){.r = r, .names = names, .ids = ids, .t = w[u].t,
                                   .q0 = q0 < r->n_flagged ? q0 : r->n_flagged,
                                   .q1 = q0 + BLOCK < r->n_flagged ? q0 + BLOCK : r->n_flagged};
        }
        if (T == 2 && w[1].q0 < w[1].q1) started = pthread_create(&th, NULL, au_format_issues, &w[1]) == 0;
        au_format_issues(&w[0]);
        if (T == 2 && w[1].q0 < w[1].q1 && !started) au_format_issues(&w[1]);
        if (started) pthread_join(th, NULL);
        for (int u = 0; u < T && !rc; u++) rc = au_text_flush(&w[u].t, af->fp, af->path, err);
    }
    free(w[0].t.b);
    free(w[1].t.b);
    return rc ? rc : au_close(af, err);
}

/* ---- the command ------------------------------------------------------- */

static int au_parse(int argc, char **argv, au_args *a, int *done)
{
    static const struct option base[] = {
        {"labels", required_argument, 0, AU_LABELS},
        {"pred-probs", required_argument, 0, AU_PROBS},
        {"out", required_argument, 0, AU_OUT},
        {"filter-by", required_argument, 0, AU_FILTER},
        {"rank-by", required_argument, 0, AU_RANK},
        {"frac-noise", required_argument, 0, AU_FRAC},
        {"num-to-remove-per-class", required_argument, 0, AU_REMOVE},
        {"min-examples-per-class", required_argument, 0, AU_NMIN},
        {"scores", no_argument, 0, AU_SCORES},
        {"data", required_argument, 0, AU_DATA},
        {"summary", required_argument, 0, AU_SUMMARY},
        {"db", required_argument, 0, AU_DB},
        {"threads", required_argument, 0, AU_THREADS},
        {"format", required_argument, 0, AU_FORMAT},
        {"quiet", no_argument, 0, AU_QUIET},
        {"help", no_argument, 0, AU_HELP},
        {"bootstrap", required_argument, 0, AU_BOOT},
        {"confidence", required_argument, 0, AU_CONF},
        {"seed", required_argument, 0, AU_SEED},
        {"corrected", no_argument, 0, AU_CORRECTED},
        IO_LOAD_LONG_OPTIONS,
        {0, 0, 0, 0}
    };
    const char *cmd = "audit";
    int c, ival = 0;
    long lv;
    *done = 0;
    while ((c = getopt_long(argc, argv, ":h", base, NULL)) != -1) {
        switch (c) {
        case AU_LABELS: a->labels = optarg; break;
        case AU_PROBS: a->probs = optarg; break;
        case AU_OUT: a->out = optarg; break;
        case AU_FILTER:
            if (au_enum(cmd, "filter-by", optarg, cl_filter_names, CL_FILTER_COUNT, &ival)) return LA_EUSAGE;
            a->co.filter = (cl_filter)ival;
            break;
        case AU_RANK:
            if (au_enum(cmd, "rank-by", optarg, cl_rank_names, CL_RANK_COUNT, &ival)) return LA_EUSAGE;
            a->co.rank = (cl_rank)ival;
            break;
        case AU_FRAC:
            if (cli_parse_double(cmd, "frac-noise", optarg, 0, 1, &a->co.frac_noise)) return LA_EUSAGE;
            if (a->co.frac_noise <= 0) return cli_usage_error(cmd, "option '--frac-noise' must be in (0, 1]");
            break;
        case AU_REMOVE: a->remove_arg = optarg; break;
        case AU_NMIN:
            if (cli_parse_long(cmd, "min-examples-per-class", optarg, 0, 1000000000L, &a->co.nmin)) return LA_EUSAGE;
            break;
        case AU_SCORES: a->scores = 1; break;
        case AU_DATA: a->data = optarg; break;
        case AU_SUMMARY: a->summary = optarg; break;
        case AU_DB: a->db = optarg; break;
        case AU_THREADS:
            if (cli_parse_long(cmd, "threads", optarg, 1, 256, &lv)) return LA_EUSAGE;
            a->co.threads = (int)lv;
            break;
        case AU_FORMAT:
            if (!strcmp(optarg, "json")) a->json = 1;
            else if (!strcmp(optarg, "text")) a->json = 0;
            else return cli_usage_error(cmd, "--format must be text or json, got '%s'", optarg);
            break;
        case AU_QUIET: a->quiet = 1; break;
        case AU_CORRECTED: a->co.corrected = 1; break;
        case AU_BOOT:
            if (cli_parse_long(cmd, "bootstrap", optarg, 1, 1000000, &lv)) return LA_EUSAGE;
            a->boot = (int)lv;
            break;
        case AU_CONF:
            if (cli_parse_double(cmd, "confidence", optarg, 0, 1, &a->conf)) return LA_EUSAGE;
            if (a->conf <= 0 || a->conf >= 1) return cli_usage_error(cmd, "--confidence must be in (0, 1)");
            break;
        case AU_SEED:
            if (cli_parse_long(cmd, "seed", optarg, 0, 2147483647L, &lv)) return LA_EUSAGE;
            a->seed = (uint64_t)lv;
            break;
        case 'h': case AU_HELP:
            printf("%s%s", au_usage, io_load_opts_help);
            *done = 1;
            return 0;
        default:
            if (c >= IO_OPT_BASE && c < IO_OPT_BASE + 64) {
                if (io_load_opts_handle(&a->lo, c, optarg, cmd)) return LA_EUSAGE;
                break;
            }
            return cli_getopt_error(cmd, c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!a->probs) return cli_usage_error(cmd, "--pred-probs is required");
    if (!a->out) return cli_usage_error(cmd, "--out is required");
    if (!a->labels && !a->data) return cli_usage_error(cmd, "--labels (or --data) is required");
    if (a->remove_arg && a->co.filter != CL_PRUNE_BY_NOISE_RATE && a->co.filter != CL_PRUNE_BY_CLASS &&
        a->co.filter != CL_BOTH)
        return cli_usage_error(cmd, "--num-to-remove-per-class only applies to prune_by_noise_rate, "
                                    "prune_by_class and both (not %s)", cl_filter_names[a->co.filter]);
    return 0;
}

static int au_ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

int cmd_audit(int argc, char **argv)
{
    au_args a;
    memset(&a, 0, sizeof a);
    cl_opts_init(&a.co);
    a.co.threads = la_num_cpus();
    a.boot = 1000;
    a.conf = 0.95;
    io_load_opts_init(&a.lo);
    a.lo.no_features = 1;
    int done, rc = au_parse(argc, argv, &a, &done);
    if (rc || done) return rc;

    la_error err;
    la_error_clear(&err);
    la_dataset ds;
    memset(&ds, 0, sizeof ds);
    io_labels lab;
    memset(&lab, 0, sizeof lab);
    io_probs mem;
    memset(&mem, 0, sizeof mem);
    au_npy_reader nr;
    memset(&nr, 0, sizeof nr);
    au_mem_reader mr;
    au_scores sc;
    memset(&sc, 0, sizeof sc);
    au_outs outs;   /* the output files, committed together */
    memset(&outs, 0, sizeof outs);
    outs.dir = a.out;
    pthread_mutex_init(&outs.mu, NULL);
    cl_result res;
    memset(&res, 0, sizeof res);
    char **cls_file = NULL;
    size_t n_cls_file = 0;
    int32_t *y = NULL;
    int64_t *remove = NULL;
    json_t *summary = NULL;
    char *summary_text = NULL;
    char *const *names = NULL;
    char *const *ids = NULL;
    size_t n = 0, k = 0;
    cl_reader rd;
    memset(&rd, 0, sizeof rd);
    double t0 = la_now();

    /* Probabilities: .npy streamed, CSV in memory. */
    if (au_ends_with(a.probs, ".npy")) {
        if ((rc = io_npy_open(&nr.f, a.probs, &err))) goto fail;
        if (nr.f.ndim != 2) {
            rc = la_error_set(&err, LA_EUSAGE, a.probs, 0, "pred_probs must be 2-D (N x K), found a 1-D array");
            goto fail;
        }
        n = nr.f.rows;
        k = nr.f.cols;
        /* every pass reads front to back: ask for aggressive read-ahead */
        posix_fadvise(fileno(nr.f.fp), 0, 0, POSIX_FADV_SEQUENTIAL);
        rd.elem = nr.f.dtype == IO_DT_F32 ? 4 : 8;
        size_t row_bytes = k * (size_t)rd.elem;
        rd.chunk_rows = (8u << 20) / (row_bytes ? row_bytes : 1);
        if (rd.chunk_rows < 1) rd.chunk_rows = 1;
        if (rd.chunk_rows > n && n) rd.chunk_rows = n;
        nr.buf[0] = la_big_alloc(rd.chunk_rows * k + 1, (size_t)rd.elem);
        /* a file of one chunk is read once per pass: no read-ahead */
        nr.buf[1] = rd.chunk_rows < n ? la_big_alloc(rd.chunk_rows * k + 1, (size_t)rd.elem) : NULL;
        if (!nr.buf[0] || (rd.chunk_rows < n && !nr.buf[1])) { rc = la_error_set(&err, LA_EINTERNAL, NULL, 0, "out of memory"); goto fail; }
        rd.ctx = &nr;
        rd.read = au_read_npy;
    } else {
        if ((rc = io_probs_load(a.probs, &mem, &err))) goto fail;
        n = mem.n;
        k = mem.k;
        mr.p = mem.p;
        mr.k = k;
        rd.elem = 8;
        rd.chunk_rows = k ? (8u << 20) / (k * 8) : 1;
        if (rd.chunk_rows < 1) rd.chunk_rows = 1;
        rd.ctx = &mr;
        rd.read = au_read_mem;
    }
    rd.path = a.probs;

    /* Class names: --classes, else the probability header, else the dataset. */
    if (a.lo.classes_file) {
        if ((rc = io_class_names_load(a.lo.classes_file, &cls_file, &n_cls_file, &err))) goto fail;
        if (n_cls_file != k) {
            rc = la_error_set(&err, LA_EUSAGE, a.lo.classes_file, 0,
                              "%zu class names, but %s has %zu columns", n_cls_file, a.probs, k);
            goto fail;
        }
        names = cls_file;
    } else if (mem.class_names) {
        names = mem.class_names;
    }
    if (a.data) {
        if ((rc = io_dataset_load(a.data, &a.lo, &ds, &err))) goto fail;
        if (!names && ds.k == k) names = ds.class_names;
        ids = ds.ids;
    }

    /* Labels. */
    y = la_big_alloc(n + 1, sizeof *y);
    if (!y) { rc = la_error_set(&err, LA_EINTERNAL, NULL, 0, "out of memory"); goto fail; }
    if (a.labels && au_ends_with(a.labels, ".npy")) {
        if ((rc = au_labels_npy(a.labels, a.probs, n, k, y, &err))) goto fail;
    } else if (a.labels) {
        if ((rc = io_labels_load(a.labels, names, names ? k : 0, &lab, &err))) goto fail;
        if (lab.n != n) {
            rc = au_label_count_error(&err, a.labels, lab.n, a.probs, n);
            goto fail;
        }
        if (lab.names) {
            if (lab.n_names > k) {
                rc = la_error_set(&err, LA_EUSAGE, a.labels, 0, "%zu distinct class names but pred_probs has %zu columns; "
                                  "give --classes or name the columns", lab.n_names, k);
                goto fail;
            }
            if (!names && lab.n_names == k) names = lab.names;
        }
        for (size_t i = 0; i < n; i++) {
            if (lab.labels[i] < 0 || lab.labels[i] >= (int64_t)k) {
                rc = au_label_range_error(&err, a.labels, (long)i + 2, lab.labels[i], i, k);
                goto fail;
            }
            y[i] = (int32_t)lab.labels[i];
        }
        if (!ids && lab.ids) ids = lab.ids;
        free(lab.labels);
        lab.labels = NULL;
    } else {
        if (ds.n != n) {
            rc = la_error_set(&err, LA_EUSAGE, a.data, 0, "%zu examples but %s has %zu rows", ds.n, a.probs, n);
            goto fail;
        }
        if (ds.k > k) {
            rc = la_error_set(&err, LA_EUSAGE, a.data, 0, "%zu classes but %s has %zu columns", ds.k, a.probs, k);
            goto fail;
        }
        for (size_t i = 0; i < n; i++) y[i] = ds.labels[i];
    }
    if (a.data && ds.n && ds.n != n) {
        rc = la_error_set(&err, LA_EUSAGE, a.data, 0, "%zu examples but %s has %zu rows", ds.n, a.probs, n);
        goto fail;
    }
    if (a.remove_arg && (rc = au_parse_remove(a.remove_arg, k, &remove, &err))) goto fail;
    a.co.remove = remove;
    a.co.keep_rank_scores = a.db != NULL;

    if ((rc = la_mkdir_p(a.out, &err))) goto fail;
    if (a.scores) {
        for (int j = 0; j < 5; j++) {
            char path[1024];
            if ((rc = au_join(path, sizeof path, a.out, au_score_files[j], &err)) ||
                (rc = la_atomic_open(&sc.f[j], path, &err))) goto fail;
            sc.open = j + 1;
            fputs("score\n", sc.f[j].fp);
        }
        a.co.sink = au_score_sink;
        a.co.sink_ctx = &sc;
    }

    if ((rc = cl_run(n, k, y, &rd, &a.co, &res, &err))) goto fail;

    double t_run = la_now();
    /* Intervals for the estimated error rates. */
    double ci[2];
    double *cci = la_calloc(2 * k + 1, sizeof *cci);
    if (!cci || cl_bootstrap_ci(res.class_off_diagonal, res.counts, k, a.boot, a.conf, a.seed, ci, cci)) {
        free(cci);
        rc = la_error_set(&err, LA_EINTERNAL, NULL, 0, "out of memory");
        goto fail;
    }
    summary = au_summary(&a, &res, names, remove, ci, cci);
    free(cci);
    summary_text = json_dumps(summary, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    if (!summary_text) { rc = la_error_set(&err, LA_EINTERNAL, NULL, 0, "out of memory"); goto fail; }

    {
        /* every file below appears at once, after all are written (outs) */
        au_masks masks = {.outs = &outs, .r = &res};
        pthread_t mt;
        int started = a.co.threads > 1 && pthread_create(&mt, NULL, au_write_masks, &masks) == 0;
        if (!started) au_write_masks(&masks);
        rc = au_write_all(&outs, &res, &err);
        if (!rc) rc = au_write_issues(&outs, &res, names, ids, a.co.threads, &err);
        if (started) pthread_join(mt, NULL);
        if (!rc && masks.rc) { rc = masks.rc; err = masks.err; }
        if (rc) goto fail;
        size_t len = strlen(summary_text);
        char *t = malloc(len + 2);
        if (!t) { rc = la_error_set(&err, LA_EINTERNAL, NULL, 0, "out of memory"); goto fail; }
        memcpy(t, summary_text, len);
        t[len] = '\n';
        t[len + 1] = '\0';
        rc = au_write_text(&outs, "summary.json", NULL, t, &err);
        if (!rc && a.summary) rc = au_write_text(&outs, NULL, a.summary, t, &err);
        free(t);
        if (rc || (rc = la_atomic_commit_all(outs.f, (size_t)outs.n, &err))) goto fail;
        outs.n = 0;
    }
    if (a.scores) {
        for (int j = 0; j < 5; j++) {
            if (j == 2 && res.cwe_refused) {
                la_atomic_abort(&sc.f[j]);
                cli_warn("audit: %s not written: confidence_weighted_entropy needs every probability in [0, 1] "
                         "exactly, and %s has values within the 1e-6 tolerance outside it",
                         au_score_files[j], a.probs);
                continue;
            }
            if ((rc = ferror(sc.f[j].fp) ? la_error_set(&err, LA_EINTERNAL, sc.f[j].path, 0, "write failed")
                                         : la_atomic_commit(&sc.f[j], &err))) {
                la_atomic_abort(&sc.f[j]);
                for (int u = j + 1; u < 5; u++) la_atomic_abort(&sc.f[u]);
                sc.open = 0;
                goto fail;
            }
        }
        sc.open = 0;
    }

    if (a.db) {
        sqlite3 *db = NULL;
        int64_t *given = la_malloc_array(n + 1, sizeof *given);
        int64_t *sugg = la_malloc_array(n + 1, sizeof *sugg);
        int64_t *ranked = la_malloc_array(res.n_flagged + 1, sizeof *ranked);
        uint8_t *issue = la_malloc_array(n + 1, 1);
        double *cq = la_calloc(k + 1, sizeof *cq);
        double *cer = la_calloc(k + 1, sizeof *cer);
        char **cn = la_calloc(k + 1, sizeof *cn);
        char *opts_text = json_dumps(json_object_get(summary, "options"), JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!given || !sugg || !ranked || !issue || !cq || !cer || !cn || !opts_text) {
            rc = la_error_set(&err, LA_EINTERNAL, NULL, 0, "out of memory");
        } else {
            char hash[32];
            uint64_t h = 0xcbf29ce484222325ull;
            if (a.labels) h = au_hash_file(a.labels, h);
            h = au_hash_file(a.probs, h);
            snprintf(hash, sizeof hash, "%016" PRIx64, h);
            char numbuf[32];
            for (size_t i = 0; i < n; i++) {
                given[i] = y[i];
                sugg[i] = res.suggested[i];
                issue[i] = (res.flags[i] & CL_F_ISSUE) ? 1 : 0;
            }
            for (size_t q = 0; q < res.n_flagged; q++) ranked[q] = res.ranked[q];
            for (size_t c = 0; c < k; c++) {
                cer[c] = res.counts[c] ? (double)res.class_off_diagonal[c] / (double)res.counts[c] : 0;
                snprintf(numbuf, sizeof numbuf, "%zu", c);
                cn[c] = la_strdup(names ? names[c] : numbuf);
            }
            for (size_t c = 0; c < k; c++) cq[res.class_quality[c].cls] = res.class_quality[c].quality;
            db_audit_record rec = {
                .dataset_path = a.data ? a.data : a.labels,
                .dataset_hash = hash,
                .labels_path = a.labels ? a.labels : a.data,
                .pred_probs_path = a.probs,
                .n = n, .k = k,
                .class_names = cn,
                .ids = ids,
                .image_paths = ds.image_paths,
                .given = given,
                .suggested = sugg,
                .quality = res.quality,
                .is_issue = issue,
                .ranked = ranked,
                .n_ranked = res.n_flagged,
                .confident_joint = res.cjc,
                .noise_matrix = res.nm,
                .class_issues = res.class_flagged,
                .class_error_rate = cer,
                .class_quality = cq,
                .error_rate = (double)res.num_off_diagonal / (double)n,
                .health = res.health,
                .method = cl_filter_names[a.co.filter],
                .rank_by = cl_rank_names[a.co.rank],
                .options_json = opts_text,
                .summary_json = summary_text,
            };
            int64_t run_id = 0;
            rc = db_open(a.db, &db, &err);
            /* with what the report needs of the raw inputs (curves, features, pixels) */
            double *pp = mem.p ? NULL : rp_digest_load_probs(a.probs, n, k);
            rp_digest_src dsrc = {a.data ? &ds : NULL, mem.p ? mem.p : pp, y, n, k};
            if (!rc) rc = db_record_audit_then(db, &rec, rp_digest_hook, &dsrc, &run_id, &err);
            free(pp);
            if (db) db_close(db);
            if (!rc) cli_info(a.quiet, "recorded run %" PRId64 " in %s\n", run_id, a.db);
        }
        free(given); free(sugg); free(ranked); free(issue); free(cq); free(cer);
        if (cn) io_free_strings(cn, k);
        free(opts_text);
        if (rc) goto fail;
    }

    const char *timing = getenv("LABELAUDIT_TIMING");
    if (timing && *timing && strcmp(timing, "0"))
        fprintf(stderr, "timing: pass1 %.3f s, pass2+kxk %.3f s, pruning %.3f s (%d re-runs without floors, "
                        "%d tie passes), ranking %.3f s, bootstrap+outputs %.3f s, total %.3f s\n",
                res.seconds[0], res.seconds[1], res.seconds[2], res.floor_passes, res.tie_passes, res.seconds[3],
                la_now() - t_run, la_now() - t0);
    if (a.json) {
        printf("%s\n", summary_text);
    } else if (!a.quiet) {
        double er = (double)res.num_off_diagonal / (double)n;
        json_t *cij = json_object_get(summary, "error_rate_ci");
        fprintf(stderr,
                "audited %zu examples, %zu classes in %.2f s\n"
                "  flagged for review:      %zu examples (filter %s, ranked by %s) -> %s/label_issues.csv\n"
                "  estimated label errors:  %" PRId64 " (%.2f%% of examples, %g%% interval %.2f%%..%.2f%%)\n"
                "  label health score:      %.4f\n",
                n, k, la_now() - t0, res.n_flagged, cl_filter_names[a.co.filter], cl_rank_names[a.co.rank], a.out,
                res.num_off_diagonal, 100 * er, 100 * a.conf,
                100 * json_real_value(json_array_get(cij, 0)), 100 * json_real_value(json_array_get(cij, 1)),
                res.health);
        fprintf(stderr, "  (the flagged count comes from the filter; the estimate counts the off-diagonal\n"
                        "   confident-joint examples; they differ by design)\n");
    }
    rc = 0;
    goto out;
fail:
    rc = cli_report(&err);
out:
    for (int j = 0; j < sc.open; j++) la_atomic_abort(&sc.f[j]);
    au_abort_all(&outs);
    pthread_mutex_destroy(&outs.mu);
    json_decref(summary);
    free(summary_text);
    cl_result_free(&res);
    free(remove);
    free(y);
    io_labels_free(&lab);
    io_probs_free(&mem);
    au_npy_join(&nr, 0, 0);
    if (nr.f.fp) io_npy_close(&nr.f);
    free(nr.buf[0]);
    free(nr.buf[1]);
    io_free_strings(cls_file, n_cls_file);
    io_dataset_free(&ds);
    return rc;
}
