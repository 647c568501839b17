/*
 * cmd_noise.c — `labelaudit noise`: synthetic label noise for validating an
 * audit. Treats the given labels as the truth, draws a noise matrix
 * P(given | true) with the requested trace and fraction of zero noise rates
 * (cl_noise_matrix_from_trace), then flips labels by it (cl_noisy_labels).
 * Seeded: the same inputs and --seed give byte-identical outputs.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "../io/labels.h"
#include "../io/npy.h"
#include "../audit/cl.h"

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

static int nz_ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

int cmd_noise(int argc, char **argv)
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
    const char *labels = NULL, *out = NULL, *nmpath = NULL;
    double trace = 0, fz = 0;
    long seed = -1, kk = 0;
    int have_trace = 0, json = 0, quiet = 0, c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case NZ_LABELS: labels = optarg; break;
        case NZ_TRACE:
            if (cli_parse_double("noise", "trace", optarg, 0, 1e9, &trace)) return LA_EUSAGE;
            have_trace = 1;
            break;
        case NZ_FZ: if (cli_parse_double("noise", "frac-zero-noise-rates", optarg, 0, 1, &fz)) return LA_EUSAGE; break;
        case NZ_SEED: if (cli_parse_long("noise", "seed", optarg, 0, 2147483647L, &seed)) return LA_EUSAGE; break;
        case NZ_OUT: out = optarg; break;
        case NZ_NM: nmpath = optarg; break;
        case NZ_K: if (cli_parse_long("noise", "num-classes", optarg, 2, 100000, &kk)) return LA_EUSAGE; break;
        case NZ_FORMAT:
            if (!strcmp(optarg, "json")) json = 1;
            else if (strcmp(optarg, "text")) return cli_usage_error("noise", "--format must be text or json");
            break;
        case NZ_QUIET: quiet = 1; break;
        case 'h': case NZ_HELP: fputs(nz_usage, stdout); return 0;
        default: return cli_getopt_error("noise", c, argv);
        }
    }
    if (optind < argc) return cli_usage_error("noise", "unexpected argument '%s'", argv[optind]);
    if (!labels || !out || !have_trace || seed < 0)
        return cli_usage_error("noise", "--labels, --trace, --seed and --out are required");

    la_error err;
    la_error_clear(&err);
    io_labels lab;
    int rc = io_labels_load(labels, NULL, 0, &lab, &err);
    if (rc) return cli_report(&err);
    size_t n = lab.n, k = lab.names ? lab.n_names : 0;
    for (size_t i = 0; i < n; i++) if ((size_t)lab.labels[i] + 1 > k) k = (size_t)lab.labels[i] + 1;
    if (kk) {
        if ((size_t)kk < k) {
            io_labels_free(&lab);
            return cli_usage_error("noise", "--num-classes %ld is below max label + 1 = %zu", kk, k);
        }
        k = (size_t)kk;
    }
    if (k < 2) { io_labels_free(&lab); return cli_usage_error("noise", "need at least 2 classes"); }
    if (!(trace > 1 && trace <= (double)k)) {
        io_labels_free(&lab);
        return cli_usage_error("noise", "--trace must be in (1, K] = (1, %zu], got %g", k, trace);
    }
    double *py = la_calloc(k, sizeof *py), *nm = la_calloc(k * k, sizeof *nm);
    int64_t *noisy = la_malloc_array(n + 1, sizeof *noisy);
    if (!py || !nm || !noisy) { rc = la_error_set(&err, LA_EINTERNAL, NULL, 0, "out of memory"); goto fail; }
    for (size_t i = 0; i < n; i++) py[lab.labels[i]] += 1.0 / (double)n;
    cl_rng rng;
    cl_rng_seed(&rng, (uint64_t)seed);
    if (cl_noise_matrix_from_trace(k, trace, py, fz, &rng, 10000, nm)) {
        rc = la_error_set(&err, LA_EUSAGE, labels, 0,
                          "no valid noise matrix with trace %g for these class priors (try a larger trace)", trace);
        goto fail;
    }
    if (cl_noisy_labels(lab.labels, n, nm, k, &rng, noisy)) {
        rc = la_error_set(&err, LA_EINTERNAL, NULL, 0, "out of memory");
        goto fail;
    }
    if (nz_ends_with(out, ".npy")) {
        if ((rc = io_npy_save_i64(out, noisy, n, &err))) goto fail;
    } else {
        la_atomic_file af;
        if ((rc = la_atomic_open(&af, out, &err))) goto fail;
        fputs(lab.ids ? "id,label\n" : "label\n", af.fp);
        for (size_t i = 0; i < n; i++) {
            if (lab.ids) fprintf(af.fp, "%s,", lab.ids[i]);
            if (lab.names && (size_t)noisy[i] < lab.n_names) fprintf(af.fp, "%s\n", lab.names[noisy[i]]);
            else fprintf(af.fp, "%" PRId64 "\n", noisy[i]);
        }
        if ((rc = la_atomic_commit(&af, &err))) goto fail;
    }
    if (nmpath) {
        la_atomic_file af;
        if ((rc = la_atomic_open(&af, nmpath, &err))) goto fail;
        for (size_t j = 0; j < k; j++) fprintf(af.fp, "%sc%zu", j ? "," : "", j);
        fputc('\n', af.fp);
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < k; j++) fprintf(af.fp, "%.17g%c", nm[i * k + j], j + 1 < k ? ',' : '\n');
        if ((rc = la_atomic_commit(&af, &err))) goto fail;
    }
    size_t flipped = 0;
    for (size_t i = 0; i < n; i++) flipped += noisy[i] != lab.labels[i];
    if (json) {
        json_t *m = json_array();
        for (size_t i = 0; i < k; i++) {
            json_t *row = json_array();
            for (size_t j = 0; j < k; j++) json_array_append_new(row, json_real(nm[i * k + j]));
            json_array_append_new(m, row);
        }
        json_t *j = json_pack("{sIsIsfsfsIsIso}", "n", (json_int_t)n, "k", (json_int_t)k, "trace", trace,
                              "frac_zero_noise_rates", fz, "seed", (json_int_t)seed, "flipped", (json_int_t)flipped,
                              "noise_matrix", m);
        char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (s) printf("%s\n", s);
        free(s);
        json_decref(j);
    } else if (!quiet) {
        printf("flipped %zu of %zu labels (%.2f%%), K = %zu, trace %g, seed %ld -> %s\n", flipped, n,
               100.0 * (double)flipped / (double)(n ? n : 1), k, trace, seed, out);
    }
    rc = 0;
    goto done;
fail:
    rc = cli_report(&err);
done:
    free(py); free(nm); free(noisy);
    io_labels_free(&lab);
    return rc;
}
