/*
 * fuzz_consensus.c — libFuzzer target for the multi-annotator label files of
 * `consensus --labels` (audit/cs_io.h): the input is read as a wide or long
 * CSV (cs_labels_load, without and with class names, then each reader
 * directly), and whatever loads is run through cs_run with three option
 * sets over probabilities derived from the input, bounded in size. The same
 * bytes are also read as a consensus output's label_quality.csv
 * (cs_read_consensus, as `clean --consensus DIR` does).
 *
 * Contract checked: a loaded matrix holds CS_MISSING or 0..k-1 only, and
 * every consensus label cs_run returns is a class.
 */
#include "fuzz_common.h"
#include <math.h>
#include <sys/stat.h>
#include "../../audit/cs_io.h"
#include "../../io/labels.h"

#define CS_FZ_K 3

/* n x CS_FZ_K probabilities from the input bytes, rows normalised; some rows
 * one-hot and some with exact zeros, as hostile models give. */
static double *consensus_probs(const uint8_t *data, size_t size, size_t n)
{
    double *p = malloc(sizeof(double) * n * CS_FZ_K);
    if (!p) return NULL;
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t c = 0; c < CS_FZ_K; c++) {
            size_t at = (i * CS_FZ_K + c) % (size ? size : 1);
            double v = size ? (double)(data[at] % 8) : 1.0;
            p[i * CS_FZ_K + c] = v;
            s += v;
        }
        for (size_t c = 0; c < CS_FZ_K; c++) p[i * CS_FZ_K + c] = s > 0 ? p[i * CS_FZ_K + c] / s : 1.0 / CS_FZ_K;
    }
    return p;
}

static void consensus_run(const cs_labels *l, const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < l->n * l->m; i++)
        if (l->y[i] != CS_MISSING && (l->y[i] < 0 || l->y[i] >= CS_FZ_K)) abort();
    if (l->n > 200 || l->m > 12) return;            /* keep each input fast */
    double *p = consensus_probs(data, size, l->n);
    if (!p) return;
    for (int v = 0; v < 3; v++) {
        cs_opts o;
        cs_opts_init(&o);
        if (v == 1) { o.consensus = CS_MAJORITY_VOTE; o.quality = CS_QUALITY_AGREEMENT; o.score = CS_NORMALIZED_MARGIN; }
        if (v == 2) { o.consensus = CS_DAWID_SKENE; o.calibrate = 1; o.score = CS_CW_ENTROPY; o.adjust = 1; o.ds_max_iter = 20; }
        cs_result r;
        la_error err;
        la_error_clear(&err);
        if (cs_run(l->y, l->n, l->m, p, CS_FZ_K, &o, &r, &err) == 0) {
            for (size_t i = 0; i < r.n; i++)
                if (r.consensus_label[i] < 0 || r.consensus_label[i] >= CS_FZ_K) abort();
            cs_result_free(&r);
        }
    }
    free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char cat[] = "cat", dog[] = "dog", bird[] = "bird";
    static char *const classes[CS_FZ_K] = {cat, dog, bird};
    char path[512];
    fz_write("labels.csv", data, size, path, sizeof path);
    la_error err;

    for (int v = 0; v < 4; v++) {
        cs_labels l;
        memset(&l, 0, sizeof l);
        la_error_clear(&err);
        int rc = v == 0 ? cs_labels_load(path, NULL, CS_FZ_K, &l, &err)
               : v == 1 ? cs_labels_load(path, classes, CS_FZ_K, &l, &err)
               : v == 2 ? cs_labels_load_wide(path, classes, CS_FZ_K, &l, &err)
                        : cs_labels_load_long(path, NULL, CS_FZ_K, &l, &err);
        if (rc == 0) {
            if (v < 2) consensus_run(&l, data, size);
            cs_labels_free(&l);
        }
    }

    /* the same bytes as <dir>/label_quality.csv of a consensus output */
    char dir[512], lq[600];
    snprintf(dir, sizeof dir, "%s/cs", fz_tmpdir());
    mkdir(dir, 0700);
    snprintf(lq, sizeof lq, "cs/label_quality.csv");
    fz_write(lq, data, size, path, sizeof path);
    char **ids = NULL, **names = NULL;
    int32_t *labels = NULL;
    size_t n = 0, kn = 0;
    la_error_clear(&err);
    if (cs_read_consensus(dir, &ids, &labels, &n, &names, &kn, &err) == 0) {
        io_free_strings(ids, n);
        free(labels);
        io_free_strings(names, kn);
    }
    return 0;
}
