/*
 * cln_issues.c — the selection behind `clean --drop-issues` (cln_issues.h):
 * duplicate groups by union-find over the recorded pairs, keeping each
 * group's lowest row; conflicts, outliers and image defects dropped whole;
 * leaked test examples listed. Invariant: a row a reviewer decided is never
 * chosen, and a row is chosen once, for the first rule that applies. Pair
 * answers (cln_issue_select_pairs) are applied first and take their pair out
 * of the automatic rules.
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

/* Groups the pairs of the duplicate kinds in mask (but the answered ones);
 * every row in a group except its keeper (lowest row not dropped by a
 * reviewer) gets why. */
static int cln_select_duplicates(const cln_issue *rows, size_t n_rows, unsigned mask, size_t n,
                                 const uint8_t *decided, const uint8_t *answered, const char **why)
{
    size_t *parent = la_malloc_array(n + 1, sizeof *parent), *keep = la_malloc_array(n + 1, sizeof *keep);
    uint8_t *member = la_calloc(n + 1, 1);
    int *kind = la_malloc_array(n + 1, sizeof *kind);
    if (!parent || !keep || !member || !kind) { free(parent); free(keep); free(member); free(kind); return -1; }
    for (size_t i = 0; i < n; i++) parent[i] = i, keep[i] = SIZE_MAX, kind[i] = -1;
    for (size_t t = 0; t < n_rows; t++) {
        int k = cln_issue_kind_of(rows[t].issue);
        if (k < 0 || k > CLN_ISS_IMAGE_NEAR_DUPLICATE || !(mask & (1u << k)) || answered[t]) continue;
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

static int cln_select_leaks(const cln_issue *rows, size_t n_rows, const uint8_t *answered, cln_leak **leaks,
                            size_t *n_leaks)
{
    *leaks = la_malloc_array(n_rows + 1, sizeof **leaks);
    if (!*leaks) return -1;
    for (size_t t = 0; t < n_rows; t++) {
        if (cln_issue_kind_of(rows[t].issue) != CLN_ISS_LEAKAGE || !rows[t].partner_test || rows[t].partner < 0 ||
            answered[t] == 1)
            continue;
        int seen = 0;
        for (size_t q = 0; q < *n_leaks && !seen; q++) seen = (*leaks)[q].test == rows[t].partner;
        if (!seen) (*leaks)[(*n_leaks)++] = (cln_leak){rows[t].partner, rows[t].row, rows[t].score, NULL};
    }
    return 0;
}

int cln_pair_choice_of(const char *w)
{
    if (!w) return -1;
    if (!strcmp(w, "drop")) return CLN_PAIR_DROP;
    if (!strcmp(w, "keep")) return CLN_PAIR_KEEP;
    if (!strcmp(w, "keep_both")) return CLN_PAIR_KEEP_BOTH;
    return -1;
}

/* 1 when issue row r is pair p, either way round (a test partner only one way). */
static int cln_is_pair(const cln_issue *r, const cln_pair *p)
{
    if (r->partner < 0 || r->partner_test != p->partner_test) return 0;
    if (r->row == p->row && r->partner == p->partner) return 1;
    return !p->partner_test && r->row == p->partner && r->partner == p->row;
}

/* Applies the answers that count (see cln_issue_select_pairs): why and dec
 * (the reviewer decisions, then pair keeps and drops) for training rows,
 * answered[t] = 1 + (its answer is keep, for a leak) for the issue rows
 * they take out of the automatic rules. */
static void cln_apply_pairs(const cln_issue *rows, size_t n_rows, unsigned mask, const uint8_t *decided,
                            const cln_pair *pairs, size_t n_pairs, uint8_t *dec, uint8_t *answered,
                            const char **why)
{
    for (size_t a = 0; a < n_pairs; a++) {
        const cln_pair *p = &pairs[a];
        int counts = 0;
        for (size_t t = 0; t < n_rows && !counts; t++) {
            int k = cln_issue_kind_of(rows[t].issue);
            counts = k >= 0 && (mask & (1u << k)) && cln_is_pair(&rows[t], p);
        }
        if (!counts) continue;
        for (size_t t = 0; t < n_rows; t++)
            if (cln_is_pair(&rows[t], p)) answered[t] = p->choice == CLN_PAIR_KEEP && p->partner_test ? 2 : 1;
        size_t x = (size_t)p->row, y = (size_t)p->partner;
        int y_train = !p->partner_test, x_free = !(decided && decided[x]), y_free = y_train && !(decided && decided[y]);
        if (p->choice == CLN_PAIR_DROP && x_free && !why[x]) why[x] = "pair:drop", dec[x] = CLN_DECIDED_DROP;
        if (p->choice != CLN_PAIR_DROP && x_free && !why[x]) dec[x] = CLN_DECIDED_KEEP;
        if (p->choice == CLN_PAIR_KEEP && y_free && !why[y]) why[y] = "pair:keep", dec[y] = CLN_DECIDED_DROP;
        if (p->choice != CLN_PAIR_KEEP && y_free && !why[y]) dec[y] = CLN_DECIDED_KEEP;
    }
}

int cln_issue_select(const cln_issue *rows, size_t n_rows, unsigned mask, size_t n, const uint8_t *decided,
                     const char **why, cln_leak **leaks, size_t *n_leaks, la_error *err)
{
    return cln_issue_select_pairs(rows, n_rows, mask, n, decided, NULL, 0, why, leaks, n_leaks, err);
}

int cln_issue_select_pairs(const cln_issue *rows, size_t n_rows, unsigned mask, size_t n, const uint8_t *decided,
                           const cln_pair *pairs, size_t n_pairs, const char **why, cln_leak **leaks,
                           size_t *n_leaks, la_error *err)
{
    assert((rows || !n_rows) && (pairs || !n_pairs) && why && leaks && n_leaks);
    *leaks = NULL;
    *n_leaks = 0;
    for (size_t i = 0; i < n; i++) why[i] = NULL;
    for (size_t t = 0; t < n_rows; t++)
        if (rows[t].row < 0 || (size_t)rows[t].row >= n)
            return la_error_set(err, LA_EUSAGE, NULL, 0, "issue %zu (%s): row %" PRId64 " outside the dataset's %zu rows",
                                t + 1, rows[t].issue, rows[t].row, n);
    for (size_t a = 0; a < n_pairs; a++)
        if (pairs[a].row < 0 || (size_t)pairs[a].row >= n || pairs[a].partner < 0 ||
            (!pairs[a].partner_test && (size_t)pairs[a].partner >= n) || (unsigned)pairs[a].choice > CLN_PAIR_KEEP_BOTH)
            return la_error_set(err, LA_EUSAGE, NULL, 0, "pair decision %zu (row %" PRId64 ", partner %" PRId64
                                "): outside the dataset's %zu rows", a + 1, pairs[a].row, pairs[a].partner, n);
    uint8_t *dec = la_calloc(n + 1, 1), *answered = la_calloc(n_rows + 1, 1);
    int bad = !dec || !answered;
    if (!bad && decided) memcpy(dec, decided, n);
    if (!bad) cln_apply_pairs(rows, n_rows, mask, decided, pairs, n_pairs, dec, answered, why);
    /* conflicts first: they drop every member, duplicates would keep one */
    for (size_t t = 0; t < n_rows && !bad; t++) {
        int k = cln_issue_kind_of(rows[t].issue);
        size_t i = (size_t)rows[t].row;
        if ((k == CLN_ISS_LABEL_CONFLICT || k == CLN_ISS_OUTLIER || k == CLN_ISS_IMAGE) && (mask & (1u << k)) &&
            !answered[t] && !why[i] && !dec[i])
            why[i] = cln_issue_why[k];
    }
    if (!bad) bad = (mask & 7u) && cln_select_duplicates(rows, n_rows, mask, n, dec, answered, why);
    if (!bad && (mask & (1u << CLN_ISS_LEAKAGE))) bad = cln_select_leaks(rows, n_rows, answered, leaks, n_leaks);
    free(dec);
    free(answered);
    if (bad) {
        free(*leaks);
        *leaks = NULL;
        *n_leaks = 0;
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    return 0;
}
