/*
 * review.h — the pieces of the terminal review (`labelaudit review`) that do
 * not touch the terminal: turning a key or a typed line into a command, and
 * an example into the text shown for it. cmd_review.c owns the loop, the
 * termios raw mode and the database calls.
 */
#ifndef LA_REVIEW_H
#define LA_REVIEW_H

#include <stddef.h>
#include <stdint.h>
#include "../db/db.h"
#include "../db/db_issues.h"

typedef enum rv_action {
    RV_NONE = 0,     /* empty line: show the example again                 */
    RV_KEEP,         /* the given label is right                           */
    RV_RELABEL,      /* relabel to `label`                                  */
    RV_CHOOSE,       /* relabel, class still to be asked for               */
    RV_DROP,         /* unusable example                                   */
    RV_SKIP,         /* decide later (status skip)                         */
    RV_UNDO,         /* undo this reviewer's last decision                 */
    RV_QUIT,
    RV_HELP,
    RV_VERDICT,      /* what the reviewer found (`verdict`), sent with the
                        next keep, relabel or drop (schema 004)            */
    RV_PAIR          /* an answer on the example's duplicate / leak pair
                        (`pair`), saved at once; the label decision
                        is still asked for (schema 007)                    */
} rv_action;

typedef struct rv_command {
    rv_action action;
    int64_t   label;    /* RV_RELABEL: class index                          */
    const char *verdict; /* RV_VERDICT: "error" | "ambiguous" | "false_alarm"
                            (a static string)                             */
    const char *pair;    /* RV_PAIR: "drop" | "keep" | "keep_both" (static) */
} rv_command;

/* Maps a single key (raw terminal mode) to a command: k keep, r relabel to
 * `suggested`, c choose, d drop, s skip, u undo, q / Ctrl-C / Ctrl-D quit,
 * ? or h help; e / a / f the verdict error / ambiguous / false_alarm;
 * 1 / 2 / 3 the pair answer drop (this one) / keep (this one, drop the
 * partner) / keep_both. Returns 0, or -1 for a key with no meaning. */
int rv_parse_key(int key, int64_t suggested, rv_command *out);

/* Parses one typed line (scripted use, stdin not a terminal): a key letter
 * or word (k keep, r relabel, d drop, s skip, u undo, q quit, ? help; e
 * error, a ambiguous, f false_alarm: the verdict; 1 pair-drop, 2 pair-keep,
 * 3 keep-both: the pair answer), or
 * "c X" / "relabel X" where X is a class index or an exact class name.
 * Surrounding blanks and a trailing CR are ignored. Returns 0, or -1 with a
 * reason in why (size whysz). */
int rv_parse_line(const char *line, int64_t suggested, char *const *class_names, size_t k,
                  rv_command *out, char *why, size_t whysz);

/* Resolves a class given as an index ("3") or an exact name; -1 if none. */
int64_t rv_class_lookup(const char *s, char *const *class_names, size_t k);

/* The text shown for one example: progress, id, row, rank, given and
 * suggested label, score, current status, image path or feature values.
 * Class names are printed with control characters replaced by '?', so a
 * hostile name cannot drive the terminal. malloc'd; NULL when out of memory. */
char *rv_format_item(const db_item *it, char *const *class_names, size_t k,
                     const db_progress *overall);

/* The dataset checks' findings shown under an example (audit --issues
 * recorded with --db): its issue types with their scores, and the partner of
 * its most severe pair issue (a duplicate, a conflicting copy, or the test
 * example a leak copies) with id, label, image path or feature values when
 * `partner` is that stored example (NULL: the row number only). "" when iss
 * is empty. malloc'd; NULL when out of memory. */
char *rv_format_issues(const db_issues *iss, const db_issue_example *partner);

#define RV_SCORE_FIXED_MIN 0.001   /* below it a score is shown as 4.6e-8     */

/* A label quality score for people: "%.4f" from 0.001 up (and for 0), else
 * two significant digits with a short exponent ("4.6e-8"), so tiny scores do
 * not all read 0.0000. */
void rv_format_score(double q, char *out, size_t outsz);

/* Copies s into out (size outsz) with control bytes (< 0x20, 0x7f) replaced
 * by '?': safe to print on a terminal. */
void rv_sanitize(const char *s, char *out, size_t outsz);

#endif
