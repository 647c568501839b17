/*
 * la_par.h — the one parallel-for: run fn(ctx, t, T) for t = 0..T-1 on T
 * threads (the calling thread is one of them) and wait for all of them.
 *
 * Work is split by the callee from (t, T), so a result that is combined in
 * t order does not depend on scheduling. When a thread cannot be started its
 * part runs on the calling thread afterwards: the same result, only slower.
 * Nothing here is global; every call owns its threads.
 */
#ifndef LA_PAR_H
#define LA_PAR_H

/* The part function: does part t of T. */
typedef void (*la_par_fn)(void *ctx, int t, int T);

/* Runs fn(ctx, t, T) for t = 0..T-1 (T < 1 is taken as 1) and returns when
 * all parts are done. Cannot fail. */
void la_par_run(int T, la_par_fn fn, void *ctx);

#endif
