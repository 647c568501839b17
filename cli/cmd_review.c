/*
 * cmd_review.c — `labelaudit review`: the review queue in a terminal, one
 * example at a time, for when no browser is at hand. Single keys in raw mode
 * (termios) on a terminal; one command per line when stdin is a pipe or file,
 * so it can be scripted. Every decision is its own transaction
 * (db_decide_in_run: only the reviewed run); quitting and starting again
 * resumes at the next pending example, and skipped ones (decide later) come
 * back once nothing is pending.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "../db/db.h"
#include "../db/db_issues.h"
#include "../db/db_pairs.h"
#include "../db/db_reviews.h"
#include "../report/review.h"
#include "../report/serve_next.h"

static const char review_usage[] =
    "usage: labelaudit review --db FILE [--run N] [--reviewer NAME] [--quiet]\n"
    "                         [--reviews-per-item R [--next rank|active-learning]\n"
    "                          [--pred-probs FILE]]\n"
    "\n"
    "Reviews the queue in the terminal, one flagged example at a time (lowest\n"
    "label quality first): id, given and suggested label, score, image path or\n"
    "feature values, and the dataset checks' issue types and pair partner when the\n"
    "run recorded them (audit --issues ... --db). Decisions are saved at once;\n"
    "quit any time and run again to resume at the next pending example.\n"
    "\n"
    "  --db FILE        the labelaudit database (required)\n"
    "  --run N          the run to review (default: the latest)\n"
    "  --reviewer NAME  stored with each decision (default: $LABELAUDIT_REVIEWER,\n"
    "                   then $USER, then 'terminal')\n"
    "  --quiet          no banner\n"
    "  --reviews-per-item R  a session where every example goes to R different\n"
    "                   reviewers (each runs review under their own --reviewer):\n"
    "                   your answer is kept apart, the others' are shown only\n"
    "                   after you gave yours, done examples (R answers) are passed\n"
    "  --next ORDER     with --reviews-per-item: rank (default) or active-learning\n"
    "                   (cleanlab's ActiveLab score, lowest first, recomputed on\n"
    "                   every answer)\n"
    "  --pred-probs FILE  for active-learning (default: the run's probability file)\n"
    "  --help           this text\n"
    "\n"
    "keys: k keep, r relabel to the suggested class, c choose a class, d drop,\n"
    "      s skip, u undo your last decision, q quit, ? help; on a duplicate or\n"
    "      leak pair 1 drop this one, 2 keep this one (drop the partner), 3 keep both\n"
    "When stdin is not a terminal, one command per line: k, r, d, s, u, q, 1, 2,\n"
    "3, or 'c X' / 'relabel X' with X a class index or exact class name.\n";

static const char keys_help[] =
    "  k keep (given label is right)   r relabel to the suggested class\n"
    "  c choose a class to relabel to  d drop (unusable example)\n"
    "  s skip (decide later)           u undo your last decision\n"
    "  q quit (resume later)           ? this help\n"
    "  verdict, sent with the next keep, relabel or drop (again clears it):\n"
    "  e a genuine label error   a ambiguous or several objects   f a false alarm\n"
    "  a duplicate or leak pair (a partner shown), saved at once, then the label:\n"
    "  1 drop this one, keep the partner   2 keep this one, drop the partner\n"
    "  3 keep both (not duplicates)\n";

/* ---- terminal -------------------------------------------------------------- */

static struct termios saved_tio;
static int raw_on;

static void raw_off(void)
{
    if (raw_on) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
    raw_on = 0;
}

/* Single keys, no echo; Ctrl-C arrives as a byte (ISIG off) so the terminal is
 * always restored by our own quit path. */
static int raw_enable(void)
{
    struct termios t;
    if (tcgetattr(STDIN_FILENO, &saved_tio) != 0) return -1;
    t = saved_tio;
    t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) != 0) return -1;
    raw_on = 1;
    static int registered;
    if (!registered) atexit(raw_off);     /* the terminal is restored on any exit */
    registered = 1;
    return 0;
}

/* One key in raw mode; -1 at end of input. */
static int read_key(void)
{
    unsigned char c;
    for (;;) {
        ssize_t n = read(STDIN_FILENO, &c, 1);
        if (n == 1) return c;
        if (n < 0 && errno == EINTR) continue;
        return -1;
    }
}

/* One line (cooked mode or a pipe) into buf; -1 at end of input. */
static int read_line(char *buf, size_t n, int tty)
{
    if (tty) raw_off();
    char *r = fgets(buf, (int)n, stdin);
    if (tty) raw_enable();
    if (!r) return -1;
    if (!strchr(buf, '\n') && !feof(stdin)) {          /* overlong line: drop the rest */
        int ch;
        while ((ch = getchar()) != EOF && ch != '\n') {}
    }
    return 0;
}

/* ---- the loop -------------------------------------------------------------- */

typedef struct review_ctx {
    sqlite3   *db;
    db_run     run;
    const char *reviewer;
    int        tty;
    long       decided;    /* this session, skips apart (skip = decide later) */
    long       skipped;
    unsigned char last[64]; /* was_skip of this session's latest saves, for undo */
    size_t     n_last;
    int64_t    skip_pass;  /* skipped examples passed over again this session */
    int64_t    per_item;   /* R > 0: several reviewers per example (db_reviews) */
    srv_next  *nx;         /* --next active-learning, else NULL (rank)        */
} review_ctx;

static void print_classes(const review_ctx *rc)
{
    char name[256];
    for (int64_t c = 0; c < rc->run.k; c++) {
        rv_sanitize(rc->run.class_names[c], name, sizeof name);
        printf("  %lld  %s\n", (long long)c, name);
    }
}

/* Asks which class to relabel to; -1 when cancelled or at end of input. */
static int64_t ask_class(review_ctx *rc)
{
    char line[1024];
    print_classes(rc);
    printf("relabel to (index or name, empty cancels): ");
    fflush(stdout);
    if (read_line(line, sizeof line, rc->tty)) return -1;
    line[strcspn(line, "\r\n")] = '\0';
    if (!line[0]) return -1;
    int64_t c = rv_class_lookup(line, rc->run.class_names, (size_t)rc->run.k);
    if (c < 0) printf("unknown class\n");
    return c;
}

/* Several reviewers: the others' answers on row qid, shown once one has
 * answered it (the hiding rule, db_reviews_may_see). */
static int print_others(review_ctx *rc, int64_t qid)
{
    la_error err;
    la_error_clear(&err);
    db_answers a;
    if (db_reviews_all(rc->db, rc->run.id, &a, &err)) return cli_report(&err);
    char who[256], name[256];
    int shown = 0;
    for (size_t t = 0; t < a.n; t++) {
        const db_answer *x = &a.v[t];
        if (x->queue_id != qid || !strcmp(x->reviewer, rc->reviewer) || !db_reviews_is_answer(x->status)) continue;
        rv_sanitize(x->reviewer, who, sizeof who);
        name[0] = '\0';
        if (!strcmp(x->status, "relabel") && x->new_label >= 0 && x->new_label < rc->run.k)
            rv_sanitize(rc->run.class_names[x->new_label], name, sizeof name);
        printf("%s %s: %s%s%s\n", shown++ ? "      " : "others:", who, x->status, name[0] ? " -> " : "", name);
    }
    if (!shown) printf("others: no other answer yet\n");
    db_answers_free(&a);
    return 0;
}

/* Applies a decision or undo; prints the outcome. */
static int apply(review_ctx *rc, const db_item *it, const rv_command *cmd, const char *verdict)
{
    static const char *const names[] = {[RV_KEEP] = "keep", [RV_RELABEL] = "relabel",
                                        [RV_DROP] = "drop", [RV_SKIP] = "skip"};
    la_error err;
    la_error_clear(&err);
    if (cmd->action == RV_UNDO) {
        int64_t qid = 0;
        int s = rc->per_item ? db_reviews_undo(rc->db, rc->reviewer, rc->run.id, &qid, &err)
                             : db_undo_last(rc->db, rc->reviewer, rc->run.id, &qid, &err);
        if (s == 0) printf("undone: your last decision (queue entry %lld) is reverted\n", (long long)qid);
        else if (s == LA_EUSAGE || s == DB_CONFLICT) printf("cannot undo: %s\n", err.msg);
        else return cli_report(&err);
        if (s == 0 && rc->n_last > 0) {
            if (rc->last[--rc->n_last]) rc->skipped--;
            else rc->decided--;
        }
        return 0;
    }
    const char *status = names[cmd->action];
    int label = cmd->action == RV_RELABEL ? (int)cmd->label : -1;
    const char *v = cmd->action == RV_SKIP ? NULL : verdict;
    int s = rc->per_item ? db_reviews_answer(rc->db, rc->run.id, it->queue_id, it->version, rc->per_item, status,
                                             label, v, rc->reviewer, NULL, "review", &err)
                         : db_decide_verdict(rc->db, rc->run.id, it->queue_id, it->version, status, label, v,
                                             rc->reviewer, NULL, "review", &err);
    if (s == DB_CONFLICT) {
        printf("conflict: %s\nnot saved; showing the next pending example\n", err.msg);
        return 0;
    }
    if (s) return cli_report(&err);
    int was_skip = cmd->action == RV_SKIP;
    if (was_skip) rc->skipped++;
    else rc->decided++;
    if (rc->n_last == sizeof rc->last) memmove(rc->last, rc->last + 1, --rc->n_last);
    rc->last[rc->n_last++] = (unsigned char)was_skip;
    char name[256];
    if (cmd->action == RV_RELABEL) {
        rv_sanitize(rc->run.class_names[cmd->label], name, sizeof name);
        printf("saved: relabel -> %s\n", name);
    } else {
        printf("saved: %s\n", status);
    }
    if (verdict && cmd->action != RV_SKIP) printf("verdict: %s\n", verdict);
    if (rc->per_item && cmd->action != RV_SKIP) return print_others(rc, it->queue_id);
    return 0;
}

static int apply_pair(review_ctx *rc, const db_item *it, const char *choice);

/* Reads commands for item `it` until one changes the queue or quits.
 * Returns 0 to go on, 1 to quit, or an exit status > 1. */
static int decide_one(review_ctx *rc, const db_item *it)
{
    const char *verdict = NULL;     /* chosen with e / a / f, sent with the decision */
    for (;;) {
        rv_command cmd;
        char line[1024], why[512];
        if (rc->tty) {
            printf("[k]eep [r]elabel [c]hoose [d]rop [s]kip [u]ndo [q]uit [?] verdict [e/a/f] pair [1/2/3] > ");
            fflush(stdout);
            int key = read_key();
            if (key < 0) return 1;
            if (rv_parse_key(key, it->suggested, &cmd)) {
                printf("\n'%c' is not a key here (? for help)\n", key >= 0x20 && key < 0x7f ? key : '?');
                continue;
            }
            printf("%c\n", key >= 0x20 && key < 0x7f ? key : ' ');
        } else {
            if (read_line(line, sizeof line, 0)) return 1;
            if (rv_parse_line(line, it->suggested, rc->run.class_names, (size_t)rc->run.k, &cmd, why, sizeof why)) {
                printf("%s\n", why);
                continue;
            }
        }
        switch (cmd.action) {
        case RV_NONE: continue;
        case RV_QUIT: return 1;
        case RV_HELP: fputs(keys_help, stdout); continue;
        case RV_VERDICT:
            verdict = verdict && !strcmp(verdict, cmd.verdict) ? NULL : cmd.verdict;
            printf(verdict ? "verdict %s: now keep, relabel or drop\n" : "verdict cleared\n", verdict);
            continue;
        case RV_PAIR: {
            int ps = apply_pair(rc, it, cmd.pair);
            if (ps) return ps;
            continue;
        }
        case RV_CHOOSE:
            if ((cmd.label = ask_class(rc)) < 0) continue;
            cmd.action = RV_RELABEL;
            break;
        default: break;
        }
        int s = apply(rc, it, &cmd, verdict);
        return s ? s : 0;
    }
}

/* The next example to show: the first pending one; when none is left, the
 * skipped ones (skip = decide later, the same in serve and clean), each once
 * per session. out->n == 0 when there is nothing more. */
static int next_answer(review_ctx *rc, db_items *out, int *skipped, db_progress *own, la_error *err);

static int next_example(review_ctx *rc, db_items *out, int *skipped, la_error *err)
{
    *skipped = 0;
    if (db_queue_next_pending(rc->db, rc->run.id, out, err)) return err->status;
    if (out->n) return 0;
    db_items_free(out);
    db_filter f;
    db_filter_init(&f);
    f.status = "skip";
    f.offset = rc->skip_pass;
    f.limit = 1;
    if (db_queue_list(rc->db, rc->run.id, &f, out, NULL, err)) return err->status;
    *skipped = out->n > 0;
    return 0;
}

/* Several reviewers: the first row in the work order (srv_next_order) still
 * to answer; when none is left, one's own skips of rows not done, each once
 * per session. *own: one's own progress. out->n == 0 when nothing is left. */
static int next_answer(review_ctx *rc, db_items *out, int *skipped, db_progress *own, la_error *err)
{
    db_review_view v;
    size_t *order = NULL, todo = 0;
    out->n = 0;
    out->v = NULL;
    *skipped = 0;
    memset(own, 0, sizeof *own);
    if (rc->nx && srv_next_refresh(rc->nx, rc->db, err)) return err->status;
    if (db_reviews_view(rc->db, rc->run.id, rc->reviewer, 0, &v, err)) return err->status;
    int rc_ = srv_next_order(rc->nx, &v, rc->per_item, &order, &todo, err);
    int64_t pick = 0, later = 0;
    for (size_t t = 0; !rc_ && t < v.items.n; t++) {
        const db_item *it = &v.items.v[order[t]];
        int open = v.answers[order[t]] < rc->per_item && !db_reviews_is_answer(it->status);
        own->total++;
        own->decided += db_reviews_is_answer(it->status);
        own->skip += !strcmp(it->status, "skip");
        if (!pick && open && (t < todo || later++ == rc->skip_pass)) {
            pick = it->queue_id;
            *skipped = t >= todo;
        }
    }
    own->decided += own->skip;           /* rv_format_item shows decided - skip */
    free(order);
    db_review_view_free(&v);
    if (rc_ || !pick) return rc_;
    if (db_reviews_view(rc->db, rc->run.id, rc->reviewer, pick, &v, err)) return err->status;
    *out = v.items;
    printf("\n(reviews: %lld of %lld for this example; the others' answers show once you answer)",
           (long long)v.answers[0], (long long)rc->per_item);
    free(v.answers);
    return 0;
}

/* 1 when queue row qid is still 'skip' (skipped again, or nothing saved):
 * the skip pass then moves past it. */
static int still_skipped(review_ctx *rc, int64_t qid)
{
    la_error err;
    db_items it = {0, NULL};
    int again;
    if (rc->per_item) {
        db_review_view v;
        again = db_reviews_view(rc->db, rc->run.id, rc->reviewer, qid, &v, &err) == 0 && v.items.n == 1 &&
                !strcmp(v.items.v[0].status, "skip");
        db_review_view_free(&v);
        return again;
    }
    again = db_load_item_in_run(rc->db, rc->run.id, qid, &it, &err) == 0 && it.n == 1 &&
            it.v[0].status && !strcmp(it.v[0].status, "skip");
    db_items_free(&it);
    return again;
}

static int print_pair_answer(review_ctx *rc, int64_t row, la_error *err);

/* The dataset checks' findings of the example, when the run recorded any
 * (audit --issues --db): its types and its pair partner. */
static int print_issues(review_ctx *rc, const db_item *it, la_error *err)
{
    db_issues iss;
    if (db_issues_load_row(rc->db, rc->run.id, it->row, &iss, err)) return err->status;
    db_issue_example partner;
    memset(&partner, 0, sizeof partner);
    int found = 0;
    for (size_t t = 0; t < iss.n; t++)
        if (iss.v[t].partner >= 0) {
            if (db_issues_example(rc->db, rc->run.id, iss.v[t].partner_test, iss.v[t].partner, &partner, &found, err)) {
                db_issues_free(&iss);
                return err->status;
            }
            break;
        }
    char *text = rv_format_issues(&iss, found ? &partner : NULL);
    db_issue_example_free(&partner);
    db_issues_free(&iss);
    if (!text) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    fputs(text, stdout);
    free(text);
    return print_pair_answer(rc, it->row, err);
}

/* The pair's current answer (schema 007), when someone gave one. */
static int print_pair_answer(review_ctx *rc, int64_t row, la_error *err)
{
    db_pair_decisions pd;
    if (db_pair_load(rc->db, rc->run.id, &pd, err)) return err->status;
    for (size_t t = 0; t < pd.n; t++)
        if (pd.v[t].row == row) {
            char who[256];
            rv_sanitize(pd.v[t].reviewer, who, sizeof who);
            printf("pair:      %s (by %s)\n", pd.v[t].choice, who);
            break;
        }
    db_pair_decisions_free(&pd);
    return 0;
}

/* Saves the pair answer (1 / 2 / 3) on the example and its partner; the
 * label decision is asked for next, as in serve. Returns 0 or an exit
 * status. */
static int apply_pair(review_ctx *rc, const db_item *it, const char *choice)
{
    static const char *const meaning[] = {"drop", "this one dropped, the partner kept",
                                          "keep", "this one kept, the partner dropped",
                                          "keep_both", "not duplicates: neither dropped"};
    la_error err;
    la_error_clear(&err);
    db_pair_decision d;
    memset(&d, 0, sizeof d);
    int s = db_pair_record(rc->db, rc->run.id, it->row, choice, rc->reviewer, &d, &err);
    if (s == LA_EUSAGE) {
        printf("no pair answer: %s\n", err.msg);
        return 0;
    }
    if (s) return cli_report(&err);
    const char *what = "";
    for (size_t t = 0; t < sizeof meaning / sizeof *meaning; t += 2)
        if (!strcmp(meaning[t], choice)) what = meaning[t + 1];
    printf("saved pair: %s with %s row %lld (%s by clean --drop-issues); now the label: k, r, c, d or s\n",
           choice, d.partner_test ? "test" : "training", (long long)d.partner, what);
    db_pair_decision_free(&d);
    return 0;
}

static int review_loop(review_ctx *rc, int quiet)
{
    la_error err;
    la_error_clear(&err);
    size_t k = (size_t)rc->run.k;
    for (;;) {
        db_progress overall;
        db_items next = {0, NULL};
        int skipped = 0;
        if (rc->per_item ? next_answer(rc, &next, &skipped, &overall, &err)
                         : (db_queue_progress(rc->db, rc->run.id, k, NULL, &overall, &err) ||
                            next_example(rc, &next, &skipped, &err)))
            return cli_report(&err);
        if (next.n == 0 && rc->per_item) {
            printf("nothing left for you in run %lld: you answered %lld of %lld examples (%lld reviewers each)\n",
                   (long long)rc->run.id, (long long)(overall.decided - overall.skip), (long long)overall.total,
                   (long long)rc->per_item);
            return LA_OK;
        }
        if (next.n == 0) {
            printf("nothing pending in run %lld: %lld of %lld decided", (long long)rc->run.id,
                   (long long)(overall.decided - overall.skip), (long long)overall.total);
            if (overall.skip) printf(", %lld skipped (shown again next time)", (long long)overall.skip);
            printf("\n");
            return LA_OK;
        }
        if (skipped) printf("\n(skipped earlier: decide it now, or s to leave it for later)");
        char *text = rv_format_item(&next.v[0], rc->run.class_names, k, &overall);
        if (!text) {
            db_items_free(&next);
            la_error_set(&err, LA_EINTERNAL, NULL, 0, "out of memory");
            return cli_report(&err);
        }
        printf("\n%s", text);
        free(text);
        if (print_issues(rc, &next.v[0], &err)) {
            db_items_free(&next);
            return cli_report(&err);
        }
        int64_t qid = next.v[0].queue_id;
        int s = decide_one(rc, &next.v[0]);
        db_items_free(&next);
        if (skipped && s == 0) rc->skip_pass += still_skipped(rc, qid);
        if (s == 1) {
            if (!quiet && rc->skipped)
                printf("stopped: %ld decided in this session, %ld skipped for later; run again to resume\n",
                       rc->decided, rc->skipped);
            else if (!quiet)
                printf("stopped: %ld decided in this session; run again to resume\n", rc->decided);
            return LA_OK;
        }
        if (s) return s;
        fflush(stdout);
    }
}

typedef struct review_args {
    const char *db, *reviewer, *probs;
    long        run, per_item;
    int         quiet, active_learning, next_given;
} review_args;

/* Parses argv into a: -1 to go on, else the exit status. */
static int review_parse(int argc, char **argv, review_args *a)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'}, {"run", required_argument, NULL, 'r'},
        {"reviewer", required_argument, NULL, 'R'}, {"quiet", no_argument, NULL, 'q'},
        {"reviews-per-item", required_argument, NULL, 'P'}, {"next", required_argument, NULL, 'N'},
        {"pred-probs", required_argument, NULL, 'X'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': a->db = optarg; break;
        case 'r':
            if (cli_parse_long("review", "run", optarg, 1, LONG_MAX, &a->run)) return LA_EUSAGE;
            break;
        case 'R': a->reviewer = optarg; break;
        case 'q': a->quiet = 1; break;
        case 'P':
            if (cli_parse_long("review", "reviews-per-item", optarg, 1, DB_REVIEWS_MAX, &a->per_item)) return LA_EUSAGE;
            break;
        case 'N':
            if (cli_parse_next_order("review", optarg, &a->active_learning)) return LA_EUSAGE;
            a->next_given = 1;
            break;
        case 'X': a->probs = optarg; break;
        case 'h': fputs(review_usage, stdout); return LA_OK;
        default: return cli_getopt_error("review", c, argv);
        }
    }
    if (optind < argc) return cli_usage_error("review", "unexpected argument '%s'", argv[optind]);
    if (!a->db) return cli_usage_error("review", "--db FILE is required");
    if (a->next_given && !a->per_item)
        return cli_usage_error("review", "--next orders a session with several reviewers per example: give "
                               "--reviews-per-item R (1 for one answer per example)");
    if (a->probs && !a->active_learning) return cli_usage_error("review", "--pred-probs is for --next active-learning");
    if (!a->reviewer) a->reviewer = getenv("LABELAUDIT_REVIEWER");
    if (!a->reviewer || !a->reviewer[0]) a->reviewer = getenv("USER");
    if (!a->reviewer || !a->reviewer[0]) a->reviewer = "terminal";
    if (strlen(a->reviewer) > DB_MAX_REVIEWER)
        return cli_usage_error("review", "--reviewer is longer than %d bytes", DB_MAX_REVIEWER);
    for (const char *p = a->reviewer; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) return cli_usage_error("review", "--reviewer holds a control character");
    return -1;
}

int cmd_review(int argc, char **argv)
{
    review_args a;
    memset(&a, 0, sizeof a);
    int status = review_parse(argc, argv, &a);
    if (status >= 0) return status;
    struct stat st;
    if (stat(a.db, &st) != 0) {
        fprintf(stderr, "labelaudit: %s: no such database (run 'labelaudit audit --db' first)\n", a.db);
        return LA_EUSAGE;
    }
    review_ctx rc;
    memset(&rc, 0, sizeof rc);
    rc.reviewer = a.reviewer;
    rc.per_item = a.per_item;
    la_error err;
    la_error_clear(&err);
    int64_t run_id = a.run;
    if (db_open(a.db, &rc.db, &err)) return cli_report(&err);
    if ((run_id <= 0 && db_review_run(rc.db, &run_id, &err)) || db_load_run(rc.db, run_id, &rc.run, &err) ||
        (a.active_learning && (srv_next_open(rc.db, &rc.run, a.probs, &rc.nx, &err) ||
                               srv_next_refresh(rc.nx, rc.db, &err)))) {
        srv_next_close(rc.nx);
        db_run_free(&rc.run);
        db_close(rc.db);
        return cli_report(&err);
    }
    rc.tty = isatty(STDIN_FILENO) && raw_enable() == 0;
    if (!a.quiet) {
        char name[256];
        rv_sanitize(a.reviewer, name, sizeof name);
        printf("labelaudit review: run %lld, reviewer %s%s\n", (long long)rc.run.id, name,
               rc.tty ? "; keys: k r c d s u q, ? for help" : "");
        if (rc.per_item)
            printf("labelaudit review: %lld reviewers per example, next by %s\n", (long long)rc.per_item,
                   rc.nx ? "active-learning score (lowest first)" : "rank");
    }
    status = review_loop(&rc, a.quiet);
    raw_off();
    fflush(stdout);
    srv_next_close(rc.nx);
    db_run_free(&rc.run);
    db_close(rc.db);
    return status;
}
