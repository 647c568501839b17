/*
 * cmd_metrics.c — `labelaudit metrics`: classification metrics of any
 * predicted probabilities against labels (the metrics stage, metrics/metrics.h), and for
 * one positive class a threshold sweep with the precision-recall curve (CSV,
 * SVG), the operating point meeting a constraint and its confusion matrix.
 * Never prints a lone pooled accuracy: per-class figures always come first.
 * --compare BEFORE.json prints a per-class before/after table instead (e.g.
 * trained on noisy labels, then on cleaned ones).
 * Files in --out DIR are each written atomically (temp file + rename).
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "../io/csv_table.h"
#include "../io/labels.h"
#include "../audit/audit.h"
#include "cmd_common.h"
#include "../metrics/metrics.h"
#include "../report/rp_html.h"
#include "../util/la_json.h"

static const char MT_USAGE[] =
    "usage: labelaudit metrics --labels FILE --pred-probs FILE [--classes FILE]\n"
    "           [--positive CLASS [--min-recall R | --min-precision P | --max-false-alarm-rate F]]\n"
    "           [--precision-at-least P | --recall-at-least R] [--threshold-out FILE]\n"
    "           [--folds FILE] [--compare METRICS_JSON] [--out DIR] [--format text|json] [--quiet]\n"
    "\n"
    "Per-class precision, recall, F1, support and PR-AUC (average precision),\n"
    "balanced accuracy, macro F1, log loss and the confusion matrix.\n"
    "  --labels FILE           true labels (.npy of indices, or CSV with a label column)\n"
    "  --pred-probs FILE       N x K probabilities (.npy or CSV)\n"
    "  --classes FILE          class of each column, one per line (else the probability\n"
    "                          header, else classes.txt beside the probabilities, else\n"
    "                          indices; labels given as names need one of these)\n"
    "  --positive CLASS        sweep thresholds on this class's score (name or index)\n"
    "  --min-precision P       operating point: highest recall with precision >= P\n"
    "  --min-recall R          operating point: highest precision with recall >= R\n"
    "  --max-false-alarm-rate F  operating point: highest recall with FP/(FP+TN) <= F\n"
    "                          (no constraint: the threshold with the best F1)\n"
    "  --precision-at-least P  --min-precision P on --positive, by default the rarest class\n"
    "  --recall-at-least R     --min-recall R on --positive, by default the rarest class\n"
    "  --threshold-out FILE    write the operating point (class, threshold) as JSON for\n"
    "                          `retrain --threshold FILE`\n"
    "  --folds FILE            fold of each example (cv's folds.csv: fold column, optional\n"
    "                          id column, rows in label order): adds per-fold metrics\n"
    "  --compare METRICS_JSON  another metrics.json of the same classes (\"before\", e.g.\n"
    "                          from retrain or cv): print a per-class before/after table\n"
    "                          (F1, recall, PR-AUC, balanced accuracy, macro F1) instead of\n"
    "                          the per-class table; JSON output gains a \"compare\" object\n"
    "  --out DIR               write metrics.json (and pr_curve.csv, pr_curve.svg)\n"
    "  --format F              text (default) or json (the metrics.json document)\n"
    "  --quiet                 no notes on stderr\n";

enum { OPT_LABELS = 1, OPT_PROBS, OPT_CLASSES, OPT_POSITIVE, OPT_MIN_RECALL, OPT_MIN_PREC,
       OPT_MAX_FAR, OPT_FOLDS, OPT_OUT, OPT_FORMAT, OPT_QUIET, OPT_HELP, OPT_COMPARE,
       OPT_PREC_AT_LEAST, OPT_REC_AT_LEAST, OPT_THRESHOLD_OUT };

/* Precision (y) against recall (x), step-wise as average precision reads it,
 * the operating point circled. Plot area 400 x 300 at (60, 30). */
static int write_curve_svg(const char *path, const mt_stage_result *sw, const mt_stage_opts *so,
                           const char *cls_name, double ap, la_error *err)
{
    la_atomic_file af;
    if (la_atomic_open(&af, path, err)) return err->status;
    FILE *fp = af.fp;
    const double X0 = 60, Y0 = 30, W = 400, H = 300;
    fprintf(fp, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"500\" height=\"380\" "
                "viewBox=\"0 0 500 380\" font-family=\"sans-serif\" font-size=\"12\">\n");
    fputs("<title>precision-recall curve: ", fp);
    rp_esc(fp, cls_name);
    fputs("</title>\n<rect width=\"500\" height=\"380\" fill=\"white\"/>\n", fp);
    for (int t = 0; t <= 10; t += 2) {
        double x = X0 + W * t / 10.0, y = Y0 + H - H * t / 10.0;
        fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                x, Y0, x, Y0 + H);
        fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                X0, y, X0 + W, y);
        fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.1f</text>\n", x, Y0 + H + 16, t / 10.0);
        fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>\n", X0 - 6, y + 4, t / 10.0);
    }
    fprintf(fp, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#333\"/>\n",
            X0, Y0, W, H);
    fprintf(fp, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">recall</text>\n", X0 + W / 2, Y0 + H + 34);
    fprintf(fp, "<text x=\"16\" y=\"%.0f\" text-anchor=\"middle\" transform=\"rotate(-90 16 %.0f)\">precision</text>\n",
            Y0 + H / 2, Y0 + H / 2);
    fprintf(fp, "<text x=\"%.0f\" y=\"18\" text-anchor=\"middle\">", X0 + W / 2);
    rp_esc(fp, cls_name);
    fprintf(fp, " — average precision %.4f</text>\n", ap);
    /* step curve: from (0, P_1) each point holds its precision back to the
     * previous recall, exactly the rectangles average precision sums */
    fputs("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"", fp);
    double r_prev = 0.0;
    long last_x = -1, last_y = -1;   /* in tenths of a pixel: drop invisible repeats */
    for (size_t i = 0; i < sw->npts; i++) {
        const mt_pr_point *p = &sw->pts[i];
        double y = Y0 + H - H * p->precision;
        double xs[2] = {X0 + W * r_prev, X0 + W * p->recall};
        for (int e = 0; e < 2; e++) {
            long qx = lround(xs[e] * 10), qy = lround(y * 10);
            if (qx == last_x && qy == last_y) continue;
            fprintf(fp, "%.1f,%.1f ", xs[e], y);
            last_x = qx;
            last_y = qy;
        }
        r_prev = p->recall;
    }
    fputs("\"/>\n", fp);
    if (sw->pick >= 0) {
        const mt_pr_point *p = &sw->pts[sw->pick];
        fprintf(fp, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"6\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\"/>\n",
                X0 + W * p->recall, Y0 + H - H * p->precision);
        fprintf(fp, "<text x=\"%.0f\" y=\"%.0f\" fill=\"#d62728\">operating point: threshold %.4g, "
                    "precision %.3f, recall %.3f</text>\n", X0 + 8, Y0 + H - 8, p->threshold,
                p->precision, p->recall);
    } else if (so->has_constraint) {
        fprintf(fp, "<text x=\"%.0f\" y=\"%.0f\" fill=\"#d62728\">no threshold meets the constraint</text>\n",
                X0 + 8, Y0 + H - 8);
    }
    fputs("</svg>\n", fp);
    return la_atomic_commit(&af, err);
}

/* Bytes of s that fit in max bytes without splitting a UTF-8 sequence. */
/* The --compare table: one row per class, then the two averages. */
static void print_compare(const json_t *cmp)
{
    const json_t *pcs = json_object_get(cmp, "per_class");
    size_t w = 5, i;
    const json_t *e;
    json_array_foreach(pcs, i, e) {
        size_t l = cli_display_width(json_string_value(json_object_get(e, "class")));
        w = l > w ? l : w;
    }
    if (w > 30) w = 30;
#define CMP_NUM(o, key) json_number_value(json_object_get(o, key))
    printf("before: %s\nafter:  %s\n\n", json_string_value(json_object_get(cmp, "before")),
           json_string_value(json_object_get(cmp, "after")));
    printf("%-*s %8s %9s %9s %8s  %9s %9s  %9s %9s\n", (int)w, "", "", "F1", "F1", "",
           "recall", "recall", "PR-AUC", "PR-AUC");
    printf("%-*s %8s %9s %9s %8s  %9s %9s  %9s %9s\n", (int)w, "class", "support", "before",
           "after", "delta", "before", "after", "before", "after");
    int support_differs = 0;
    json_array_foreach(pcs, i, e) {
        const char *nm = json_string_value(json_object_get(e, "class"));
        json_int_t sa = json_integer_value(json_object_get(e, "support"));
        if (sa != json_integer_value(json_object_get(e, "support_before"))) support_differs = 1;
        cli_pad(stdout, nm, w, 0);
        printf(" %8lld %9.4f %9.4f %+8.4f  %9.4f %9.4f  %9.4f %9.4f\n",
               (long long)sa, CMP_NUM(e, "f1_before"), CMP_NUM(e, "f1_after"), CMP_NUM(e, "f1_delta"),
               CMP_NUM(e, "recall_before"), CMP_NUM(e, "recall_after"),
               CMP_NUM(e, "pr_auc_before"), CMP_NUM(e, "pr_auc_after"));
    }
    putchar('\n');
    static const char *const avg[][2] = {{"balanced_accuracy", "balanced accuracy"}, {"macro_f1", "macro F1"}};
    for (size_t a = 0; a < 2; a++) {
        const json_t *o = json_object_get(cmp, avg[a][0]);
        printf("%-18s before %.4f   after %.4f   delta %+.4f\n", avg[a][1], CMP_NUM(o, "before"),
               CMP_NUM(o, "after"), CMP_NUM(o, "delta"));
    }
#undef CMP_NUM
    if (support_differs)
        printf("\nnote: class supports differ between the two files: they were not evaluated on "
               "the same examples (support shown: this evaluation's)\n");
}

static void print_text(const mt_stage_result *sw, const mt_stage_opts *so, char *const *names, const json_t *cmp)
{
    const mt_metrics *m = &sw->metrics;
    char idx[32];
    size_t w = 5;
    for (size_t c = 0; names && c < m->k; c++) w = cli_display_width(names[c]) > w ? cli_display_width(names[c]) : w;
    if (w > 30) w = 30;
    if (cmp) {
        print_compare(cmp);
        goto sweep;
    }
    printf("%-*s %9s %9s %9s %9s %9s\n", (int)w, "class", "support", "precision", "recall", "f1", "pr_auc");
    for (size_t c = 0; c < m->k; c++) {
        const mt_class *pc = &m->per_class[c];
        snprintf(idx, sizeof idx, "%zu", c);
        const char *nm = names ? names[c] : idx;
        cli_pad(stdout, nm, w, 0);
        printf(" %9lld %9.4f %9.4f %9.4f %9.4f%s\n",
               (long long)pc->support, pc->precision, pc->recall, pc->f1, pc->pr_auc,
               pc->predicted == 0 ? "  (never predicted: precision 0 by convention)" : "");
    }
    printf("\nbalanced accuracy %.4f   macro F1 %.4f   accuracy %.4f   log loss %.4f   (n %zu, k %zu)\n",
           m->balanced_accuracy, m->macro_f1, m->accuracy, m->log_loss, m->n, m->k);
    if (m->k <= 30) {
        printf("\nconfusion matrix (rows = true class, columns = predicted class)\n%-*s", (int)w, "");
        for (size_t c = 0; c < m->k; c++) {
            snprintf(idx, sizeof idx, "%zu", c);
            const char *nm = names ? names[c] : idx;
            putchar(' ');
            cli_pad(stdout, nm, 6, 1);
        }
        putchar('\n');
        for (size_t r = 0; r < m->k; r++) {
            snprintf(idx, sizeof idx, "%zu", r);
            const char *nm = names ? names[r] : idx;
            cli_pad(stdout, nm, w, 0);
            for (size_t c = 0; c < m->k; c++) printf(" %6lld", (long long)m->confusion[r * m->k + c]);
            putchar('\n');
        }
    } else {
        printf("\nconfusion matrix: %zu x %zu, see metrics.json (--out or --format json)\n", m->k, m->k);
    }
sweep:
    if (so->positive < 0) return;
    snprintf(idx, sizeof idx, "%ld", so->positive);
    const char *pname = names ? names[so->positive] : idx;
    printf("\npositive class '%s': average precision %.4f over %zu thresholds\n", pname,
           m->per_class[so->positive].pr_auc, sw->npts);
    if (so->has_constraint)
        printf("constraint: %s %g\n", mt_constraint_name(so->kind), so->value);
    else
        printf("no constraint: operating point = the threshold with the best F1\n");
    if (sw->pick < 0) {
        printf("no threshold meets the constraint (best achievable: precision up to %.4f, recall up to %.4f)\n",
               sw->npts ? sw->pts[0].precision : 0.0, sw->npts ? sw->pts[sw->npts - 1].recall : 0.0);
        return;
    }
    const mt_pr_point *p = &sw->pts[sw->pick];
    printf("operating point: threshold %.6g (predict '%s' when its score >= threshold)\n", p->threshold, pname);
    printf("  precision %.4f   recall %.4f   f1 %.4f   false alarm rate %.4f\n", p->precision,
           p->recall, p->f1, p->false_alarm_rate);
    printf("  confusion matrix at this threshold (rows = true):\n");
    printf("  %-14s %14s %14s\n", "", "pred other", "pred positive");
    printf("  %-14s %14lld %14lld\n", "true other", (long long)p->tn, (long long)p->fp);
    printf("  %-14s %14lld %14lld\n", "true positive", (long long)p->fn, (long long)p->tp);
}

/* folds.csv reader state: the fold column (required) and the id column. */
typedef struct fold_reader {
    const char *path;
    long        fold_col, id_col;
    size_t      n, cap;
    int32_t    *fold;
    char      **ids;      /* n ids, NULL when the file has no id column */
    int32_t     max_fold;
} fold_reader;

static int fold_record(void *ctx, long line, size_t nf, char **fields, const size_t *lens,
                       la_error *err)
{
    fold_reader *r = ctx;
    if (r->fold_col < 0) {           /* header */
        for (size_t i = 0; i < nf; i++) {
            if (!strcmp(fields[i], "fold")) r->fold_col = (long)i;
            if (!strcmp(fields[i], "id")) r->id_col = (long)i;
        }
        if (r->fold_col < 0)
            return la_error_set(err, LA_EUSAGE, r->path, line, "no 'fold' column in the header");
        return 0;
    }
    if ((size_t)r->fold_col >= nf || (r->id_col >= 0 && (size_t)r->id_col >= nf))
        return la_error_set(err, LA_EUSAGE, r->path, line, "expected %s fields, got %zu",
                            r->id_col > r->fold_col ? "the id and fold" : "the fold", nf);
    double v;
    if (io_parse_number(fields[r->fold_col], lens[r->fold_col], &v) || v < 0 || v > 1000 || v != floor(v))
        return la_error_setc(err, LA_EUSAGE, r->path, line, "fold",
                             "'%s' is not a fold number (0..1000)", fields[r->fold_col]);
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 1024;
        int32_t *f = realloc(r->fold, cap * sizeof *f);
        if (!f) return la_error_set(err, LA_EINTERNAL, r->path, line, "out of memory");
        r->fold = f;
        if (r->id_col >= 0) {
            char **ids = realloc(r->ids, cap * sizeof *ids);
            if (!ids) return la_error_set(err, LA_EINTERNAL, r->path, line, "out of memory");
            r->ids = ids;
        }
        r->cap = cap;
    }
    if (r->id_col >= 0 && !(r->ids[r->n] = la_strdup(fields[r->id_col])))
        return la_error_set(err, LA_EINTERNAL, r->path, line, "out of memory");
    r->fold[r->n++] = (int32_t)v;
    if ((int32_t)v > r->max_fold) r->max_fold = (int32_t)v;
    return 0;
}

static void fold_reader_free(fold_reader *r)
{
    for (size_t i = 0; r->ids && i < r->n; i++) free(r->ids[i]);
    free(r->ids);
    free(r->fold);
}

/* Reads folds.csv and checks it against the labels: same length, and the same
 * id on every row when both files carry ids. */
static int load_folds(fold_reader *r, const char *path, const io_labels *lab, la_error *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->fold_col = r->id_col = -1;
    r->max_fold = -1;
    if (io_csv_read(path, fold_record, r, err)) return err->status;
    if (r->n != lab->n)
        return la_error_set(err, LA_EUSAGE, path, 0, "%zu fold rows but %zu labels", r->n, lab->n);
    for (size_t i = 0; r->ids && lab->ids && i < r->n; i++)
        if (strcmp(r->ids[i], lab->ids[i]))
            return la_error_set(err, LA_EUSAGE, path, 0,
                                "row %zu: id '%s' but the labels have '%s' there", i + 1,
                                r->ids[i], lab->ids[i]);
    return 0;
}

/* CLASS as a name in names[], else a decimal index < k; -1 when neither. */
static long resolve_class(const char *s, char *const *names, size_t k)
{
    for (size_t c = 0; names && c < k; c++)
        if (strcmp(names[c], s) == 0) return (long)c;
    char *end;
    long v = strtol(s, &end, 10);
    if (*s && !*end && isdigit((unsigned char)*s) && v >= 0 && (size_t)v < k) return v;
    return -1;
}

/* What the command line asked for. */
typedef struct metrics_args {
    const char *labels, *probs, *classes, *positive, *out, *folds, *compare, *threshold_out;
    int quiet, json, nconstraints, rare_default;   /* rare_default: --*-at-least, positive = rarest */
    mt_stage_opts so;
} metrics_args;

/* getopt over argv into a; 0, LA_OK with *help, or a usage status (printed). */
static int parse_args(int argc, char **argv, metrics_args *a, int *help)
{
    static const struct option longopts[] = {
        {"labels", required_argument, NULL, OPT_LABELS},
        {"pred-probs", required_argument, NULL, OPT_PROBS},
        {"classes", required_argument, NULL, OPT_CLASSES},
        {"positive", required_argument, NULL, OPT_POSITIVE},
        {"min-recall", required_argument, NULL, OPT_MIN_RECALL},
        {"min-precision", required_argument, NULL, OPT_MIN_PREC},
        {"max-false-alarm-rate", required_argument, NULL, OPT_MAX_FAR},
        {"folds", required_argument, NULL, OPT_FOLDS},
        {"out", required_argument, NULL, OPT_OUT},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"help", no_argument, NULL, OPT_HELP},
        {"compare", required_argument, NULL, OPT_COMPARE},
        {"precision-at-least", required_argument, NULL, OPT_PREC_AT_LEAST},
        {"recall-at-least", required_argument, NULL, OPT_REC_AT_LEAST},
        {"threshold-out", required_argument, NULL, OPT_THRESHOLD_OUT},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "metrics";
    int c;
    while ((c = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_LABELS: a->labels = optarg; break;
        case OPT_PROBS: a->probs = optarg; break;
        case OPT_CLASSES: a->classes = optarg; break;
        case OPT_POSITIVE: a->positive = optarg; break;
        case OPT_PREC_AT_LEAST: case OPT_REC_AT_LEAST:
            a->rare_default = 1;
            if (cli_parse_double(cmd, c == OPT_PREC_AT_LEAST ? "--precision-at-least" : "--recall-at-least",
                                 optarg, 0, 1, &a->so.value)) return LA_EUSAGE;
            a->so.kind = c == OPT_PREC_AT_LEAST ? MT_MIN_PRECISION : MT_MIN_RECALL;
            a->so.has_constraint = 1;
            a->nconstraints++;
            break;
        case OPT_THRESHOLD_OUT: a->threshold_out = optarg; break;
        case OPT_MIN_RECALL: case OPT_MIN_PREC: case OPT_MAX_FAR: {
            const char *opt = c == OPT_MIN_RECALL ? "--min-recall" : c == OPT_MIN_PREC
                              ? "--min-precision" : "--max-false-alarm-rate";
            if (cli_parse_double(cmd, opt, optarg, 0, 1, &a->so.value)) return LA_EUSAGE;
            a->so.kind = c == OPT_MIN_RECALL ? MT_MIN_RECALL : c == OPT_MIN_PREC ? MT_MIN_PRECISION
                                                                                 : MT_MAX_FALSE_ALARM;
            a->so.has_constraint = 1;
            a->nconstraints++;
            break;
        }
        case OPT_FOLDS: a->folds = optarg; break;
        case OPT_COMPARE: a->compare = optarg; break;
        case OPT_OUT: a->out = optarg; break;
        case OPT_FORMAT:
            if (!strcmp(optarg, "json")) a->json = 1;
            else if (!strcmp(optarg, "text")) a->json = 0;
            else return cli_usage_error(cmd, "--format must be text or json, not '%s'", optarg);
            break;
        case 'q': case OPT_QUIET: a->quiet = 1; break;
        case 'h': case OPT_HELP: *help = 1; return LA_OK;
        default: return cli_getopt_error(cmd, c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!a->labels || !a->probs) return cli_usage_error(cmd, "--labels and --pred-probs are required");
    if (a->nconstraints > 1)
        return cli_usage_error(cmd, "give at most one of --min-recall, --min-precision, --max-false-alarm-rate, "
                               "--precision-at-least, --recall-at-least");
    if (a->threshold_out && !a->positive && !a->rare_default)
        return cli_usage_error(cmd, "--threshold-out needs an operating point: --positive CLASS, "
                               "--precision-at-least P or --recall-at-least R");
    if (a->nconstraints && !a->positive && !a->rare_default)
        return cli_usage_error(cmd, "--min-recall/--min-precision/--max-false-alarm-rate need --positive CLASS");
    return 0;
}

/* The loaded inputs: probabilities, labels (as int32 y), the class names
 * (from --classes, the probability header or the label names). */
typedef struct metrics_inputs {
    io_probs    probs;
    io_labels   lab;
    char      **cls_file;
    size_t      k_file;
    char *const *names;
    int32_t    *y;
} metrics_inputs;

static void inputs_free(metrics_inputs *in)
{
    free(in->y);
    io_free_strings(in->cls_file, in->k_file);
    io_labels_free(&in->lab);
    io_probs_free(&in->probs);
}

/* The column names: --classes, the probability header, or classes.txt
 * beside the probabilities (au_classes_beside); warnings printed. */
static int column_names(const metrics_args *a, metrics_inputs *in, la_error *err)
{
    size_t k = in->probs.k;
    char **warn = NULL;
    size_t nw = 0;
    int rc = 0;
    if (a->classes) {
        rc = io_class_names_load_warn(a->classes, &in->cls_file, &in->k_file, &warn, &nw, err);
        if (!rc && in->k_file != k)
            rc = la_error_set(err, LA_EUSAGE, a->classes, 0,
                              "%zu class names, but the probabilities have %zu columns", in->k_file, k);
    } else if (!in->probs.class_names) {
        rc = au_classes_beside(a->probs, k, &in->cls_file, &in->k_file, &warn, &nw, err);
    }
    cli_print_warnings(warn, nw);
    io_free_strings(warn, nw);
    in->names = in->cls_file ? in->cls_file : in->probs.class_names;
    return rc;
}

static int load_inputs(const metrics_args *a, metrics_inputs *in, la_error *err)
{
    int rc = io_probs_load(a->probs, &in->probs, err);
    cli_print_warnings(in->probs.warnings, in->probs.n_warnings);
    if (rc || (rc = column_names(a, in, err))) return rc;
    size_t k = in->probs.k;
    rc = io_labels_load(a->labels, in->names, k, &in->lab, err);
    cli_print_warnings(in->lab.warnings, in->lab.n_warnings);
    if (rc) return rc;
    if (!in->names && in->lab.names)
        return la_error_set(err, LA_EUSAGE, a->labels, 0,
                            "the labels are class names ('%s', ...) but the columns of %s carry no names, so which "
                            "column is which class is unknown: give the column order with --classes FILE (one name "
                            "per line, column 0 first), or write %s as CSV with the class names as its header",
                            in->lab.names[0], a->probs, a->probs);
    if (in->probs.ids && in->lab.ids &&
        (rc = io_probs_reorder(&in->probs, a->probs, in->lab.ids, in->lab.n, a->labels, err)))
        return rc;
    if (in->probs.ids && !in->lab.ids)
        cli_warn("%s has an id column, but %s has no ids to match it by: rows are taken in order (give labels "
                 "as CSV with an id column)", a->probs, a->labels);
    if (in->lab.n != in->probs.n)
        return la_error_set(err, LA_EUSAGE, a->labels, 0,
                            "%zu labels but %zu rows of probabilities in %s", in->lab.n, in->probs.n, a->probs);
    if (!(in->y = la_malloc_array(in->lab.n, sizeof *in->y)))
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t i = 0; i < in->lab.n; i++) {
        if (in->lab.labels[i] < 0 || (uint64_t)in->lab.labels[i] >= k)
            return la_error_set(err, LA_EUSAGE, a->labels, (long)i + 2,
                                "label %lld is outside 0..%zu", (long long)in->lab.labels[i], k - 1);
        in->y[i] = (int32_t)in->lab.labels[i];
    }
    return 0;
}

/* --out DIR: metrics.json and, after a sweep, pr_curve.csv and pr_curve.svg. */
static int write_outputs(const metrics_args *a, const mt_stage_result *r, const json_t *doc,
                         char *const *names, la_error *err)
{
    char path[4096];
    int rc;
    if ((rc = la_mkdir_p(a->out, err))) return rc;
    la_path_join(path, sizeof path, a->out, "metrics.json");
    if ((rc = la_json_write_file(doc, path, LA_JSON_READABLE, err))) return rc;
    long cls = a->so.positive;
    if (cls >= 0) {
        char idx[32];
        snprintf(idx, sizeof idx, "%ld", cls);
        la_path_join(path, sizeof path, a->out, "pr_curve.csv");
        if ((rc = mt_write_pr_csv(path, r->pts, r->npts, err))) return rc;
        la_path_join(path, sizeof path, a->out, "pr_curve.svg");
        if ((rc = write_curve_svg(path, r, &a->so, names ? names[cls] : idx,
                                  r->metrics.per_class[cls].pr_auc, err))) return rc;
    }
    cli_info(a->quiet, "labelaudit metrics: wrote %s/metrics.json%s\n", a->out,
             cls >= 0 ? ", pr_curve.csv, pr_curve.svg" : "");
    return 0;
}

/* --compare BEFORE.json against this evaluation's document: *cmp. */
static int compare_with(const metrics_args *a, const json_t *doc, json_t **cmp, la_error *err)
{
    json_error_t je;
    json_t *before = json_load_file(a->compare, 0, &je);
    if (!before)
        return la_error_set(err, LA_EUSAGE, a->compare, je.line > 0 ? je.line : 0, "not a JSON file: %s", je.text);
    int rc = mt_compare_json(before, a->compare, doc, "this evaluation", cmp, err);
    json_decref(before);
    if (!rc) json_object_set_new(*cmp, "after", json_string(a->probs));
    return rc;
}

int cmd_metrics(int argc, char **argv)
{
    metrics_args a;
    memset(&a, 0, sizeof a);
    a.so.positive = -1;
    int help = 0, rc = parse_args(argc, argv, &a, &help);
    if (help) fputs(MT_USAGE, stdout);
    if (rc || help) return rc;

    la_error err;
    la_error_clear(&err);
    metrics_inputs in;
    memset(&in, 0, sizeof in);
    mt_stage_result res;
    memset(&res, 0, sizeof res);
    fold_reader fr = {0};
    json_t *doc = NULL, *cmp = NULL;
    if ((rc = load_inputs(&a, &in, &err))) goto done;
    size_t n = in.lab.n, k = in.probs.k;
    if (a.positive && (a.so.positive = resolve_class(a.positive, in.names, k)) < 0) {
        rc = la_error_set(&err, LA_EUSAGE, NULL, 0, "--positive '%s' is not a class name or an index below %zu",
                          a.positive, k);
        goto done;
    }
    if (!a.positive && a.rare_default) a.so.positive = mt_rarest_class(in.y, n, k);   /* the rare class */
    if (a.folds) {
        if ((rc = load_folds(&fr, a.folds, &in.lab, &err))) goto done;
        a.so.fold_of = fr.fold;
        a.so.nfolds = (size_t)fr.max_fold + 1;
    }
    a.so.probs_name = a.probs;
    a.so.folds_name = a.folds;
    if ((rc = mt_stage(in.y, in.probs.p, n, k, &a.so, &res, &err))) goto done;
    if (a.so.positive >= 0 && res.pick < 0)
        cli_info(a.quiet, "labelaudit metrics: no threshold meets %s %g\n", mt_constraint_name(a.so.kind), a.so.value);
    if (!(doc = mt_stage_json(&res, &a.so, in.names))) {
        rc = la_error_set(&err, LA_EINTERNAL, NULL, 0, "out of memory building metrics.json");
        goto done;
    }
    if (a.compare && (rc = compare_with(&a, doc, &cmp, &err))) goto done;
    if (a.out && (rc = write_outputs(&a, &res, doc, in.names, &err))) goto done;
    if (a.threshold_out && res.pick < 0) {
        rc = la_error_set(&err, LA_EUSAGE, a.threshold_out, 0, "not written: no threshold meets %s %g",
                          mt_constraint_name(a.so.kind), a.so.value);
        goto done;
    }
    if (a.threshold_out) {
        char idx[32];
        snprintf(idx, sizeof idx, "%ld", a.so.positive);
        if ((rc = mt_threshold_write(a.threshold_out, in.names ? in.names[a.so.positive] : idx, (size_t)a.so.positive,
                                     &res.pts[res.pick], &a.so, &err))) goto done;
    }
    if (a.json) {
        if (cmp) json_object_set(doc, "compare", cmp);   /* stdout only, not --out's file */
        if (la_json_print(doc, stdout, LA_JSON_READABLE)) {
            rc = la_error_set(&err, LA_EINTERNAL, NULL, 0, "cannot write JSON to stdout");
            goto done;
        }
    } else if (!a.quiet) {  /* --quiet: nothing but errors (and JSON asked for) */
        print_text(&res, &a.so, in.names, cmp);
    }
    rc = 0;
done:
    json_decref(cmp);
    json_decref(doc);
    fold_reader_free(&fr);
    mt_stage_result_free(&res);
    inputs_free(&in);
    return rc ? cli_report(&err) : LA_OK;
}
