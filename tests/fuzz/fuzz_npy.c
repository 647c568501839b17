/*
 * fuzz_npy.c — libFuzzer target for .npy files (io/npy.h): header
 * validation, chunked reads as float64 and float32, the whole-file helpers,
 * and the .npy paths of the label and probability readers (io/labels.h).
 */
#include "fuzz_common.h"
#include "../../io/npy.h"
#include "../../io/labels.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    fz_write("x.npy", data, size, path, sizeof path);
    la_error err;
    la_error_clear(&err);

    io_npy f;
    if (io_npy_open(&f, path, &err) == 0) {
        /* open checked the file holds rows x cols elements, so a small
         * buffer per row chunk is enough; stay bounded anyway */
        if (f.cols <= 4096) {
            double *d = malloc(sizeof(double) * f.cols * 4);
            float *s = malloc(sizeof(float) * f.cols * 4);
            for (size_t r = 0; r < f.rows && r < 64; r += 4) {
                size_t nr = f.rows - r < 4 ? f.rows - r : 4;
                la_error_clear(&err);
                io_npy_read_rows_f64(&f, r, nr, d, &err);
                la_error_clear(&err);
                io_npy_read_rows_f32(&f, r, nr, s, &err);
            }
            free(d);
            free(s);
        }
        io_npy_close(&f);
    }

    float *pf = NULL; double *pd = NULL; int64_t *pi = NULL;
    size_t rows = 0, cols = 0, n = 0;
    la_error_clear(&err);
    if (io_npy_load_f32(path, &pf, &rows, &cols, &err) == 0) free(pf);
    la_error_clear(&err);
    if (io_npy_load_f64(path, &pd, &rows, &cols, &err) == 0) free(pd);
    la_error_clear(&err);
    if (io_npy_load_i64(path, &pi, &n, &err) == 0) free(pi);

    io_labels l;
    memset(&l, 0, sizeof l);
    la_error_clear(&err);
    if (io_labels_load(path, NULL, 0, &l, &err) == 0) io_labels_free(&l);
    io_probs p;
    memset(&p, 0, sizeof p);
    la_error_clear(&err);
    if (io_probs_load(path, &p, &err) == 0) io_probs_free(&p);
    return 0;
}
