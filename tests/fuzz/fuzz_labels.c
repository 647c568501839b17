/*
 * fuzz_labels.c — libFuzzer target for the label, probability and class-list
 * readers (io/labels.h), CSV flavour: the same bytes are read as a label file
 * (without and with a class list), as a probability file and as a class list.
 */
#include "fuzz_common.h"
#include "../../io/labels.h"

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
    if (io_probs_load(path, &p, &err) == 0) io_probs_free(&p);

    char **names = NULL;
    size_t k = 0;
    la_error_clear(&err);
    if (io_class_names_load(path, &names, &k, &err) == 0) io_free_strings(names, k);
    return 0;
}
