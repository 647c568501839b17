/*
 * sum_pass.c — the baseline of bench_audit.sh: one streaming pass over a
 * .npy probability file (8 MB reads), summing every value. This is the
 * floor any audit pays just to read its input once.
 *   sum_pass FILE.npy
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: sum_pass FILE.npy\n"); return 2; }
    FILE *fp = fopen(argv[1], "rb");
    if (!fp) { perror(argv[1]); return 1; }
    unsigned char pre[10];
    if (fread(pre, 1, 10, fp) != 10) return 1;
    size_t hl = (size_t)pre[8] | (size_t)pre[9] << 8;
    char *h = malloc(hl + 1);
    if (fread(h, 1, hl, fp) != hl) return 1;
    h[hl] = 0;
    int f32 = strstr(h, "<f4") != NULL;
    size_t cap = 8u << 20;
    unsigned char *buf = malloc(cap);
    double s = 0;
    size_t got;
    while ((got = fread(buf, 1, cap, fp)) > 0) {
        if (f32) { const float *v = (const float *)buf; for (size_t i = 0; i < got / 4; i++) s += v[i]; }
        else { const double *v = (const double *)buf; for (size_t i = 0; i < got / 8; i++) s += v[i]; }
    }
    printf("%.6f\n", s);
    free(buf); free(h);
    fclose(fp);
    return 0;
}
