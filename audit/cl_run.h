/*
 * cl_run.h — the streaming confident-learning driver: reads the N x K
 * probability matrix in bounded row chunks through a caller-supplied reader,
 * one pass per stage (1: self-confidences, argmax, rank scores; 2: confident
 * joint and score files; 3: per-class pruning; 3b only when exact ties at a
 * pruning boundary need numpy's sort order), with pthreads inside each chunk.
 * Pass 2 is folded into pass 1 (no score sink, K <= 1024) when thresholds
 * estimated from the chunks read so far bracket the exact ones.
 *
 * Memory: about 17 bytes per example (labels int32, self-confidence f64,
 * argmax int32, flag byte) plus 8 when a second score is needed, about
 * 24 per pruning candidate (at most one per example) and at most 4 (+16 MB)
 * for the folded pass 2's undecided rows; never the matrix. Results do not depend on the thread
 * count or chunk size. No I/O here: the reader and the score sink do it.
 */
#ifndef LA_CL_RUN_H
#define LA_CL_RUN_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"
#include "../util/la_coll.h"
#include "cl.h"

typedef enum cl_filter {
    CL_PRUNE_BY_NOISE_RATE = 0, CL_PRUNE_BY_CLASS, CL_BOTH, CL_CONFIDENT_LEARNING,
    CL_PREDICTED_NEQ_GIVEN, CL_LOW_NORMALIZED_MARGIN, CL_LOW_SELF_CONFIDENCE,
    CL_NOISE_POSTERIOR,   /* labelaudit's own, not cleanlab's: cl_run.c, cl_stage_posterior */
    CL_FILTER_COUNT
} cl_filter;

typedef enum cl_rank {
    CL_SELF_CONFIDENCE = 0, CL_NORMALIZED_MARGIN, CL_CW_ENTROPY, CL_RANK_COUNT
} cl_rank;

extern const char *const cl_filter_names[CL_FILTER_COUNT];
extern const char *const cl_rank_names[CL_RANK_COUNT];

/* The probability source. read() makes rows [row0, row0+nrows) available as
 * nrows*k elements of `elem` bytes (4 float32, 8 float64) at *out, valid until
 * the next call. Returns 0 or a status with err filled. */
typedef struct cl_reader {
    void  *ctx;
    int    elem;
    size_t chunk_rows;   /* rows per read (>= 1), chosen by the caller     */
    int  (*read)(void *ctx, size_t row0, size_t nrows, const void **out, la_error *err);
    const char *path;    /* for messages                                   */
} cl_reader;

/* Per-example scores, emitted in row order during pass 2 when set:
 * scores[i*5 + s], s = self_confidence, normalized_margin,
 * confidence_weighted_entropy, self_confidence_adjusted,
 * normalized_margin_adjusted. Returns 0 or a status (aborts the run). */
typedef int (*cl_score_sink)(void *ctx, size_t row0, size_t nrows, const double *scores, la_error *err);

typedef struct cl_opts {
    cl_filter      filter;     /* default CL_PRUNE_BY_NOISE_RATE            */
    cl_rank        rank;       /* default CL_SELF_CONFIDENCE                */
    double         frac_noise; /* 1.0                                       */
    const int64_t *remove;     /* num_to_remove_per_class (k) or NULL       */
    long           nmin;       /* min_examples_per_class, 1                 */
    int            threads;    /* >= 1                                      */
    int            keep_rank_scores; /* 1: fill res->quality and res->suggested_p */
    int            corrected;  /* 1: fix quirks 5 and 6 (cl_prune_matrix_ex)  */
    int            no_simd;    /* 1: scalar kernels only (the AVX2 ones give
                                  the same results; for tests)              */
    cl_score_sink  sink;
    void          *sink_ctx;
    const int64_t *prune_joint; /* k x k joint the pruning starts from instead
                                   of the calibrated estimate (cleanlab's
                                   supplied confident_joint), or NULL     */
    /* Across ranks (la_coll.h), or NULL: this process holds rows [row0,
     * row0 + n) of n_all (cl_run's n, y and reader are its rows only).
     * Every rank calls cl_run; rank 0's result is that of one process over
     * all n_all rows, byte for byte; the other ranks' results hold only the
     * class-level fields (counts, thresholds, joints, estimates). */
    const la_collective *coll;
    size_t         row0, n_all;
} cl_opts;

void cl_opts_init(cl_opts *o);

/* Example flag bits (res->flags). */
enum {
    CL_F_OFFDIAG  = 1,  /* counted in the confident joint off the diagonal  */
    CL_F_FORGIVEN = 2,  /* argmax with p_y + 1e-6 is the given label        */
    CL_F_PRED_NEQ = 4,  /* argmax != given label                            */
    CL_F_ISSUE    = 8   /* flagged by the chosen filter                     */
};

typedef struct cl_result {
    size_t   n, k;
    int64_t *counts;          /* k: given labels per class                  */
    double  *thresholds;      /* k                                          */
    int64_t *cj, *cjc;        /* k x k raw and calibrated confident joint   */
    double  *joint;           /* k x k                                      */
    double  *py, *nm, *inv;   /* converged latent estimates                 */
    double  *py_raw, *nm_raw, *inv_raw;
    int64_t  num_off_diagonal;          /* section 9                       */
    int64_t  num_off_diagonal_calibrated;
    double   health;                    /* 1 - num_off_diagonal / n        */
    int64_t *class_off_diagonal;        /* k: off-diagonal, not forgiven    */
    int64_t *class_flagged;             /* k: flagged by the filter         */
    cl_class_quality *class_quality;    /* k rows, output order             */
    cl_overlap *overlap;                /* k(k-1)/2 rows, output order      */
    uint8_t *flags;           /* n: CL_F_* bits                             */
    int32_t *suggested;       /* n: argmax of each row                      */
    double  *suggested_p;     /* n: its probability when keep_rank_scores, else NULL */
    uint32_t *ranked;         /* n_flagged indices, ranked by opts.rank     */
    double  *ranked_score;    /* n_flagged rank scores, same order          */
    int32_t *ranked_given;    /* n_flagged given labels, same order         */
    int32_t *ranked_suggested;/* n_flagged argmax labels, same order        */
    size_t   n_flagged;
    double  *quality;         /* n rank scores when keep_rank_scores, else NULL */
    int      cwe_refused;     /* 1: a probability lies outside [0, 1]       */
    int      single_class;    /* every label is 0: cleanlab refuses num_label_issues
                                 and the health score (the outputs that use them) */
    int      tie_passes;      /* extra passes run for exact boundary ties   */
    int      floor_passes;    /* 1: stage 3 re-ran without its floors       */
    int      folded;          /* 1: pass 2 was folded into pass 1 (the
                                 speculative joint held)                    */
    double   seconds[4];      /* wall time: pass 1, pass 2 + K x K, pruning
                                 passes, ranking (for benchmarks)            */
} cl_result;

/* Runs the audit. y: n labels, each in [0, k). Returns 0, or a status with
 * err set (LA_EUSAGE for bad data: a probability outside [-1e-6, 1+1e-6] or
 * not finite, fewer than 2 classes...). On failure res is freed. */
int cl_run(size_t n, size_t k, const int32_t *y, const cl_reader *rd, const cl_opts *o,
           cl_result *res, la_error *err);

void cl_result_free(cl_result *r);

/* cl_argsort (numpy's argsort order, cl.h) on up to 2 threads: the same
 * permutation for any thread count. Defined in cl.c. */
void cl_argsort_par(const double *v, size_t m, uint32_t *idx, int threads);


#endif
