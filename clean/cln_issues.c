/*
 * cln_issues.c — the selection behind `clean --drop-issues` (cln_issues.h):
 * duplicate groups by union-find over the recorded pairs, keeping each
 * group's lowest row; conflicts, outliers and image defects dropped whole;
 * leaked test examples listed. Invariant: a row a reviewer decided is never
 * chosen, and a row is chosen once, for the first rule that applies.
 */
#include "cln_issues.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const char *const cln_issue_kind_names[CLN_ISS_COUNT] = {
    "exact_duplicate", "near_duplicate", "image_near_duplicate", "label_conflict", "leakage", "outlier", "image"};

/* "issue:KIND", the why of changes.csv. */
static const char *const cln_issue_why[CLN_ISS_COUNT] = {
    "issue:exact_duplicate", "issue:near_duplicate", "issue:image_near_duplicate", "issue:label_conflict",
    "issue:leakage", "issue:outlier", "issue:image"};

/* The per-image defect words of checks/dc_image.c (dc_defect_names). */
static const char *const cln_defect_words[] = {"dark", "bright", "blurry", "low_information", "odd_size",
                                               "odd_aspect_ratio", "channels"};

int cln_issue_kind_of(const char *issue)
{
    for (int t = 0; t < CLN_ISS_COUNT; t++)
        if (t != CLN_ISS_IMAGE && !strcmp(issue, cln_issue_kind_names[t])) return t;
    for (size_t t = 0; t < sizeof cln_defect_words / sizeof *cln_defect_words; t++)
        if (!strcmp(issue, cln_defect_words[t])) return CLN_ISS_IMAGE;
    return -1;
}

int cln_issue_types_parse(const char *list, unsigned *mask, const char **bad, size_t *bad_len)
{
    assert(list && mask);
    *mask = 0;
    const char *p = list;
    for (;;) {
        size_t len = strcspn(p, ",");
        int found = len == 3 && !strncmp(p, "all", 3);
        if (found) *mask |= (1u << CLN_ISS_COUNT) - 1;
        for (int t = 0; t < CLN_ISS_COUNT && !found; t++)
            if (strlen(cln_issue_kind_names[t]) == len && !strncmp(p, cln_issue_kind_names[t], len)) {
                *mask |= 1u << t;
                found = 1;
            }
        if (!found) {
            if (bad) *bad = p;
            if (bad_len) *bad_len = len;
            return -1;
        }
        if (!p[len]) return 0;
        p += len + 1;
    }
}

/* ---- duplicate groups ------------------------------------------------------ */

static size_t cln_find(size_t *parent, size_t i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];      /* path halving */
        i = parent[i];
    }
    return i;
}

/* Groups the pairs of the duplicate kinds in mask; every row in a group
 * except its keeper (lowest row not dropped by a reviewer) gets why. */
static int cln_select_duplicates(const cln_issue *rows, size_t n_rows, unsigned mask, size_t n,
                                 const uint8_t *decided, const char **why)
{
    size_t *parent = la_malloc_array(n + 1, sizeof *parent), *keep = la_malloc_array(n + 1, sizeof *keep);
    uint8_t *member = la_calloc(n + 1, 1);
    int *kind = la_malloc_array(n + 1, sizeof *kind);
    if (!parent || !keep || !member || !kind) { free(parent); free(keep); free(member); free(kind); return -1; }
    for (size_t i = 0; i < n; i++) parent[i] = i, keep[i] = SIZE_MAX, kind[i] = -1;
    for (size_t t = 0; t < n_rows; t++) {
        int k = cln_issue_kind_of(rows[t].issue);
        if (k < 0 || k > CLN_ISS_IMAGE_NEAR_DUPLICATE || !(mask & (1u << k))) continue;
        size_t a = (size_t)rows[t].row;
        member[a] = 1;
        if (kind[a] < 0) kind[a] = k;
        if (rows[t].partner < 0 || (size_t)rows[t].partner >= n) continue;
        size_t b = (size_t)rows[t].partner;
        member[b] = 1;
        if (kind[b] < 0) kind[b] = k;
        size_t ra = cln_find(parent, a), rb = cln_find(parent, b);
        if (ra != rb) parent[ra > rb ? ra : rb] = ra < rb ? ra : rb;
    }
    /* keeper of each group: its lowest row neither a reviewer nor an
     * earlier rule drops */
    for (size_t i = 0; i < n; i++)
        if (member[i] && !why[i] && !(decided && decided[i] == CLN_DECIDED_DROP)) {
            size_t r = cln_find(parent, i);
            if (keep[r] == SIZE_MAX) keep[r] = i;
        }
    for (size_t i = 0; i < n; i++)
        if (member[i] && !why[i] && !(decided && decided[i]) && keep[cln_find(parent, i)] != i)
            why[i] = cln_issue_why[kind[i]];
    free(parent); free(keep); free(member); free(kind);
    return 0;
}

/* ---- the selection ------------------------------------------------------------ */

static int cln_select_leaks(const cln_issue *rows, size_t n_rows, cln_leak **leaks, size_t *n_leaks)
{
    *leaks = la_malloc_array(n_rows + 1, sizeof **leaks);
    if (!*leaks) return -1;
    for (size_t t = 0; t < n_rows; t++) {
        if (cln_issue_kind_of(rows[t].issue) != CLN_ISS_LEAKAGE || !rows[t].partner_test || rows[t].partner < 0) continue;
        int seen = 0;
        for (size_t q = 0; q < *n_leaks && !seen; q++) seen = (*leaks)[q].test == rows[t].partner;
        if (!seen) (*leaks)[(*n_leaks)++] = (cln_leak){rows[t].partner, rows[t].row, rows[t].score, NULL};
    }
    return 0;
}

int cln_issue_select(const cln_issue *rows, size_t n_rows, unsigned mask, size_t n, const uint8_t *decided,
                     const char **why, cln_leak **leaks, size_t *n_leaks, la_error *err)
{
    assert((rows || !n_rows) && why && leaks && n_leaks);
    *leaks = NULL;
    *n_leaks = 0;
    for (size_t i = 0; i < n; i++) why[i] = NULL;
    for (size_t t = 0; t < n_rows; t++)
        if (rows[t].row < 0 || (size_t)rows[t].row >= n)
            return la_error_set(err, LA_EUSAGE, NULL, 0, "issue %zu (%s): row %" PRId64 " outside the dataset's %zu rows",
                                t + 1, rows[t].issue, rows[t].row, n);
    /* conflicts first: they drop every member, duplicates would keep one */
    for (size_t t = 0; t < n_rows; t++) {
        int k = cln_issue_kind_of(rows[t].issue);
        size_t i = (size_t)rows[t].row;
        if ((k == CLN_ISS_LABEL_CONFLICT || k == CLN_ISS_OUTLIER || k == CLN_ISS_IMAGE) && (mask & (1u << k)) &&
            !why[i] && !(decided && decided[i]))
            why[i] = cln_issue_why[k];
    }
    int bad = (mask & 7u) && cln_select_duplicates(rows, n_rows, mask, n, decided, why);
    if (!bad && (mask & (1u << CLN_ISS_LEAKAGE))) bad = cln_select_leaks(rows, n_rows, leaks, n_leaks);
    if (bad) {
        free(*leaks);
        *leaks = NULL;
        *n_leaks = 0;
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    return 0;
}
