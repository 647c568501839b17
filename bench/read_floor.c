/*
 * read_floor.c — the memory-bound floor of one pass over a .npy (bench_mpi.sh),
 * not the scalar sum loop of sum_pass.c (compute-bound at ~1 add a cycle):
 *   read_floor read FILE.npy   read(2) in 16 MB pieces from the page cache
 *                              into one buffer, touching nothing (dd-style)
 *   read_floor sum  FILE.npy   the same reads plus a float32 sum over 16
 *                              independent accumulators (vectorized by -O3:
 *                              no dependency chain between lanes)
 * Prints the sum (or the bytes read) so the work cannot be optimized away.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { PIECE = 16 << 20, LANES = 16 };

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "read") && strcmp(argv[1], "sum"))) {
        fprintf(stderr, "usage: read_floor read|sum FILE.npy\n");
        return 2;
    }
    int sum = !strcmp(argv[1], "sum");
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) { perror(argv[2]); return 1; }
    float *buf = aligned_alloc(64, PIECE);
    if (!buf) return 1;
    /* skip the header: 10 bytes + its length (a multiple of 64 in total) */
    unsigned char pre[10];
    if (read(fd, pre, 10) != 10) return 1;
    size_t hl = (size_t)pre[8] | (size_t)pre[9] << 8;
    if (lseek(fd, (off_t)(10 + hl), SEEK_SET) < 0) return 1;
    float acc[LANES] = {0};
    size_t total = 0;
    ssize_t got;
    while ((got = read(fd, buf, PIECE)) > 0) {
        total += (size_t)got;
        if (!sum) continue;
        size_t m = (size_t)got / sizeof(float), i = 0;
        /* acc_l += v[i + l]: LANES independent sums, one vector add per lane group */
        for (; i + LANES <= m; i += LANES)
            for (int l = 0; l < LANES; l++) acc[l] += buf[i + l];
        for (; i < m; i++) acc[0] += buf[i];
    }
    double s = 0;
    for (int l = 0; l < LANES; l++) s += acc[l];
    printf("%zu bytes, sum %.3f\n", total, s);
    free(buf);
    close(fd);
    return 0;
}
