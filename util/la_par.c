/*
 * la_par.c — the parallel-for of la_par.h over pthreads.
 */
#include "la_par.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct la_part { la_par_fn fn; void *ctx; int t, T; pthread_t th; int started; } la_part;

static void *la_part_main(void *arg)
{
    la_part *p = arg;
    p->fn(p->ctx, p->t, p->T);
    return NULL;
}

void la_par_run(int T, la_par_fn fn, void *ctx)
{
    if (T < 1) T = 1;
    la_part small[16];
    la_part *part = T <= 16 ? small : calloc((size_t)T, sizeof *part);   /* T < INT_MAX: no overflow */
    if (!part) {                       /* no memory for the records: run here */
        for (int t = 0; t < T; t++) fn(ctx, t, T);
        return;
    }
    for (int t = 1; t < T; t++) {
        part[t] = (la_part){fn, ctx, t, T, 0, 0};
        part[t].started = pthread_create(&part[t].th, NULL, la_part_main, &part[t]) == 0;
    }
    fn(ctx, 0, T);
    for (int t = 1; t < T; t++) {
        if (part[t].started) pthread_join(part[t].th, NULL);
        else fn(ctx, t, T);
    }
    if (part != small) free(part);
}
