/*
 * main.c — labelaudit's entry point: a thin git-style dispatcher.
 * It knows the table of subcommands and the global flags (--help, --version);
 * everything else belongs to the subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

/* One line per subcommand; keep in the order of the pipeline. */
static const command commands[] = {
    /* COMMAND TABLE: add entries here, one per line */
    {"inspect", cmd_inspect, "describe a dataset: size, classes, imbalance, column types, missing values"},
    {"cv", cmd_cv, "k-fold cross-validation: out-of-fold predicted probabilities (logreg, mlp, knn)"},
    {"audit", cmd_audit, "find and rank label issues with confident learning (exact cleanlab 2.9 semantics)"},
    {"noise", cmd_noise, "synthetic label noise: a noise matrix from a trace, seeded noisy labels"},
    {"serve", cmd_serve, "review the queue in the browser (local web app, keyboard shortcuts)"},
    {"report", cmd_report, "HTML report of a run: summary, noise heatmaps, contact sheets of flagged examples"},
    {"review", cmd_review, "review the queue in the terminal, one example at a time (resumable)"},
    {"decisions", cmd_decisions, "export review decisions (csv/json) or import them, all-or-nothing"},
    {"clean", cmd_clean, "apply review decisions (and an automatic policy) to a dataset: cleaned copy + changes.csv"},
    {"retrain", cmd_retrain, "train the final model on the (cleaned) data, evaluate on a held-out test set; co-teaching, decoupling"},
    {"metrics", cmd_metrics, "per-class precision/recall/F1, PR-AUC, confusion matrix; threshold sweep for a rare class"},
    {"consensus", cmd_consensus, "consensus labels from several annotators and a model (cleanlab 2.9 CROWDLAB, ActiveLab, Dawid-Skene)"},
    {"check", cmd_check, "CI gate: fail (exit 1) when the label-error rate or health slips past limits or a baseline"},
    {NULL, NULL, NULL}
};

static void print_help(FILE *out)
{
    fprintf(out,
            "labelaudit %s — audit classification labels before you train\n\n"
            "usage: labelaudit <command> [options]\n"
            "       labelaudit <command> --help\n"
            "       labelaudit --version\n\ncommands:\n", LA_VERSION);
    for (const command *c = commands; c->name; c++)
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
    fprintf(out, "\nexit status: 0 ok, 1 a check failed, 2 usage or input error, 3 internal error\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return LA_EUSAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        print_help(stdout);
        return LA_OK;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("labelaudit %s\n", LA_VERSION);
        return LA_OK;
    }
    for (const command *c = commands; c->name; c++) {
        if (strcmp(c->name, name) == 0) {
            cli_getopt_reset();
            return c->run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "labelaudit: unknown command '%s'\nTry 'labelaudit --help'.\n", name);
    return LA_EUSAGE;
}
