/*
 * check.h — the CI gate behind `labelaudit check`: reads audit summaries
 * (summary.json, also stored in the database), compares a run with absolute
 * limits and with a baseline, and renders the verdict as text, JSON, JUnit XML
 * or GitHub Actions workflow commands.
 *
 * Not here: SQL (db/db_record.c loads a run's summary), option parsing and
 * exit statuses (cli/cmd_check.c).
 * Invariant: a verdict is computed once (ck_evaluate) and every format renders
 * that same list of cases, so the formats never disagree.
 *
 * Telling a real rise from noise (--max-increase D). Each summary carries a
 * bootstrap interval [lo, hi] at confidence c for its error-rate estimate e.
 * For the change d = e1 - e0 (current minus baseline, independent samples) the
 * interval is MOVER (Zou & Donner 2008, "method of variance estimates recovery"):
 *   L = d - sqrt((e1 - lo1)^2 + (hi0 - e0)^2)
 *   U = d + sqrt((hi1 - e1)^2 + (e0 - lo0)^2)
 * which reduces to the usual d -/+ z sqrt(se1^2 + se0^2) for symmetric normal
 * intervals and keeps the bootstrap's asymmetry otherwise. The limit fails when
 *   d > D  and  L > 0
 * i.e. the rise is larger than allowed AND the interval excludes "no rise".
 * When --confidence differs from the level the audit used, half-widths are
 * rescaled by z(new)/z(old) (normal approximation).
 */
#ifndef LA_CHECK_H
#define LA_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include "../util/la_util.h"

/* One audit's summary, as far as the gate needs it. Owned strings/arrays. */
typedef struct ck_summary {
    char    *source;         /* "run 7 (FILE)" or the summary path, for messages */
    int64_t  run_id;         /* database run id, 0 for a summary file          */
    char    *created_at;     /* run time, or NULL                              */
    char    *dataset;        /* dataset path as recorded, or NULL              */
    char    *version;        /* labelaudit_version, or NULL                    */
    char    *method;         /* the audit's filter_by ("method"), or NULL      */
    size_t   n, k;
    char   **classes;        /* k class names                                  */
    int64_t *counts;         /* k examples per given class (0 when absent)     */
    int64_t  num_flagged;    /* -1 when absent                                 */
    int64_t  num_label_issues; /* -1 when absent                               */
    double   error_rate;     /* estimated label-error rate                     */
    double   error_lo, error_hi; /* its interval; both = error_rate if absent  */
    double  *class_rate;     /* k per-class estimated error rates              */
    double  *class_lo, *class_hi; /* k intervals (= class_rate if absent)      */
    double   health;         /* overall label health score                     */
    double   confidence;     /* interval level (0.95 when absent)              */
    int      has_ci;         /* 1 when the summary carried intervals           */
    double   leak_rate;      /* dataset_checks.leak_rate, NAN when absent      */
    double   duplicate_rate; /* dataset_checks.duplicate_rate, NAN when absent */
    int      has_reviewed;   /* 1 when the counts below were loaded (a run of
                                a database; schema 004 verdicts)              */
    int64_t  reviewed;       /* decided examples with a reviewer's verdict     */
    int64_t  reviewed_error; /* of them, judged a genuine label error          */
} ck_summary;

/* Parses a summary.json document. source names it in messages. Returns 0 or
 * LA_EUSAGE naming the key that is missing or malformed (err->file = source);
 * LA_EINTERNAL on out of memory. Free with ck_summary_free. */
int ck_summary_from_json(const json_t *j, const char *source, ck_summary *out, la_error *err);

/* Same from text (a file's contents or the database column). */
int ck_summary_from_text(const char *text, const char *source, ck_summary *out, la_error *err);

/* Reads and parses a summary.json file. LA_EUSAGE when unreadable or invalid. */
int ck_summary_load(const char *path, ck_summary *out, la_error *err);

void ck_summary_free(ck_summary *s);

/* Rescales every interval of s to confidence c (see the top comment). */
void ck_summary_set_confidence(ck_summary *s, double c);

/* z such that P(|Z| <= z) = c for a standard normal Z (c in (0, 1)). */
double ck_z(double c);

/* Wilson score interval [*lo, *hi] for the proportion x / n at normal
 * quantile z (ck_z(0.95) = 1.96); both NAN when n = 0. Never fails. */
void ck_wilson(int64_t x, int64_t n, double z, double *lo, double *hi);

/* Compares the class lists of two summaries. 0 when they hold the same names
 * (in any order); else LA_EUSAGE with err->msg listing the differences
 * ("only in current: a, b; only in baseline: c"). */
int ck_compare_classes(const ck_summary *cur, const ck_summary *base, la_error *err);

/* The limits; NAN = not set. */
typedef struct ck_limits {
    double max_error_rate;        /* --max-error-rate R                        */
    double max_increase;          /* --max-increase D (needs a baseline)       */
    double max_class_error_rate;  /* --max-class-error-rate R                  */
    double min_health;            /* --min-health H                            */
    double max_leak_rate;         /* --max-leak-rate R (dataset checks, --test) */
    double max_duplicate_rate;    /* --max-duplicate-rate R (dataset checks)   */
    double min_reviewed_precision; /* --min-reviewed-precision P (verdicts)     */
    int64_t min_reviewed;         /* --min-reviewed N: fewer verdicts cannot be
                                     judged (CK_MIN_REVIEWED by default)       */
} ck_limits;

/* Default --min-reviewed: below 20 verdicts a 95% Wilson interval is wider
 * than +-0.2 around p = 0.5, too wide to gate on. */
#define CK_MIN_REVIEWED 20

void ck_limits_init(ck_limits *l);

typedef enum ck_status { CK_PASS = 0, CK_FAIL = 1 } ck_status;

/* One test case: one limit, overall or for one class. */
typedef struct ck_case {
    char      name[320];     /* "max-error-rate", "max-class-error-rate[cat]"  */
    char      limit[32];     /* the option, without dashes                     */
    long      cls;           /* class index, -1 for overall                    */
    ck_status status;
    double    value;         /* what was judged (rate, change, health)         */
    double    lo, hi;        /* its interval (lo = hi = value when none)       */
    double    threshold;     /* the limit                                      */
    double    excess;        /* by how much the limit is exceeded (> 0 on FAIL) */
    char      msg[1024];     /* one line for people                            */
} ck_case;

/* Per-class comparison with the baseline (informational). */
typedef struct ck_class_change {
    double d, lo, hi;        /* change and its MOVER interval                  */
    int    real_rise;        /* d > max_increase (or 0) and lo > 0             */
} ck_class_change;

typedef struct ck_verdict {
    ck_case *cases;          /* ncases, in order: max-error-rate, max-increase,
                                max-class-error-rate[c] for every class, min-health,
                                max-leak-rate, max-duplicate-rate,
                                min-reviewed-precision */
    size_t   ncases;
    size_t   nfailed;
    int      has_baseline;
    double   d, d_lo, d_hi;  /* overall change and its interval (baseline only) */
    ck_class_change *class_change; /* k, aligned with cur->classes; NULL w/o baseline */
    size_t  *base_index;     /* k: index in base->classes of cur class c, or NULL */
} ck_verdict;

/* MOVER interval for e1 - e0 (see top comment). */
void ck_diff_interval(double e1, double lo1, double hi1, double e0, double lo0, double hi0,
                      double *d, double *lo, double *hi);

/* Judges cur against lim and (when non-NULL) base, whose classes must match
 * (call ck_compare_classes first; classes are aligned by name). Returns 0 or
 * LA_EINTERNAL (out of memory). Free with ck_verdict_free. */
int ck_evaluate(const ck_summary *cur, const ck_summary *base, const ck_limits *lim,
                ck_verdict *out, la_error *err);
void ck_verdict_free(ck_verdict *v);

/* Renderers: write the verdict to fp (the caller owns fp). base may be NULL. */
void ck_write_text(FILE *fp, const ck_summary *cur, const ck_summary *base,
                   const ck_verdict *v);
void ck_write_junit(FILE *fp, const ck_summary *cur, const ck_summary *base,
                    const ck_verdict *v);
void ck_write_github(FILE *fp, const ck_summary *cur, const ck_summary *base,
                     const ck_verdict *v);
/* The JSON verdict document; NULL on out of memory. Caller json_decref's. */
json_t *ck_to_json(const ck_summary *cur, const ck_summary *base, const ck_verdict *v);

/* Escapers (exposed for tests). Each writes s escaped to fp.
 * XML: & < > " ' as entities; characters XML 1.0 forbids (C0 controls other
 * than tab, LF, CR) become U+FFFD.
 * GitHub data (the message): % CR LF as %25 %0D %0A.
 * GitHub property (title=..., file=...): the same plus : and , as %3A %2C.
 * ck_write_github adds file=SUMMARY to each ::error when the run came from a
 * summary file, so the annotation lands on the committed summary.json. */
void ck_xml_escape(FILE *fp, const char *s);
void ck_gh_escape_data(FILE *fp, const char *s);
void ck_gh_escape_property(FILE *fp, const char *s);

/* ---- the check stage ---------------------------------------------------- */

/* Judges cur (and base, may be NULL) at one confidence level: conf, or cur's
 * own when conf is NAN (both summaries are rescaled to it); with a baseline
 * an unset max_increase becomes 0 (lim is updated). Then ck_evaluate.
 * LA_EUSAGE (err names cur's source) when max_increase is set but base is
 * NULL: a relative limit without a baseline cannot be judged, and a gate
 * that cannot judge what it was asked must not pass. Likewise when
 * min_reviewed_precision is set but cur has no reviewed counts (a summary
 * file) or fewer than min_reviewed of them.
 *
 * --min-reviewed-precision P: precision = reviewed_error / reviewed, the
 * share of reviewed flagged examples that are genuine label errors, with its
 * Wilson interval [lo, hi] at the judged confidence. The case fails when
 * hi < P: the reviewers' verdicts show, at that confidence, that precision is
 * below P (a point estimate below P whose interval still reaches P passes,
 * as --max-increase passes a rise its interval cannot tell from noise). */
int ck_judge(ck_summary *cur, ck_summary *base, ck_limits *lim, double conf, ck_verdict *out, la_error *err);

typedef enum ck_format { CK_FORMAT_TEXT, CK_FORMAT_JSON, CK_FORMAT_JUNIT, CK_FORMAT_GITHUB } ck_format;

/* Renders the verdict in fmt: into out_path atomically when it is not NULL,
 * else to fp (the caller's stream, flushed). JSON is indented with 10
 * digits. 0, or a status with err set (nothing left at out_path then). */
int ck_render(ck_format fmt, const char *out_path, FILE *fp, const ck_summary *cur, const ck_summary *base,
              const ck_verdict *v, la_error *err);

#endif /* LA_CHECK_H */
