/*
 * au_write.c — the audit stage's output file set (au_write in audit.h): the
 * K x K CSVs, the N-row masks, ranked.csv, label_issues.csv, summary.json and
 * the streamed score files. With class names, class_label_quality.csv and
 * overlapping_classes.csv lead with name columns (cleanlab's class_names=);
 * the K x K files carry row and column labels, the lines of classes.txt
 * (docs/commands.md says why). Every file is a temp file until all are written;
 * then they are committed together (la_atomic_commit_all: parallel fsyncs,
 * then the renames), or all are discarded. Never prints.
 */
#include "audit.h"
#include "../util/la_par.h"
#include "../io/npy.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Text buffers are flushed to their file past this size. */
enum { AU_FLUSH_BYTES = 1u << 20, AU_ISSUE_BLOCK = 1 << 15 };

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

/* One CSV field to fp, quoted (RFC 4180) when it holds , " CR or LF. */
static void au_csv_put(FILE *fp, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) { fputs(s, fp); return; }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"') fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

/* "NAME," of class c, when the class names are known (else nothing): the
 * leading name columns cleanlab's rank_classes_by_label_quality and
 * find_overlapping_classes insert when given class_names. */
static void au_name_col(FILE *fp, char *const *names, int64_t c)
{
    if (!names) return;
    au_csv_put(fp, names[c]);
    fputc(',', fp);
}

/* A K x K file's header. With class names: the corner cell naming the axes
 * ("given/true": rows are the given label, columns the true one), then the
 * K names, and each row starts with its name, so pd.read_csv(f, index_col=0)
 * gives the labelled matrix. Without names: the reference's own layout,
 * "c0,...,c{K-1}" and bare rows (the golden files; scripts that read them
 * as numbers keep working). The numbers are those of cleanlab's array. */
static void au_header_cols(FILE *fp, size_t k, char *const *names, const char *corner)
{
    if (names) fputs(corner, fp);
    for (size_t j = 0; j < k; j++) {
        if (names) { fputc(',', fp); au_csv_put(fp, names[j]); }
        else fprintf(fp, "%sc%zu", j ? "," : "", j);
    }
    fputc('\n', fp);
}

/* Row i's leading label ("NAME" before its numbers) when names are known. */
static void au_row_label(FILE *fp, char *const *names, size_t i)
{
    if (names) au_csv_put(fp, names[i]);
}

/* m: k x k row-major, row i = the class of the corner's first axis. */
static int au_write_mat_i(au_outs *o, const char *name, const int64_t *m, size_t k, char *const *names,
                          const char *corner, la_error *err)
{
    la_atomic_file *af = au_open(o, name, NULL, err);
    if (!af) return err->status;
    au_header_cols(af->fp, k, names, corner);
    for (size_t i = 0; i < k; i++) {
        au_row_label(af->fp, names, i);
        for (size_t j = 0; j < k; j++) fprintf(af->fp, names || j ? ",%" PRId64 : "%" PRId64, m[i * k + j]);
        fputc('\n', af->fp);
    }
    return au_close(af, err);
}

static int au_write_mat_d(au_outs *o, const char *name, const double *m, size_t k, char *const *names,
                          const char *corner, la_error *err)
{
    la_atomic_file *af = au_open(o, name, NULL, err);
    if (!af) return err->status;
    au_header_cols(af->fp, k, names, corner);
    for (size_t i = 0; i < k; i++) {
        au_row_label(af->fp, names, i);
        for (size_t j = 0; j < k; j++) fprintf(af->fp, names || j ? ",%.17g" : "%.17g", m[i * k + j]);
        fputc('\n', af->fp);
    }
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

/* ---- outputs ----------------------------------------------------------- */

/* The two N-row mask files, off_diagonal_indices.csv and is_label_issue.csv:
 * written on a thread of their own while the rest is written (au_masks). */
typedef struct au_masks {
    au_outs         *outs;
    const cl_result *r;
    int              rc;
    la_error         err;
} au_masks;

static void au_write_masks(au_masks *m)
{
    const cl_result *r = m->r;
    au_text t = {0};
    int rc = 0;
    la_atomic_file *af = au_open(m->outs, "off_diagonal_indices.csv", NULL, &m->err);
    if (!af) { rc = m->err.status; goto done; }
    fputs("index\n", af->fp);
    for (size_t i = 0; i < r->n && !rc; i++) {
        if (r->flags[i] & CL_F_OFFDIAG) au_u64(&t, i, '\n');
        if (t.len >= AU_FLUSH_BYTES) rc = au_text_flush(&t, af->fp, af->path, &m->err);
    }
    if (!rc) rc = au_text_flush(&t, af->fp, af->path, &m->err);
    if (rc || (rc = au_close(af, &m->err))) goto done;

    if (!(af = au_open(m->outs, "is_label_issue.csv", NULL, &m->err))) { rc = m->err.status; goto done; }
    fputs("is_label_issue\n", af->fp);
    for (size_t i = 0; i < r->n && !rc; i++) {
        if (!au_room(&t, 2)) { rc = au_text_flush(&t, af->fp, af->path, &m->err); break; }
        t.b[t.len++] = r->flags[i] & CL_F_ISSUE ? '1' : '0';
        t.b[t.len++] = '\n';
        if (t.len >= AU_FLUSH_BYTES) rc = au_text_flush(&t, af->fp, af->path, &m->err);
    }
    if (!rc) rc = au_text_flush(&t, af->fp, af->path, &m->err);
    if (!rc) rc = au_close(af, &m->err);
done:
    free(t.b);
    m->rc = rc;
}

/* names: the K class names, or NULL: the K x K files then keep the
 * reference's unlabelled layout (au_header_cols), and class_label_quality.csv
 * and overlapping_classes.csv have no name columns (as cleanlab's DataFrames
 * without class_names). */
static int au_write_all(au_outs *d, const cl_result *r, char *const *names, la_error *err)
{
    size_t k = r->k;
    int rc;
    char buf[128];
    if ((rc = au_write_vec_d(d, "thresholds.csv", "threshold", r->thresholds, k, err))) return rc;
    /* cleanlab's axes: cj, joint and P(given | true) have the given label in
     * rows; the inverse noise matrix P(true | given) the true label */
    const char *gt = "given/true", *tg = "true/given";
    if ((rc = au_write_mat_i(d, "confident_joint.csv", r->cj, k, names, gt, err))) return rc;
    if ((rc = au_write_mat_i(d, "confident_joint_calibrated.csv", r->cjc, k, names, gt, err))) return rc;
    if ((rc = au_write_mat_d(d, "joint.csv", r->joint, k, names, gt, err))) return rc;
    if ((rc = au_write_vec_d(d, "py.csv", "py", r->py, k, err))) return rc;
    if ((rc = au_write_mat_d(d, "noise_matrix.csv", r->nm, k, names, gt, err))) return rc;
    if ((rc = au_write_mat_d(d, "inverse_noise_matrix.csv", r->inv, k, names, tg, err))) return rc;
    if ((rc = au_write_vec_d(d, "py_raw.csv", "py", r->py_raw, k, err))) return rc;
    if ((rc = au_write_mat_d(d, "noise_matrix_raw.csv", r->nm_raw, k, names, gt, err))) return rc;
    if ((rc = au_write_mat_d(d, "inverse_noise_matrix_raw.csv", r->inv_raw, k, names, tg, err))) return rc;
    if (!r->single_class) {   /* the reference refuses a single class there */
        snprintf(buf, sizeof buf, "%" PRId64 "\n", r->num_off_diagonal);
        if ((rc = au_write_text(d, "num_label_issues_off_diagonal.txt", NULL, buf, err))) return rc;
        snprintf(buf, sizeof buf, "%" PRId64 "\n", r->num_off_diagonal_calibrated);
        if ((rc = au_write_text(d, "num_label_issues_off_diagonal_calibrated.txt", NULL, buf, err))) return rc;
        snprintf(buf, sizeof buf, "%.17g\n", r->health);
        if ((rc = au_write_text(d, "overall_label_health_score.txt", NULL, buf, err))) return rc;
    }

    la_atomic_file *af = au_open(d, "class_label_quality.csv", NULL, err);
    if (!af) return err->status;
    if (names) fputs("Class Name,", af->fp);
    fputs("Class Index,Label Issues,Inverse Label Issues,Label Noise,Inverse Label Noise,Label Quality Score\n", af->fp);
    for (size_t c = 0; c < k; c++) {
        const cl_class_quality *q = &r->class_quality[c];
        au_name_col(af->fp, names, q->cls);
        fprintf(af->fp, "%" PRId64 ",%" PRId64 ",%" PRId64 ",%.17g,%.17g,%.17g\n", q->cls, q->issues, q->inv_issues,
                q->noise, q->inv_noise, q->quality);
    }
    if ((rc = au_close(af, err))) return rc;

    if (!(af = au_open(d, "overlapping_classes.csv", NULL, err))) return err->status;
    if (names) fputs("Class Name A,Class Name B,", af->fp);
    fputs("Class Index A,Class Index B,Num Overlapping Examples,Joint Probability\n", af->fp);
    for (size_t q = 0; q < k * (k - 1) / 2; q++) {
        const cl_overlap *o = &r->overlap[q];
        au_name_col(af->fp, names, o->a);
        au_name_col(af->fp, names, o->b);
        fprintf(af->fp, "%" PRId64 ",%" PRId64 ",%" PRId64 ",%.17g\n", o->a, o->b, o->num, o->joint);
    }
    if ((rc = au_close(af, err))) return rc;

    if (!(af = au_open(d, "ranked.csv", NULL, err))) return err->status;
    fputs("index\n", af->fp);
    au_text t = {0};
    for (size_t q = 0; q < r->n_flagged && !rc; q++) {
        au_u64(&t, r->ranked[q], '\n');
        if (t.len >= AU_FLUSH_BYTES) rc = au_text_flush(&t, af->fp, af->path, err);
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

static void au_format_issues(au_issue_rows *w)
{
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
}

/* la_par_run part u: block u of the current round. */
static void au_format_part(void *ctx, int u, int T)
{
    (void)T;
    au_issue_rows *w = ctx;
    if (w[u].q0 < w[u].q1) au_format_issues(&w[u]);
}

/* The ranked issues for people. Blocks of rows are formatted by up to
 * `threads` threads and written in rank order. */
static int au_write_issues(au_outs *o, const cl_result *r, char *const *names,
                           char *const *ids, int threads, la_error *err)
{
    enum { BLOCK = AU_ISSUE_BLOCK };
    au_issue_rows w[2];
    int rc = 0;
    la_atomic_file *af = au_open(o, "label_issues.csv", NULL, err);
    if (!af) return err->status;
    int T = threads < 2 ? 1 : 2;
    memset(w, 0, sizeof w);
    fputs("rank,index,id,given_label,suggested_label,label_quality\n", af->fp);
    for (size_t b0 = 0; b0 < r->n_flagged && !rc; b0 += (size_t)T * BLOCK) {
        for (int u = 0; u < T; u++) {
            size_t q0 = b0 + (size_t)u * BLOCK;
            w[u] = (au_issue_rows){.r = r, .names = names, .ids = ids, .t = w[u].t,
                                   .q0 = q0 < r->n_flagged ? q0 : r->n_flagged,
                                   .q1 = q0 + BLOCK < r->n_flagged ? q0 + BLOCK : r->n_flagged};
        }
        la_par_run(T == 2 && w[1].q0 < w[1].q1 ? 2 : 1, au_format_part, w);
        for (int u = 0; u < T && !rc; u++) rc = au_text_flush(&w[u].t, af->fp, af->path, err);
    }
    free(w[0].t.b);
    free(w[1].t.b);
    return rc ? rc : au_close(af, err);
}

/* ---- au_write ------------------------------------------------------------ */

/* The set written on two threads: the masks on one, the rest on the other. */
typedef struct au_set_job {
    au_outs        *outs;
    const au_input *in;
    const au_result *r;
    int             threads;
    au_masks        masks;
    int             rc;
    la_error        err;
} au_set_job;

static void au_write_rest(au_set_job *j)
{
    j->rc = au_write_all(j->outs, &j->r->cl, j->in->class_names, &j->err);
    if (!j->rc) j->rc = au_write_issues(j->outs, &j->r->cl, j->in->class_names, j->in->ids, j->threads, &j->err);
}

static void au_set_part(void *ctx, int t, int T)
{
    (void)T;
    au_set_job *j = ctx;
    if (t == 0) au_write_rest(j);
    else au_write_masks(&j->masks);
}

/* Every file but the score files, into outs (not yet committed). */
static int au_write_set(au_outs *outs, const au_result *r, const au_input *in, const au_opts *o,
                        const char *summary_path, la_error *err)
{
    au_set_job j = {.outs = outs, .in = in, .r = r, .threads = o->threads,
                    .masks = {.outs = outs, .r = &r->cl}};
    la_error_clear(&j.err);
    la_error_clear(&j.masks.err);
    if (o->threads > 1) {
        la_par_run(2, au_set_part, &j);
    } else {
        au_write_masks(&j.masks);
        au_write_rest(&j);
    }
    if (j.rc) { *err = j.err; return j.rc; }
    if (j.masks.rc) { *err = j.masks.err; return j.masks.rc; }
    size_t len = strlen(r->summary_json);
    char *t = malloc(len + 2);
    if (!t) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    memcpy(t, r->summary_json, len);
    t[len] = '\n';
    t[len + 1] = '\0';
    int rc = au_write_text(outs, "summary.json", NULL, t, err);
    if (!rc && summary_path) rc = au_write_text(outs, NULL, summary_path, t, err);
    free(t);
    return rc;
}

/* classes.txt: the class of each column of the K x K files, in order (the
 * names given, else 0..K-1), so every output says which class is which. */
static int au_write_classes(au_outs *outs, const au_input *in, la_error *err)
{
    la_atomic_file *af = au_open(outs, AU_CLASSES_FILE, NULL, err);
    if (!af) return err->status;
    for (size_t c = 0; c < in->k; c++) {
        if (in->class_names) fprintf(af->fp, "%s\n", in->class_names[c]);
        else fprintf(af->fp, "%zu\n", c);
    }
    return au_close(af, err);
}

/* The mean of the averaged --pred-probs (in->mean_of), in the audit's rows:
 * the run's probability file from now on (summary.json, the database). */
static int au_write_mean(au_outs *outs, const au_input *in, la_error *err)
{
    la_atomic_file *af = au_open(outs, AU_MEAN_FILE, NULL, err);
    if (!af) return err->status;
    if (io_npy_write_f64(af->fp, in->probs, in->n, in->k))
        return la_error_set(err, LA_EINTERNAL, af->path, 0, "write failed");
    return au_close(af, err);
}

/* The files an earlier run may have left that this one did not write
 * (score files without --scores, the single-class refusals): removed once
 * this run's set is in place, so out_dir holds exactly this run's files. */
static int au_remove_stale(const au_result *r, const au_input *in, const au_opts *o, const char *dir,
                           la_error *err)
{
    static const char *const single[] = {"num_label_issues_off_diagonal.txt",
                                         "num_label_issues_off_diagonal_calibrated.txt",
                                         "overall_label_health_score.txt"};
    char path[1024];
    for (int j = 0; j < AU_N_SCORES + 3; j++) {
        int stale = j < AU_N_SCORES ? !o->scores || (j == 2 && r->cl.cwe_refused) : r->cl.single_class;
        const char *name = j < AU_N_SCORES ? au_score_files[j] : single[j - AU_N_SCORES];
        if (!stale) continue;
        if (au_join(path, sizeof path, dir, name, err)) return err->status;
        if (unlink(path) && errno != ENOENT)
            return la_error_set(err, LA_EINTERNAL, path, 0, "cannot remove the previous run's file: %s", strerror(errno));
    }
    if (in->n_mean_of) return 0;
    /* an earlier averaged run's mean, unless it is what this run read */
    struct stat old, used;
    if (au_join(path, sizeof path, dir, AU_MEAN_FILE, err)) return err->status;
    if (stat(path, &old)) return 0;
    if (!stat(in->probs_path, &used) && used.st_dev == old.st_dev && used.st_ino == old.st_ino) return 0;
    if (unlink(path) && errno != ENOENT)
        return la_error_set(err, LA_EINTERNAL, path, 0, "cannot remove the previous run's file: %s", strerror(errno));
    return 0;
}

/* Commits the streamed score files, except confidence_weighted_entropy when
 * the probabilities were outside [0, 1] (cleanlab refuses it). */
static int au_commit_scores(au_result *r, la_error *err)
{
    int rc = 0;
    for (int j = 0; j < r->n_score_open; j++) {
        la_atomic_file *f = &r->score_file[j];
        if (rc || (j == 2 && r->cl.cwe_refused)) { la_atomic_abort(f); continue; }
        rc = ferror(f->fp) ? la_error_set(err, LA_EINTERNAL, f->path, 0, "write failed") : la_atomic_commit(f, err);
        if (rc) la_atomic_abort(f);
    }
    r->n_score_open = 0;
    return rc;
}

int au_write(au_result *r, const au_input *in, const au_opts *o, const char *out_dir,
             const char *summary_path, la_error *err)
{
    assert(r && r->summary_json && in && o && out_dir && err);
    au_outs outs;   /* the output files, committed together */
    memset(&outs, 0, sizeof outs);
    outs.dir = out_dir;
    pthread_mutex_init(&outs.mu, NULL);
    int rc = la_mkdir_p(out_dir, err);
    if (!rc) rc = au_write_set(&outs, r, in, o, summary_path, err);
    if (!rc) rc = au_write_classes(&outs, in, err);
    if (!rc && in->n_mean_of) rc = au_write_mean(&outs, in, err);
    if (!rc && !(rc = la_atomic_commit_all(outs.f, (size_t)outs.n, err))) outs.n = 0;
    au_abort_all(&outs);
    pthread_mutex_destroy(&outs.mu);
    if (!rc) rc = au_commit_scores(r, err);
    if (!rc) rc = au_remove_stale(r, in, o, out_dir, err);
    return rc;
}
