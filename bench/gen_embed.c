/*
 * gen_embed.c — N x D float32 embeddings as .npy for bench_checks.sh: points
 * around 100 random cluster centres (unit-variance noise, centres at
 * distance ~4), with every 1000th row an exact copy of the row before and
 * every 1000th + 500 a near copy (noise 1e-3). Deterministic (splitmix64).
 *   cc -O2 -o gen_embed gen_embed.c -lm && ./gen_embed OUT.npy N D
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t s = 42;
static double u01(void)
{
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}
static double gauss(void) { return sqrt(-2 * log(u01() + 1e-300)) * cos(2 * M_PI * u01()); }

int main(int argc, char **argv)
{
    if (argc != 4) { fprintf(stderr, "usage: gen_embed OUT.npy N D\n"); return 2; }
    size_t n = strtoull(argv[2], 0, 10), d = strtoull(argv[3], 0, 10), C = 100;
    FILE *f = fopen(argv[1], "wb");
    if (!f) { perror(argv[1]); return 1; }
    char h[128];
    int len = snprintf(h, sizeof h, "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %zu), }", n, d);
    int pad = 63 - (10 + len) % 64;
    memset(h + len, ' ', (size_t)pad);
    h[len + pad] = '\n';
    uint16_t hl = (uint16_t)(len + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fwrite(&hl, 2, 1, f);
    fwrite(h, 1, hl, f);
    float *cent = malloc(C * d * sizeof *cent), *row = malloc(d * sizeof *row), *prev = malloc(d * sizeof *prev);
    for (size_t i = 0; i < C * d; i++) cent[i] = (float)(4 * gauss() / sqrt((double)d) * 3);
    for (size_t i = 0; i < n; i++) {
        size_t c = (size_t)(u01() * C);
        for (size_t j = 0; j < d; j++) row[j] = cent[c * d + j] + (float)gauss();
        if (i && i % 1000 == 0) memcpy(row, prev, d * sizeof *row);
        if (i > 500 && i % 1000 == 500)
            for (size_t j = 0; j < d; j++) row[j] = prev[j] + (float)(1e-3 * gauss());
        fwrite(row, sizeof *row, d, f);
        memcpy(prev, row, d * sizeof *row);
    }
    fclose(f);
    return 0;
}
