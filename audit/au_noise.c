/*
 * au_noise.c — the synthetic-noise stage behind `labelaudit noise` (audit.h):
 * a noise matrix P(given | true) with the requested trace for the given
 * labels' class priors (cl_noise_matrix_from_trace), labels flipped by it
 * (cl_noisy_labels), and the two output files. Seeded xoshiro256** (la_rng.h):
 * the same labels and options give byte-identical outputs. Never prints.
 */
#include "audit.h"
#include "../io/npy.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int au_noise(const int64_t *true_labels, size_t n, size_t k, const au_noise_opts *o, const char *labels_path,
             double *nm, int64_t *noisy, size_t *flipped, la_error *err)
{
    assert(true_labels || n == 0);
    assert(o && nm && noisy && flipped && err && k >= 2);
    double *py = la_calloc(k, sizeof *py);
    if (!py) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t i = 0; i < n; i++) py[true_labels[i]] += 1.0 / (double)n;
    la_xoshiro rng;
    la_xoshiro_seed(&rng, o->seed);
    int rc = 0;
    if (cl_noise_matrix_from_trace(k, o->trace, py, o->frac_zero, &rng, o->max_iter, nm))
        rc = la_error_set(err, LA_EUSAGE, labels_path, 0,
                          "no valid noise matrix with trace %g for these class priors (try a larger trace)", o->trace);
    else if (cl_noisy_labels(true_labels, n, nm, k, &rng, noisy))
        rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    free(py);
    *flipped = 0;
    for (size_t i = 0; !rc && i < n; i++) *flipped += noisy[i] != true_labels[i];
    return rc;
}

static int au_ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static int au_write_noisy_csv(const char *out, const int64_t *noisy, size_t n, char *const *ids,
                              char *const *names, size_t n_names, la_error *err)
{
    la_atomic_file af;
    if (la_atomic_open(&af, out, err)) return err->status;
    fputs(ids ? "id,label\n" : "label\n", af.fp);
    for (size_t i = 0; i < n; i++) {
        if (ids) fprintf(af.fp, "%s,", ids[i]);
        if (names && (size_t)noisy[i] < n_names) fprintf(af.fp, "%s\n", names[noisy[i]]);
        else fprintf(af.fp, "%" PRId64 "\n", noisy[i]);
    }
    return la_atomic_commit(&af, err);
}

static int au_write_matrix_csv(const char *path, const double *nm, size_t k, la_error *err)
{
    la_atomic_file af;
    if (la_atomic_open(&af, path, err)) return err->status;
    for (size_t j = 0; j < k; j++) fprintf(af.fp, "%sc%zu", j ? "," : "", j);
    fputc('\n', af.fp);
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++) fprintf(af.fp, "%.17g%c", nm[i * k + j], j + 1 < k ? ',' : '\n');
    return la_atomic_commit(&af, err);
}

int au_noise_write(const char *out, const int64_t *noisy, size_t n, char *const *ids, char *const *names,
                   size_t n_names, const char *nm_path, const double *nm, size_t k, la_error *err)
{
    assert(out && (noisy || n == 0) && err);
    int rc = au_ends_with(out, ".npy") ? io_npy_save_i64(out, noisy, n, err)
                                       : au_write_noisy_csv(out, noisy, n, ids, names, n_names, err);
    if (!rc && nm_path) rc = au_write_matrix_csv(nm_path, nm, k, err);
    return rc;
}
