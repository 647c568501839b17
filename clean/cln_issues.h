/*
 * cln_issues.h — which training examples `clean --drop-issues` drops for the
 * dataset checks' findings (audit --issues, recorded in the database), and
 * which test examples leaked. A pure selection over plain rows: the command
 * reads the rows from the database, the clean stage applies the result
 * (cln_stage_in.issue_why, .leaks). Reviewer decisions always win: a row a
 * reviewer decided (keep, relabel or drop) is never chosen here.
 *
 *   cln_issue_types_parse("near_duplicate,leakage", &mask, &bad, &bad_len);
 *   cln_issue_select(rows, n_rows, mask, n, decided, why, &leaks, &n_leaks, &err);
 *   cln_issue_select_pairs(rows, n_rows, mask, n, decided, pairs, n_pairs, why, ...);
 */
#ifndef CLN_ISSUES_H
#define CLN_ISSUES_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"

/* The types --drop-issues names. "image" is every per-image defect (dark,
 * bright, blurry, low_information, odd_size, odd_aspect_ratio, grayscale or
 * whatever the run recorded besides the other words). */
typedef enum cln_issue_kind {
    CLN_ISS_EXACT_DUPLICATE = 0, CLN_ISS_NEAR_DUPLICATE, CLN_ISS_IMAGE_NEAR_DUPLICATE, CLN_ISS_LABEL_CONFLICT,
    CLN_ISS_LEAKAGE, CLN_ISS_OUTLIER, CLN_ISS_IMAGE, CLN_ISS_COUNT
} cln_issue_kind;
extern const char *const cln_issue_kind_names[CLN_ISS_COUNT];

/* "near_duplicate,outlier" or "all" into *mask (bits 1 << cln_issue_kind).
 * 0, or -1 with *bad / *bad_len the unknown word. */
int cln_issue_types_parse(const char *list, unsigned *mask, const char **bad, size_t *bad_len);

/* The kind of a recorded issue word ("dark" is CLN_ISS_IMAGE); -1 for the
 * label audit's "label" and anything unknown. */
int cln_issue_kind_of(const char *issue);

/* One recorded finding (db_issue's fields); strings borrowed. */
typedef struct cln_issue {
    int64_t     row;                 /* training row                          */
    int64_t     partner;             /* -1 = none                             */
    int         partner_test;        /* 1: partner is a test row (leakage)    */
    const char *issue;
    double      score;
} cln_issue;

/* A leaked test example and the training example it copies. */
typedef struct cln_leak {
    int64_t     test, train;         /* rows of each split                    */
    double      score;
    const char *test_id;             /* borrowed; NULL = the row number (the
                                        command fills it from the database)  */
} cln_leak;

/* Reviewer decisions per row for cln_issue_select. */
#define CLN_UNDECIDED 0
#define CLN_DECIDED_KEEP 1              /* keep or relabel                    */
#define CLN_DECIDED_DROP 2

/* Rules, for the kinds in mask, over rows a reviewer did not decide
 * (decided: n entries, CLN_* above, or NULL = none decided):
 *   exact / near / image_near duplicates: the pairs of the kinds asked for
 *     form groups (connected components); each group keeps its lowest row
 *     that no reviewer dropped and drops the others;
 *   label_conflict (first): every member is dropped (one label is
 *     certainly wrong and which is unknown);
 *   outlier, image (defects): every flagged row is dropped;
 *   leakage: drops no training row; *leaks gets each leaked test example
 *     once (best score first as recorded), *n_leaks of them.
 * why[i] (n entries, set by the call) is the static string "issue:KIND" of
 * the first rule that drops row i, NULL when none does. Rows >= n are
 * LA_EUSAGE. *leaks is malloc'd (free it; NULL when mask lacks leakage).
 * Returns 0, LA_EUSAGE or LA_EINTERNAL. */
int cln_issue_select(const cln_issue *rows, size_t n_rows, unsigned mask, size_t n, const uint8_t *decided,
                     const char **why, cln_leak **leaks, size_t *n_leaks, la_error *err);

/* A reviewer's answer on a pair (serve's pair view, db_pairs.h): this
 * example X (a training row) and its partner Y. */
typedef enum cln_pair_choice {
    CLN_PAIR_DROP = 0,                 /* drop X, keep Y                        */
    CLN_PAIR_KEEP,                     /* keep X, drop Y (a test Y: leaked)     */
    CLN_PAIR_KEEP_BOTH                 /* not duplicates: drop neither          */
} cln_pair_choice;

typedef struct cln_pair {
    int64_t         row, partner;      /* X (training row), Y                   */
    int             partner_test;      /* 1: Y is a test row                    */
    cln_pair_choice choice;
} cln_pair;

/* The choice word ("drop", "keep", "keep_both"), or -1. */
int cln_pair_choice_of(const char *word);

/* cln_issue_select honouring pair answers. An answer counts when mask holds
 * the kind of an issue the run recorded on the pair (X, Y) either way round
 * (a near_duplicate answer counts for exact_duplicate too when the pair is
 * both); it then
 * takes that pair out of the automatic rules (its edge leaves the duplicate
 * groups, its conflict is not dropped, its leak is not listed) and instead:
 *   drop: X dropped (why "pair:drop"), Y kept;
 *   keep: X kept, Y dropped (why "pair:keep"; a test Y is listed in *leaks);
 *   keep_both: both kept.
 * "Kept" means no duplicate or conflict rule of another pair drops the row
 * either, as if a reviewer had kept it. Reviewer decisions on rows still
 * win: a decided row is neither dropped nor kept by an answer. A pair whose
 * row or training partner is >= n is LA_EUSAGE. pairs may be NULL when
 * n_pairs is 0 (then this is cln_issue_select). */
int cln_issue_select_pairs(const cln_issue *rows, size_t n_rows, unsigned mask, size_t n, const uint8_t *decided,
                           const cln_pair *pairs, size_t n_pairs, const char **why, cln_leak **leaks,
                           size_t *n_leaks, la_error *err);

#endif
