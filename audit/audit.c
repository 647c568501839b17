/*
 * audit.c — the audit stage (audit.h): runs confident learning over an
 * au_input (cl_run through the probability source of au_source.c), the
 * bootstrap intervals of the error rates, and summary.json's text. The
 * output files are au_write.c's. No printing, no argv; on failure the
 * result is empty and the score files' temp files are gone.
 */
#include "audit.h"
#include "../io/load_opts_json.h"
#include "au_source.h"
#include "../util/la_json.h"

#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *const au_score_files[AU_N_SCORES] = {
    "label_quality_self_confidence.csv", "label_quality_normalized_margin.csv",
    "label_quality_confidence_weighted_entropy.csv", "label_quality_self_confidence_adjusted.csv",
    "label_quality_normalized_margin_adjusted.csv"
};

/* Defaults of the command line: cleanlab's, 1000 resamples at 95%. */
enum { AU_DEFAULT_BOOTSTRAP = 1000 };
#define AU_DEFAULT_CONFIDENCE 0.95

void au_opts_init(au_opts *o)
{
    assert(o);
    memset(o, 0, sizeof *o);
    cl_opts co;
    cl_opts_init(&co);
    o->filter = co.filter;
    o->rank = co.rank;
    o->frac_noise = co.frac_noise;
    o->nmin = co.nmin;
    o->bootstrap = AU_DEFAULT_BOOTSTRAP;
    o->confidence = AU_DEFAULT_CONFIDENCE;
    o->threads = la_num_cpus();
}

/* ---- score files (pass 2 sink) ----------------------------------------- */

/* Pass 2's scores, row by row, into the five open score files. */
static int au_score_sink(void *ctx, size_t row0, size_t nrows, const double *s, la_error *err)
{
    au_result *r = ctx;
    (void)row0;
    for (int j = 0; j < AU_N_SCORES; j++) {
        FILE *fp = r->score_file[j].fp;
        char num[34];
        for (size_t i = 0; i < nrows; i++) {
            int len = la_fmt_g17(s[i * AU_N_SCORES + j], num);
            num[len] = '\n';
            fwrite(num, 1, (size_t)len + 1, fp);
        }
        if (ferror(fp)) return la_error_set(err, LA_EINTERNAL, r->score_file[j].path, 0, "write failed");
    }
    return 0;
}

static int au_open_scores(au_result *r, const char *dir, la_error *err)
{
    int rc = la_mkdir_p(dir, err);
    for (int j = 0; !rc && j < AU_N_SCORES; j++) {
        char path[1024];
        if (la_path_join(path, sizeof path, dir, au_score_files[j]))
            return la_error_set(err, LA_EUSAGE, dir, 0, "output path too long");
        if ((rc = la_atomic_open(&r->score_file[j], path, err))) break;
        r->n_score_open = j + 1;
        fputs("score\n", r->score_file[j].fp);
    }
    return rc;
}

/* Across ranks: pass 2's scores of this rank's rows kept in memory (40
 * bytes a row), gathered at rank 0 after cl_run and written there in row
 * order by au_score_sink. */
typedef struct au_dist_scores {
    double *s;                        /* rows x AU_N_SCORES                    */
    size_t  rows;
} au_dist_scores;

static int au_dist_sink(void *ctx, size_t row0, size_t nrows, const double *s, la_error *err)
{
    au_dist_scores *d = ctx;
    (void)err;
    assert(row0 + nrows <= d->rows);
    memcpy(d->s + row0 * AU_N_SCORES, s, nrows * AU_N_SCORES * sizeof *s);
    return 0;
}

static int au_dist_scores_write(const la_collective *coll, au_dist_scores *d, au_result *r, la_error *err)
{
    double *all = NULL;
    int rc = la_coll_gather(coll, d->s, d->rows * AU_N_SCORES * sizeof *d->s, (void **)&all, NULL, err);
    if (!rc && la_coll_rank(coll) == 0) rc = au_score_sink(r, 0, r->cl.n, all, err);
    free(all);
    return la_coll_agree(coll, rc, err);
}

/* ---- summary.json ------------------------------------------------------ */

static json_t *au_num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* The "options" object: the stage's options and the loader options given,
 * so the report can reload the dataset (file paths made absolute, like the
 * run's dataset_path in the db). */
static json_t *au_options_json(const au_opts *o, const io_load_opts *lo, size_t k)
{
    json_t *opt = json_object();
    json_object_set_new(opt, "filter_by", json_string(cl_filter_names[o->filter]));
    json_object_set_new(opt, "rank_by", json_string(cl_rank_names[o->rank]));
    json_object_set_new(opt, "frac_noise", json_real(o->frac_noise));
    json_object_set_new(opt, "min_examples_per_class", json_integer(o->nmin));
    json_t *rm = o->remove ? json_array() : json_null();
    for (size_t c = 0; o->remove && c < k; c++) json_array_append_new(rm, json_integer(o->remove[c]));
    json_object_set_new(opt, "num_to_remove_per_class", rm);
    json_object_set_new(opt, "scores", json_boolean(o->scores));
    json_object_set_new(opt, "corrected", json_boolean(o->corrected));
    json_object_set_new(opt, "bootstrap", json_integer(o->bootstrap));
    json_object_set_new(opt, "confidence", json_real(o->confidence));
    json_object_set_new(opt, "seed", json_integer((json_int_t)o->seed));
    /* the loader options, as io/ serializes them (defaults left out) */
    if (lo && io_load_opts_to_json(lo, opt)) { json_decref(opt); return NULL; }
    return opt;
}

static json_t *au_summary(const au_input *in, const au_opts *o, const au_result *res)
{
    const cl_result *r = &res->cl;
    size_t k = r->k;
    char *const *names = in->class_names;
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
        json_array_append_new(ccis, json_pack("[oo]", au_num_or_null(res->class_ci[2 * c]),
                                              au_num_or_null(res->class_ci[2 * c + 1])));
    }
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
    json_object_set_new(j, "error_rate_ci", json_pack("[oo]", au_num_or_null(res->ci[0]), au_num_or_null(res->ci[1])));
    json_object_set_new(j, "class_error_rate", cer);
    json_object_set_new(j, "class_error_rate_ci", ccis);
    json_object_set_new(j, "health_score", json_real(r->health));
    json_object_set_new(j, "confidence", json_real(o->confidence));
    json_object_set_new(j, "bootstrap", json_pack("{sisI}", "resamples", o->bootstrap, "seed", (json_int_t)o->seed));
    json_object_set_new(j, "method", json_string(cl_filter_names[o->filter]));
    json_object_set_new(j, "rank_by", json_string(cl_rank_names[o->rank]));
    json_object_set_new(j, "options", au_options_json(o, in->load, k));
    json_object_set_new(j, "labels_path", in->labels_path ? json_string(in->labels_path) : json_null());
    json_object_set_new(j, "pred_probs_path", json_string(in->probs_path));
    if (in->n_mean_of) {   /* the probabilities are the mean of these */
        json_t *of = json_array();
        for (size_t i = 0; i < in->n_mean_of; i++) json_array_append_new(of, json_string(in->mean_of[i]));
        json_object_set_new(j, "pred_probs_mean_of", of);
    }
    json_object_set_new(j, "dataset", in->data_path ? json_string(in->data_path) : json_null());
    return j;
}

/* The intervals and the summary texts, after cl_run. */
static int au_finish(const au_input *in, const au_opts *o, au_result *r, la_error *err)
{
    size_t k = in->k;
    r->class_ci = la_calloc(2 * k + 1, sizeof *r->class_ci);
    if (!r->class_ci || cl_bootstrap_ci(r->cl.class_off_diagonal, r->cl.counts, k, o->bootstrap, o->confidence,
                                        o->seed, r->ci, r->class_ci))
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    json_t *summary = au_summary(in, o, r);
    r->summary_json = la_json_text(summary, LA_JSON_EXACT);
    r->options_json = la_json_text(json_object_get(summary, "options"), LA_JSON_LINE);
    json_decref(summary);
    if (!r->summary_json || !r->options_json) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    return 0;
}

int au_run(const au_input *in, const au_opts *o, const char *scores_dir, au_result *r, la_error *err)
{
    assert(in && o && r && err);
    assert(in->labels && in->probs_path && (!in->probs + !in->probs_npy + !in->shards == 2));
    assert(!o->scores || scores_dir);
    assert(o->bootstrap >= 1 && o->confidence > 0 && o->confidence < 1);
    double t0 = la_now();
    memset(r, 0, sizeof *r);
    r->ci[0] = r->ci[1] = NAN;
    au_source src;
    const la_collective *coll = la_coll_active(o->coll) ? o->coll : NULL;
    size_t lo = 0, hi = in->n;
    if (coll) la_coll_split(in->n, coll->rank, coll->size, 1, &lo, &hi);
    au_dist_scores ds = {NULL, hi - lo};
    int rc = au_source_open_rows(in, lo, hi, &src, err);
    cl_opts co;
    cl_opts_init(&co);
    co.filter = o->filter;
    co.rank = o->rank;
    co.frac_noise = o->frac_noise;
    co.remove = o->remove;
    co.nmin = o->nmin;
    co.threads = o->threads;
    co.keep_rank_scores = o->keep_rank_scores;
    co.corrected = o->corrected;
    co.coll = coll;
    co.row0 = lo;
    co.n_all = in->n;
    if (!rc && o->scores && la_coll_rank(coll) == 0 && !(rc = au_open_scores(r, scores_dir, err))) {
        co.sink = au_score_sink;
        co.sink_ctx = r;
    }
    if (!rc && o->scores && coll) {   /* scores kept, then written by rank 0 */
        co.sink = au_dist_sink;
        co.sink_ctx = &ds;
        if (!(ds.s = la_malloc_array(ds.rows * AU_N_SCORES + 1, sizeof *ds.s)))
            rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    if (coll) rc = la_coll_agree(coll, rc, err);   /* every rank has its inputs */
    if (!rc) rc = cl_run(hi - lo, in->k, in->labels + lo, &src.rd, &co, &r->cl, err);
    au_source_close(&src);
    if (coll) rc = la_coll_agree(coll, rc, err);   /* rank 0's own last steps too */
    if (coll && !rc && o->scores) rc = au_dist_scores_write(coll, &ds, r, err);
    free(ds.s);
    if (coll && !rc && coll->rank != 0) {   /* rank 0 finishes alone */
        r->seconds = la_now() - t0;
        return 0;
    }
    double t1 = la_now();
    if (!rc) rc = au_finish(in, o, r, err);
    if (rc) {
        au_result_free(r);
        return rc;
    }
    r->boot_seconds = la_now() - t1;
    r->seconds = la_now() - t0;
    return 0;
}

void au_result_free(au_result *r)
{
    if (!r) return;
    for (int j = 0; j < r->n_score_open; j++) la_atomic_abort(&r->score_file[j]);
    cl_result_free(&r->cl);
    free(r->class_ci);
    free(r->summary_json);
    free(r->options_json);
    memset(r, 0, sizeof *r);
}

/* ---- --num-to-remove-per-class ----------------------------------------- */

/* Counts from a CSV file: an optional header, then one count a line. */
static int au_remove_file(const char *arg, size_t k, int64_t *v, size_t *m, la_error *err)
{
    FILE *fp = fopen(arg, "r");
    if (!fp) return la_error_set(err, LA_EUSAGE, arg, 0, "cannot open: %s", strerror(errno));
    char line[256];
    long ln = 0;
    int rc = 0;
    while (!rc && fgets(line, sizeof line, fp)) {
        ln++;
        line[strcspn(line, "\r\n")] = '\0';
        if (ln == 1 && (line[0] < '0' || line[0] > '9')) continue; /* header */
        if (!line[0]) continue;
        char *end;
        errno = 0;
        long long x = strtoll(line, &end, 10);
        if (end == line || *end || errno || x < 0)
            rc = la_error_set(err, LA_EUSAGE, arg, ln, "expected a non-negative integer count, found '%s'", line);
        else if (*m == k)
            rc = la_error_set(err, LA_EUSAGE, arg, ln, "more than K = %zu counts", k);
        else
            v[(*m)++] = x;
    }
    fclose(fp);
    return rc;
}

/* Counts from "n0,n1,...". */
static int au_remove_list(const char *arg, size_t k, int64_t *v, size_t *m, la_error *err)
{
    const char *s = arg;
    while (*s) {
        char *end;
        errno = 0;
        long long x = strtoll(s, &end, 10);
        if (end == s || errno || x < 0 || (*end && *end != ','))
            return la_error_set(err, LA_EUSAGE, NULL, 0,
                                "--num-to-remove-per-class: '%s' is neither a file nor a list n0,n1,...", arg);
        if (*m == k)
            return la_error_set(err, LA_EUSAGE, NULL, 0, "--num-to-remove-per-class: more than K = %zu counts", k);
        v[(*m)++] = x;
        s = *end ? end + 1 : end;
    }
    return 0;
}

int au_remove_parse(const char *arg, size_t k, int64_t **out, la_error *err)
{
    assert(arg && out && err);
    int64_t *v = la_calloc(k + 1, sizeof *v);
    if (!v) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    size_t m = 0;
    struct stat st;
    int rc = stat(arg, &st) == 0 ? au_remove_file(arg, k, v, &m, err) : au_remove_list(arg, k, v, &m, err);
    if (!rc && m != k)
        rc = la_error_set(err, LA_EUSAGE, arg, 0, "--num-to-remove-per-class needs K = %zu counts, found %zu", k, m);
    if (rc) { free(v); return rc; }
    *out = v;
    return 0;
}
