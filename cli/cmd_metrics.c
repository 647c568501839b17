/*
 * cmd_metrics.c — `labelaudit metrics`: classification metrics of any
 * predicted probabilities against labels (cv/metrics.c does the math), and for
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
#include "../metrics/metrics.h"

static const char MT_USAGE[] =
    "usage: labelaudit metrics --labels FILE --pred-probs FILE [--classes FILE]\n"
    "           [--positive CLASS [--min-recall R | --min-precision P | --max-false-alarm-rate F]]\n"
    "           [--folds FILE] [--compare METRICS_JSON] [--out DIR] [--format text|json] [--quiet]\n"
    "\n"
    "Per-class precision, recall, F1, support and PR-AUC (average precision),\n"
    "balanced accuracy, macro F1, log loss and the confusion matrix.\n"
    "  --labels FILE           true labels (.npy of indices, or CSV with a label column)\n"
    "  --pred-probs FILE       N x K probabilities (.npy or CSV)\n"
    "  --classes FILE          class names, one per line (else the probability header,\n"
    "                          else the label names sorted, else indices)\n"
    "  --positive CLASS        sweep thresholds on this class's score (name or index)\n"
    "  --min-precision P       operating point: highest recall with precision >= P\n"
    "  --min-recall R          operating point: highest precision with recall >= R\n"
    "  --max-false-alarm-rate F  operating point: highest recall with FP/(FP+TN) <= F\n"
    "                          (no constraint: the threshold with the best F1)\n"
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
       OPT_MAX_FAR, OPT_FOLDS, OPT_OUT, OPT_FORMAT, OPT_QUIET, OPT_HELP, OPT_COMPARE };

/* What --positive asked for and what the sweep found. */
typedef struct mt_sweep {
    long         cls;        /* positive class index, -1 = no sweep           */
    int          has_constraint;
    mt_constraint kind;
    double       value;
    mt_pr_point *pts;
    size_t       npts;
    long         pick;       /* index into pts, -1 = none meets               */
} mt_sweep;

static const char *constraint_name(mt_constraint c)
{
    return c == MT_MIN_PRECISION ? "min_precision" : c == MT_MIN_RECALL ? "min_recall"
                                                                        : "max_false_alarm_rate";
}

/* The threshold with the best F1 (ties: the higher threshold). */
static long best_f1(const mt_pr_point *p, size_t n)
{
    long best = -1;
    for (size_t i = 0; i < n; i++)
        if (best < 0 || p[i].f1 > p[best].f1) best = (long)i;
    return best;
}

static json_t *point_json(const mt_pr_point *p)
{
    return json_pack("{s:f, s:f, s:f, s:f, s:f, s:[[I, I], [I, I]]}",
                     "threshold", p->threshold, "precision", p->precision, "recall", p->recall,
                     "f1", p->f1, "false_alarm_rate", p->false_alarm_rate,
                     "confusion_matrix", (json_int_t)p->tn, (json_int_t)p->fp,
                     (json_int_t)p->fn, (json_int_t)p->tp);
}

/* metrics.json, plus "operating_point" when a positive class was swept. */
static json_t *build_json(const mt_metrics *m, char *const *names, const mt_sweep *sw)
{
    json_t *j = mt_to_json(m, NULL, 0, names);
    if (!j || sw->cls < 0) return j;
    char idx[32];
    snprintf(idx, sizeof idx, "%ld", sw->cls);
    json_t *op = json_object();
    json_object_set_new(op, "positive", json_string(names ? names[sw->cls] : idx));
    json_object_set_new(op, "constraint", sw->has_constraint
                        ? json_pack("{s:s, s:f}", "kind", constraint_name(sw->kind), "value", sw->value)
                        : json_pack("{s:s}", "kind", "best_f1"));
    json_object_set_new(op, "point", sw->pick >= 0 ? point_json(&sw->pts[sw->pick]) : json_null());
    if (sw->pick < 0)
        json_object_set_new(op, "note", json_string("no threshold meets the constraint"));
    json_object_set_new(op, "pr_auc", json_real(m->per_class[sw->cls].pr_auc));
    json_object_set_new(j, "operating_point", op);
    return j;
}

static int write_json_file(const char *path, json_t *j, la_error *err)
{
    la_atomic_file af;
    if (la_atomic_open(&af, path, err)) return err->status;
    if (json_dumpf(j, af.fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))) {
        la_atomic_abort(&af);
        return la_error_set(err, LA_EINTERNAL, path, 0, "cannot write JSON");
    }
    fputc('\n', af.fp);
    return la_atomic_commit(&af, err);
}

static int write_curve_csv(const char *path, const mt_sweep *sw, la_error *err)
{
    la_atomic_file af;
    if (la_atomic_open(&af, path, err)) return err->status;
    fputs("threshold,precision,recall,f1,false_alarm_rate\n", af.fp);
    for (size_t i = 0; i < sw->npts; i++) {
        const mt_pr_point *p = &sw->pts[i];
        fprintf(af.fp, "%.17g,%.17g,%.17g,%.17g,%.17g\n", p->threshold, p->precision, p->recall,
                p->f1, p->false_alarm_rate);
    }
    return la_atomic_commit(&af, err);
}

static void xml_text(FILE *fp, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '"': fputs("&quot;", fp); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t') fputc(*s, fp);
        }
    }
}

/* Precision (y) against recall (x), step-wise as average precision reads it,
 * the operating point circled. Plot area 400 x 300 at (60, 30). */
static int write_curve_svg(const char *path, const mt_sweep *sw, const char *cls_name,
                           double ap, la_error *err)
{
    la_atomic_file af;
    if (la_atomic_open(&af, path, err)) return err->status;
    FILE *fp = af.fp;
    const double X0 = 60, Y0 = 30, W = 400, H = 300;
    fprintf(fp, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"500\" height=\"380\" "
                "viewBox=\"0 0 500 380\" font-family=\"sans-serif\" font-size=\"12\">\n");
    fputs("<title>precision-recall curve: ", fp);
    xml_text(fp, cls_name);
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
    xml_text(fp, cls_name);
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
    } else if (sw->has_constraint) {
        fprintf(fp, "<text x=\"%.0f\" y=\"%.0f\" fill=\"#d62728\">no threshold meets the constraint</text>\n",
                X0 + 8, Y0 + H - 8);
    }
    fputs("</svg>\n", fp);
    return la_atomic_commit(&af, err);
}

/* Bytes of s that fit in max bytes without splitting a UTF-8 sequence. */
static int utf8_fit(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max) return (int)n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80) max--;
    return (int)max;
}

/* The --compare table: one row per class, then the two averages. */
static void print_compare(const json_t *cmp)
{
    const json_t *pcs = json_object_get(cmp, "per_class");
    size_t w = 5, i;
    const json_t *e;
    json_array_foreach(pcs, i, e) {
        size_t l = strlen(json_string_value(json_object_get(e, "class")));
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
        int fit = utf8_fit(nm, w);
        printf("%.*s%*s %8lld %9.4f %9.4f %+8.4f  %9.4f %9.4f  %9.4f %9.4f\n", fit, nm, (int)w - fit, "",
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

static void print_text(const mt_metrics *m, char *const *names, const mt_sweep *sw, const json_t *cmp)
{
    char idx[32];
    size_t w = 5;
    for (size_t c = 0; names && c < m->k; c++) w = strlen(names[c]) > w ? strlen(names[c]) : w;
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
        int fit = utf8_fit(nm, w);
        printf("%.*s%*s %9lld %9.4f %9.4f %9.4f %9.4f%s\n", fit, nm, (int)w - fit, "",
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
            int fit = utf8_fit(nm, 6);
            printf(" %*s%.*s", 6 - fit, "", fit, nm);
        }
        putchar('\n');
        for (size_t r = 0; r < m->k; r++) {
            snprintf(idx, sizeof idx, "%zu", r);
            const char *nm = names ? names[r] : idx;
            int fit = utf8_fit(nm, w);
            printf("%.*s%*s", fit, nm, (int)w - fit, "");
            for (size_t c = 0; c < m->k; c++) printf(" %6lld", (long long)m->confusion[r * m->k + c]);
            putchar('\n');
        }
    } else {
        printf("\nconfusion matrix: %zu x %zu, see metrics.json (--out or --format json)\n", m->k, m->k);
    }
sweep:
    if (sw->cls < 0) return;
    snprintf(idx, sizeof idx, "%ld", sw->cls);
    const char *pname = names ? names[sw->cls] : idx;
    printf("\npositive class '%s': average precision %.4f over %zu thresholds\n", pname,
           m->per_class[sw->cls].pr_auc, sw->npts);
    if (sw->has_constraint)
        printf("constraint: %s %g\n", constraint_name(sw->kind), sw->value);
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

int cmd_metrics(int argc, char **argv)
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
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "metrics";
    const char *labels_path = NULL, *probs_path = NULL, *classes_path = NULL;
    const char *positive = NULL, *out_dir = NULL, *folds_path = NULL, *compare_path = NULL;
    int quiet = 0, json_fmt = 0, nconstraints = 0;
    mt_sweep sw = {.cls = -1, .pick = -1};

    int c;
    while ((c = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_LABELS: labels_path = optarg; break;
        case OPT_PROBS: probs_path = optarg; break;
        case OPT_CLASSES: classes_path = optarg; break;
        case OPT_POSITIVE: positive = optarg; break;
        case OPT_MIN_RECALL: case OPT_MIN_PREC: case OPT_MAX_FAR: {
            const char *opt = c == OPT_MIN_RECALL ? "--min-recall" : c == OPT_MIN_PREC
                              ? "--min-precision" : "--max-false-alarm-rate";
            if (cli_parse_double(cmd, opt, optarg, 0, 1, &sw.value)) return LA_EUSAGE;
            sw.kind = c == OPT_MIN_RECALL ? MT_MIN_RECALL : c == OPT_MIN_PREC ? MT_MIN_PRECISION
                                                                              : MT_MAX_FALSE_ALARM;
            sw.has_constraint = 1;
            nconstraints++;
            break;
        }
        case OPT_FOLDS: folds_path = optarg; break;
        case OPT_COMPARE: compare_path = optarg; break;
        case OPT_OUT: out_dir = optarg; break;
        case OPT_FORMAT:
            if (!strcmp(optarg, "json")) json_fmt = 1;
            else if (!strcmp(optarg, "text")) json_fmt = 0;
            else return cli_usage_error(cmd, "--format must be text or json, not '%s'", optarg);
            break;
        case 'q': case OPT_QUIET: quiet = 1; break;
        case 'h': case OPT_HELP: fputs(MT_USAGE, stdout); return LA_OK;
        default: return cli_getopt_error(cmd, c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!labels_path || !probs_path) return cli_usage_error(cmd, "--labels and --pred-probs are required");
    if (nconstraints > 1)
        return cli_usage_error(cmd, "give at most one of --min-recall, --min-precision, --max-false-alarm-rate");
    if (nconstraints && !positive)
        return cli_usage_error(cmd, "--min-recall/--min-precision/--max-false-alarm-rate need --positive CLASS");

    la_error err;
    la_error_clear(&err);
    io_probs probs = {0};
    io_labels lab = {0};
    char **cls_file = NULL;
    size_t k_file = 0;
    char *const *names = NULL;
    int32_t *y = NULL;
    mt_metrics m = {0};
    json_t *doc = NULL;
    fold_reader fr = {0};
    json_t *before = NULL, *cmp = NULL;
    int rc;

    if ((rc = io_probs_load(probs_path, &probs, &err))) goto done;
    if (classes_path) {
        if ((rc = io_class_names_load(classes_path, &cls_file, &k_file, &err))) goto done;
        if (k_file != probs.k) {
            rc = la_error_set(&err, LA_EUSAGE, classes_path, 0,
                              "%zu class names, but the probabilities have %zu columns", k_file, probs.k);
            goto done;
        }
        names = cls_file;
    } else if (probs.class_names) {
        names = probs.class_names;
    }
    if ((rc = io_labels_load(labels_path, names, probs.k, &lab, &err))) goto done;
    if (!names && lab.names) {
        if (lab.n_names != probs.k) {
            rc = la_error_set(&err, LA_EUSAGE, labels_path, 0,
                              "the labels name %zu classes but the probabilities have %zu columns; "
                              "give --classes FILE", lab.n_names, probs.k);
            goto done;
        }
        names = lab.names;
    }
    if (lab.n != probs.n) {
        rc = la_error_set(&err, LA_EUSAGE, labels_path, 0,
                          "%zu labels but %zu rows of probabilities in %s", lab.n, probs.n, probs_path);
        goto done;
    }
    y = la_malloc_array(lab.n, sizeof *y);
    if (!y) { rc = la_error_set(&err, LA_EINTERNAL, NULL, 0, "out of memory"); goto done; }
    for (size_t i = 0; i < lab.n; i++) {
        if (lab.labels[i] < 0 || (uint64_t)lab.labels[i] >= probs.k) {
            rc = la_error_set(&err, LA_EUSAGE, labels_path, (long)i + 2,
                              "label %lld is outside 0..%zu", (long long)lab.labels[i], probs.k - 1);
            goto done;
        }
        y[i] = (int32_t)lab.labels[i];
    }
    if ((rc = mt_compute(y, probs.p, lab.n, probs.k, &m, &err))) {
        if (!err.file[0]) snprintf(err.file, sizeof err.file, "%s", probs_path);
        goto done;
    }

    if (positive) {
        sw.cls = resolve_class(positive, names, probs.k);
        if (sw.cls < 0) {
            rc = la_error_set(&err, LA_EUSAGE, NULL, 0, "--positive '%s' is not a class name or an index below %zu",
                              positive, probs.k);
            goto done;
        }
        if ((rc = mt_pr_curve(y, probs.p, lab.n, probs.k, (size_t)sw.cls, &sw.pts, &sw.npts, &err))) goto done;
        sw.pick = sw.has_constraint ? mt_pick_threshold(sw.pts, sw.npts, sw.kind, sw.value)
                                    : best_f1(sw.pts, sw.npts);
        if (sw.pick < 0)
            cli_info(quiet, "labelaudit metrics: no threshold meets %s %g\n", constraint_name(sw.kind), sw.value);
    }

    doc = build_json(&m, names, &sw);
    if (!doc) { rc = la_error_set(&err, LA_EINTERNAL, NULL, 0, "out of memory building metrics.json"); goto done; }
    if (folds_path) {
        json_t *withf = NULL;
        if ((rc = load_folds(&fr, folds_path, &lab, &err))) goto done;
        if ((rc = mt_json_with_folds(y, probs.p, lab.n, probs.k, fr.fold, (size_t)fr.max_fold + 1,
                                     names, &withf, &err))) {
            if (!err.file[0]) snprintf(err.file, sizeof err.file, "%s", folds_path);
            goto done;
        }
        json_object_set(doc, "folds", json_object_get(withf, "folds"));
        json_decref(withf);
    }

    if (compare_path) {
        json_error_t je;
        before = json_load_file(compare_path, 0, &je);
        if (!before) {
            rc = la_error_set(&err, LA_EUSAGE, compare_path, je.line > 0 ? je.line : 0,
                              "not a JSON file: %s", je.text);
            goto done;
        }
        if ((rc = mt_compare_json(before, compare_path, doc, "this evaluation", &cmp, &err))) goto done;
        json_object_set_new(cmp, "after", json_string(probs_path));
    }

    if (out_dir) {
        char path[4096];
        if ((rc = la_mkdir_p(out_dir, &err))) goto done;
        la_path_join(path, sizeof path, out_dir, "metrics.json");
        if ((rc = write_json_file(path, doc, &err))) goto done;
        if (sw.cls >= 0) {
            char idx[32];
            snprintf(idx, sizeof idx, "%ld", sw.cls);
            la_path_join(path, sizeof path, out_dir, "pr_curve.csv");
            if ((rc = write_curve_csv(path, &sw, &err))) goto done;
            la_path_join(path, sizeof path, out_dir, "pr_curve.svg");
            if ((rc = write_curve_svg(path, &sw, names ? names[sw.cls] : idx,
                                      m.per_class[sw.cls].pr_auc, &err))) goto done;
        }
        cli_info(quiet, "labelaudit metrics: wrote %s/metrics.json%s\n", out_dir,
                 sw.cls >= 0 ? ", pr_curve.csv, pr_curve.svg" : "");
    }
    if (json_fmt) {
        if (cmp) json_object_set(doc, "compare", cmp);   /* stdout only, not --out's file */
        if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))) {
            rc = la_error_set(&err, LA_EINTERNAL, NULL, 0, "cannot write JSON to stdout");
            goto done;
        }
        putchar('\n');
    } else {
        print_text(&m, names, &sw, cmp);
    }
    rc = 0;
done:
    json_decref(cmp);
    json_decref(before);
    json_decref(doc);
    fold_reader_free(&fr);
    free(sw.pts);
    mt_metrics_free(&m);
    free(y);
    io_free_strings(cls_file, k_file);
    io_labels_free(&lab);
    io_probs_free(&probs);
    return rc ? cli_report(&err) : LA_OK;
}
