/*
 * gen_probs.c — synthetic out-of-fold probabilities for bench_audit.sh.
 *   gen_probs N K f32|f64 SEED PROBS.npy LABELS.npy
 * Rows are softmax(3 * onehot(true) + N(0, 1)) written in float32 or float64;
 * labels are the true class, flipped to a random other class 10% of the time.
 * Streams rows to disk, so N x K never has to fit in memory.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t s = 88172645463325252ull;
static uint64_t rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; }
static double unif(void) { return ((double)(rnd() >> 11) + 0.5) * 0x1.0p-53; }
static double gauss(void) { return sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif()); }

static void header(FILE *fp, const char *descr, size_t n, size_t k, int two_d)
{
    char d[200];
    int len = two_d ? snprintf(d, sizeof d, "{'descr': '%s', 'fortran_order': False, 'shape': (%zu, %zu), }", descr, n, k)
                    : snprintf(d, sizeof d, "{'descr': '%s', 'fortran_order': False, 'shape': (%zu,), }", descr, n);
    size_t pad = (64 - (10 + (size_t)len + 1) % 64) % 64, hl = (size_t)len + pad + 1;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hl & 255), (unsigned char)(hl >> 8)};
    fwrite(pre, 1, 10, fp);
    fwrite(d, 1, (size_t)len, fp);
    for (size_t i = 0; i < pad; i++) fputc(' ', fp);
    fputc('\n', fp);
}

int main(int argc, char **argv)
{
    if (argc != 7) { fprintf(stderr, "usage: gen_probs N K f32|f64 SEED PROBS.npy LABELS.npy\n"); return 2; }
    size_t n = strtoull(argv[1], NULL, 10), k = strtoull(argv[2], NULL, 10);
    int f32 = !strcmp(argv[3], "f32");
    s += strtoull(argv[4], NULL, 10) * 0x9E3779B97F4A7C15ull;
    FILE *pf = fopen(argv[5], "wb"), *lf = fopen(argv[6], "wb");
    if (!pf || !lf) { perror("open"); return 1; }
    header(pf, f32 ? "<f4" : "<f8", n, k, 1);
    header(lf, "<i8", n, 0, 0);
    double *z = malloc(k * sizeof *z);
    float *rf = malloc(k * sizeof *rf);
    for (size_t i = 0; i < n; i++) {
        size_t t = rnd() % k;
        double m = -1e300, sum = 0;
        for (size_t j = 0; j < k; j++) { z[j] = gauss() + (j == t ? 3.0 : 0.0); if (z[j] > m) m = z[j]; }
        for (size_t j = 0; j < k; j++) { z[j] = exp(z[j] - m); sum += z[j]; }
        for (size_t j = 0; j < k; j++) { z[j] /= sum; rf[j] = (float)z[j]; }
        if (f32) fwrite(rf, 4, k, pf); else fwrite(z, 8, k, pf);
        int64_t y = (int64_t)t;
        if (unif() < 0.1) y = (int64_t)((t + 1 + rnd() % (k - 1)) % k);
        fwrite(&y, 8, 1, lf);
    }
    free(z); free(rf);
    if (fclose(pf) || fclose(lf)) { perror("write"); return 1; }
    return 0;
}
