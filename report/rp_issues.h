/*
 * rp_issues.h — the dataset checks downstream of `audit`: what the record
 * stage stores of a dc_result (checks/checks.h) beside the audit run
 * (db/db_issues.h: each issue with its partner, the examples the report
 * shows, thumbnail pixels and feature rows included, so the report never
 * reopens the inputs), and the report's pages per issue type (pairs side by
 * side) with the summary page's chips linking to them.
 */
#ifndef LA_RP_ISSUES_H
#define LA_RP_ISSUES_H

#include <stdint.h>
#include <stdio.h>
#include "../checks/checks.h"

typedef struct sqlite3 sqlite3;

/* What the record stage needs besides the dc_result: names the dc_input
 * does not carry. Everything borrowed; any pointer may be NULL. */
typedef struct rp_issues_src {
    const dc_result *r;
    const dc_input  *in;
    char *const     *train_classes;      /* class names by train label index  */
    size_t           train_k;
    char *const     *test_classes;       /* by the test split's label index   */
    size_t           test_k;
    char *const     *train_feature_names;/* in->train.feat.d names, or NULL   */
    char *const     *test_feature_names;
    const char      *test_path;          /* the test split as given, or NULL  */
} rp_issues_src;

/* Records src's findings as run run_id's (db_issues_record): every issue but
 * the label audit's own, leaks at their training row with the test row as
 * partner, and each example they name with its id, label, image path, and
 * pixels (image datasets without files) or its first RP_ISSUES_MAX_FEATURES
 * feature values (tables). 0 or a status with err set; nothing written then. */
#define RP_ISSUES_MAX_FEATURES 24
int rp_issues_record(sqlite3 *db, int64_t run_id, const rp_issues_src *src, la_error *err);

/* How the report's pages are opened and closed (report.c's header and
 * footer): open returns the file with the page's head written, or NULL with
 * the report's error set; close finishes and closes it (0 or a status). */
typedef struct rp_issues_pager {
    void  *ctx;
    FILE *(*open)(void *ctx, const char *name, const char *title, char *path, size_t size);
    int   (*close)(void *ctx, FILE *f, const char *path);
    const char *dir;                     /* the report directory being written */
    int    thumb_box;
    size_t thumbs, thumb_failures;       /* counted here                       */
} rp_issues_pager;

/* Writes issue-TYPE.html for every issue type run run_id recorded: a count,
 * then one row per issue (at most RP_ISSUES_PAGE_ROWS) with the example and,
 * for pairs, its partner beside it (thumbnails under assets/thumbs/ or
 * feature values, test examples marked). 0 or a status (err set). */
#define RP_ISSUES_PAGE_ROWS 500
int rp_issues_pages(sqlite3 *db, int64_t run_id, rp_issues_pager *pg, la_error *err);

/* The summary page's "Dataset checks" panel: a chip per type linking to its
 * page, with counts. Writes nothing for a run without findings. */
void rp_issues_chips(sqlite3 *db, int64_t run_id, FILE *f);

#endif
