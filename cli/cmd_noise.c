/*
 * cmd_noise.c — `labelaudit noise`: synthetic label noise for validating an
 * audit. Treats the given labels as the truth; the noise stage (au_noise in
 * audit/audit.h) draws a noise matrix P(given | true) with the requested
 * trace and fraction of zero noise rates and flips the labels by it. A shell:
 * parse, read the labels, call the stage, print. Seeded: the same inputs and
 * --seed give byte-identical outputs.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "../io/labels.h"
#include "../audit/audit.h"
#include "../util/la_json.h"

static const char nz_usage[] =
    "usage: labelaudit noise --labels FILE --trace T --seed S --out FILE [options]\n"
    "\n"
    "Draws a noise matrix P(given | true) with trace T and flips the labels of FILE\n"
    "(taken as the true labels) by it, reproducibly.\n"
    "\n"
    "  --labels FILE                true labels (.npy integers or CSV 'label' column)\n"
    "  --trace T                    sum of the diagonal of the noise matrix, 1 < T <= K\n"
    "                               (K * (1 - T/K) is the expected fraction flipped)\n"
    "  --frac-zero-noise-rates F    fraction of off-diagonal noise rates forced to 0 (0)\n"
    "  --seed S                     random seed (required)\n"
    "  --out FILE                   noisy labels: .npy (int64) or CSV with header 'label'\n"
    "                               (class names kept when the input used names)\n"
    "  --noise-matrix FILE          also write the K x K noise matrix (CSV c0..cK-1)\n"
    "  --num-classes K              number of classes (default: max label + 1)\n"
    "  --format text|json           summary on stdout: text (default) or json\n"
    "  --quiet                      no summary\n"
    "  --help                       this help\n"
    "\n"
    "RNG: xoshiro256** seeded through splitmix64; the diagonal is a Gamma(5)\n"
    "split of T (redrawn until every entry is <= 1), each column's off-diagonal\n"
    "mass is split by Gamma(1) weights after zeroing a random F of the entries,\n"
    "and matrices are redrawn until valid (py_j * P[j][j] > sum_i py_i * P[j][i]).\n"
    "Each true class j then has exactly round(n_j * (1 - P[j][j])) examples flipped,\n"
    "chosen uniformly, split over destinations i by P[i][j].\n";

enum { NZ_LABELS = 1, NZ_TRACE, NZ_FZ, NZ_SEED, NZ_OUT, NZ_NM, NZ_K, NZ_FORMAT, NZ_QUIET, NZ_HELP };

/* Attempts at a valid noise matrix before giving up. */
enum { NZ_MAX_ITER = 10000 };

typedef struct nz_args {
    const char *labels, *out, *nmpath;
    double      trace, fz;
    long        seed, kk;
    int         have_trace, json, quiet;
} nz_args;

/* 0 to go on, 1 after --help, LA_EUSAGE (printed). */
static int nz_parse(int argc, char **argv, nz_args *a)
{
    static const struct option opts[] = {
        {"labels", required_argument, 0, NZ_LABELS},
        {"trace", required_argument, 0, NZ_TRACE},
        {"frac-zero-noise-rates", required_argument, 0, NZ_FZ},
        {"seed", required_argument, 0, NZ_SEED},
        {"out", required_argument, 0, NZ_OUT},
        {"noise-matrix", required_argument, 0, NZ_NM},
        {"num-classes", required_argument, 0, NZ_K},
        {"format", required_argument, 0, NZ_FORMAT},
        {"quiet", no_argument, 0, NZ_QUIET},
        {"help", no_argument, 0, NZ_HELP},
        {0, 0, 0, 0}
    };
    memset(a, 0, sizeof *a);
    a->seed = -1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case NZ_LABELS: a->labels = optarg; break;
        case NZ_TRACE:
            if (cli_parse_double("noise", "trace", optarg, 0, 1e9, &a->trace)) return LA_EUSAGE;
            a->have_trace = 1;
            break;
        case NZ_FZ: if (cli_parse_double("noise", "frac-zero-noise-rates", optarg, 0, 1, &a->fz)) return LA_EUSAGE; break;
        case NZ_SEED: if (cli_parse_long("noise", "seed", optarg, 0, 2147483647L, &a->seed)) return LA_EUSAGE; break;
        case NZ_OUT: a->out = optarg; break;
        case NZ_NM: a->nmpath = optarg; break;
        case NZ_K: if (cli_parse_long("noise", "num-classes", optarg, 2, 100000, &a->kk)) return LA_EUSAGE; break;
        case NZ_FORMAT:
            if (!strcmp(optarg, "json")) a->json = 1;
            else if (strcmp(optarg, "text")) return cli_usage_error("noise", "--format must be text or json");
            break;
        case NZ_QUIET: a->quiet = 1; break;
        case 'h': case NZ_HELP: fputs(nz_usage, stdout); return 1;
        default: return cli_getopt_error("noise", c, argv);
        }
    }
    if (optind < argc) return cli_usage_error("noise", "unexpected argument '%s'", argv[optind]);
    if (!a->labels || !a->out || !a->have_trace || a->seed < 0)
        return cli_usage_error("noise", "--labels, --trace, --seed and --out are required");
    return 0;
}

/* K: --num-classes, else max label + 1 (or the number of names), checked
 * against the labels and the trace. 0 or LA_EUSAGE (printed). */
static int nz_classes(const nz_args *a, const io_labels *lab, size_t *k_out)
{
    size_t k = lab->names ? lab->n_names : 0;
    for (size_t i = 0; i < lab->n; i++) if ((size_t)lab->labels[i] + 1 > k) k = (size_t)lab->labels[i] + 1;
    if (a->kk) {
        if ((size_t)a->kk < k)
            return cli_usage_error("noise", "--num-classes %ld is below max label + 1 = %zu", a->kk, k);
        k = (size_t)a->kk;
    }
    if (k < 2) return cli_usage_error("noise", "need at least 2 classes");
    if (!(a->trace > 1 && a->trace <= (double)k))
        return cli_usage_error("noise", "--trace must be in (1, K] = (1, %zu], got %g", k, a->trace);
    *k_out = k;
    return 0;
}

static void nz_print(const nz_args *a, const double *nm, size_t n, size_t k, size_t flipped)
{
    if (a->json) {
        json_t *m = json_array();
        for (size_t i = 0; i < k; i++) {
            json_t *row = json_array();
            for (size_t j = 0; j < k; j++) json_array_append_new(row, json_real(nm[i * k + j]));
            json_array_append_new(m, row);
        }
        json_t *j = json_pack("{sIsIsfsfsIsIso}", "n", (json_int_t)n, "k", (json_int_t)k, "trace", a->trace,
                              "frac_zero_noise_rates", a->fz, "seed", (json_int_t)a->seed,
                              "flipped", (json_int_t)flipped, "noise_matrix", m);
        la_json_print(j, stdout, LA_JSON_EXACT);
        json_decref(j);
    } else if (!a->quiet) {
        printf("flipped %zu of %zu labels (%.2f%%), K = %zu, trace %g, seed %ld -> %s\n", flipped, n,
               100.0 * (double)flipped / (double)(n ? n : 1), k, a->trace, a->seed, a->out);
    }
}

int cmd_noise(int argc, char **argv)
{
    nz_args a;
    int rc = nz_parse(argc, argv, &a);
    if (rc) return rc == 1 ? 0 : rc;

    la_error err;
    la_error_clear(&err);
    io_labels lab;
    if ((rc = io_labels_load(a.labels, NULL, 0, &lab, &err))) return cli_report(&err);
    size_t n = lab.n, k = 0, flipped = 0;
    if ((rc = nz_classes(&a, &lab, &k))) { io_labels_free(&lab); return rc; }
    double *nm = la_calloc(k * k, sizeof *nm);
    int64_t *noisy = la_malloc_array(n + 1, sizeof *noisy);
    au_noise_opts no = {.trace = a.trace, .frac_zero = a.fz, .seed = (uint64_t)a.seed, .max_iter = NZ_MAX_ITER};
    if (!nm || !noisy) rc = la_error_set(&err, LA_EINTERNAL, NULL, 0, "out of memory");
    if (!rc) rc = au_noise(lab.labels, n, k, &no, a.labels, nm, noisy, &flipped, &err);
    if (!rc) rc = au_noise_write(a.out, noisy, n, lab.ids, lab.names, lab.n_names, a.nmpath, nm, k, &err);
    if (!rc) nz_print(&a, nm, n, k, flipped);
    else rc = cli_report(&err);
    free(nm); free(noisy);
    io_labels_free(&lab);
    return rc;
}
