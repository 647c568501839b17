/*
 * fuzz_labels.c — libFuzzer target for the label, probability and class-list
 * readers (io/labels.h), CSV flavour: the same bytes are read as a label file
 * (without and with a class list), as a probability file (with ids: also
 * reordered, io_probs_reorder) and as a class list.
 */
#include "fuzz_common.h"
#include "../../io/labels.h"

/* io_probs_reorder to the reverse of p's ids (unique: the loader refuses
 * repeats) must give row i = row n-1-i; to those ids without the last one
 * it must refuse, p unchanged. */
static void reorder_check(io_probs *p, const char *path)
{
    size_t n = p->n, k = p->k;
    char **rev = malloc(sizeof *rev * n);
    double *orig = malloc(sizeof *orig * n * k);
    if (!rev || !orig) { free(rev); free(orig); return; }
    for (size_t i = 0; i < n; i++) rev[i] = strdup(p->ids[n - 1 - i]);   /* the caller's, not p's */
    memcpy(orig, p->p, sizeof *orig * n * k);
    la_error err;
    la_error_clear(&err);
    if (n > 1 && io_probs_reorder(p, path, rev, n - 1, "fuzz", &err) == 0) abort();   /* a row left over */
    if (p->n != n || memcmp(p->p, orig, sizeof *orig * n * k)) abort();                /* p unchanged */
    la_error_clear(&err);
    if (io_probs_reorder(p, path, rev, n, "fuzz", &err) != 0) abort();   /* ids are unique: always a permutation */
    for (size_t i = 0; i < n; i++)
        if (memcmp(p->p + i * k, orig + (n - 1 - i) * k, sizeof *orig * k)) abort();
    io_free_strings(rev, n);
    free(orig);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char cat[] = "cat", dog[] = "dog", bird[] = "bird";
    static char *const classes[3] = {cat, dog, bird};
    char path[512];
    fz_write("labels.csv", data, size, path, sizeof path);
    la_error err;

    io_labels l;
    memset(&l, 0, sizeof l);
    la_error_clear(&err);
    if (io_labels_load(path, NULL, 0, &l, &err) == 0) io_labels_free(&l);
    memset(&l, 0, sizeof l);
    la_error_clear(&err);
    if (io_labels_load(path, classes, 3, &l, &err) == 0) {
        for (size_t i = 0; i < l.n; i++)
            if (l.labels[i] < 0 || l.labels[i] >= 3) abort();   /* contract: validated against k */
        io_labels_free(&l);
    }

    io_probs p;
    memset(&p, 0, sizeof p);
    la_error_clear(&err);
    if (io_probs_load(path, &p, &err) == 0) {
        if (p.ids && p.n > 0) reorder_check(&p, path);
        io_probs_free(&p);
    }

    char **names = NULL;
    size_t k = 0;
    la_error_clear(&err);
    if (io_class_names_load(path, &names, &k, &err) == 0) io_free_strings(names, k);
    return 0;
}
