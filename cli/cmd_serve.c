/*
 * cmd_serve.c — `labelaudit serve`: the review web application. Parses the
 * options, settles who may sign in (a reviewers file, one token, or a fresh
 * random one: never nobody), starts the server and
 * waits for SIGINT/SIGTERM, then stops gracefully (in-flight decisions are
 * committed) and closes the database.
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"
#include "../db/db.h"
#include "../db/db_reviews.h"
#include "../report/serve.h"

static const char serve_usage[] =
    "usage: labelaudit serve --db FILE [--run N] [--bind ADDR] [--port P]\n"
    "                        [--reviewers FILE | --token T [--reviewer NAME]]\n"
    "                        [--root DIR] [--max-body BYTES] [--quiet]\n"
    "                        [--reviews-per-item R [--next rank|active-learning]\n"
    "                         [--pred-probs FILE]]\n"
    "\n"
    "Serves the review queue as a live contact sheet in the browser: keep,\n"
    "relabel, drop or skip each flagged example, with keyboard shortcuts,\n"
    "filters, progress and undo. Stops cleanly on Ctrl-C (SIGINT) or SIGTERM.\n"
    "Every reviewer signs in with a token; decisions are recorded under the\n"
    "token's reviewer, and only the served run can be read or changed.\n"
    "\n"
    "  --db FILE         the labelaudit database (required)\n"
    "  --run N           the run to review (default: the latest)\n"
    "  --bind ADDR       IPv4/IPv6 address to listen on (default 127.0.0.1)\n"
    "  --port P          TCP port (default 8080; 0 = any free port, printed)\n"
    "  --reviewers FILE  one reviewer a line, 'NAME TOKEN' (mode 0600); each opens\n"
    "                    http://HOST:P/?token=THEIR_TOKEN once (sets a cookie)\n"
    "  --token T         a single reviewer's token (or $LABELAUDIT_TOKEN),\n"
    "                    16..200 characters from [A-Za-z0-9._~-]\n"
    "  --reviewer NAME   that reviewer's name (default $LABELAUDIT_REVIEWER,\n"
    "                    then $USER, then 'reviewer')\n"
    "                    Neither --reviewers nor --token: a random token is made\n"
    "                    and the address to open is printed with it.\n"
    "  --root DIR        folder the images live in (default: the folder of the\n"
    "                    run's dataset); nothing outside it is ever served\n"
    "  --max-body BYTES  largest request body accepted (default 16384)\n"
    "  --quiet           only the address lines on stdout, nothing on stderr\n"
    "  --reviews-per-item R  every example goes to R different reviewers (R >= 1, at\n"
    "                    most the reviewers who can sign in); each answer is kept\n"
    "                    apart, nobody sees another's answer before giving theirs,\n"
    "                    an example is done when R reviewers answered it\n"
    "  --next ORDER      with --reviews-per-item: what each reviewer sees first:\n"
    "                    rank (default: the audit's rank) or active-learning\n"
    "                    (cleanlab's ActiveLab score over the answers so far,\n"
    "                    lowest first, recomputed on every answer)\n"
    "  --pred-probs FILE with --next active-learning: the probabilities (default:\n"
    "                    the run's probability file)\n"
    "  --help            this text\n"
    "\n"
    "Keys in the page: arrows, j or n next, p previous, k keep, r relabel to the suggested\n"
    "class, c choose a class, d drop, s skip (decide later), u undo your last decision.\n";

typedef struct serve_opts {
    srv_config    cfg;
    const char   *reviewers_file;
    srv_reviewers reviewers;      /* loaded from reviewers_file                */
    char          minted[65];     /* the random token when none was given      */
    int           quiet;
    int           next_given;     /* --next was given                          */
} serve_opts;

/* Parses argv into o. Returns -1 to go on, else the exit status (--help
 * printed, or a usage error reported). */
static int serve_parse(int argc, char **argv, serve_opts *o)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},    {"run", required_argument, NULL, 'r'},
        {"bind", required_argument, NULL, 'b'},  {"port", required_argument, NULL, 'p'},
        {"token", required_argument, NULL, 't'}, {"root", required_argument, NULL, 'R'},
        {"reviewers", required_argument, NULL, 'F'}, {"reviewer", required_argument, NULL, 'n'},
        {"max-body", required_argument, NULL, 'm'}, {"quiet", no_argument, NULL, 'q'},
        {"reviews-per-item", required_argument, NULL, 'P'}, {"next", required_argument, NULL, 'N'},
        {"pred-probs", required_argument, NULL, 'X'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    srv_config *cfg = &o->cfg;
    int c;
    long v;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': cfg->db_path = optarg; break;
        case 'r':
            if (cli_parse_long("serve", "run", optarg, 1, LONG_MAX, &v)) return LA_EUSAGE;
            cfg->run_id = v;
            break;
        case 'b': cfg->bind = optarg; break;
        case 'p':
            if (cli_parse_long("serve", "port", optarg, 0, 65535, &v)) return LA_EUSAGE;
            cfg->port = (int)v;
            break;
        case 't': cfg->token = optarg; break;
        case 'n': cfg->reviewer = optarg; break;
        case 'F': o->reviewers_file = optarg; break;
        case 'R': cfg->root = optarg; break;
        case 'm':
            if (cli_parse_long("serve", "max-body", optarg, 256, 16L << 20, &v)) return LA_EUSAGE;
            cfg->max_body = (size_t)v;
            break;
        case 'q': o->quiet = 1; break;
        case 'P':
            if (cli_parse_long("serve", "reviews-per-item", optarg, 1, DB_REVIEWS_MAX, &v)) return LA_EUSAGE;
            cfg->reviews_per_item = v;
            break;
        case 'N':
            if (cli_parse_next_order("serve", optarg, &cfg->next_active_learning)) return LA_EUSAGE;
            o->next_given = 1;
            break;
        case 'X': cfg->pred_probs = optarg; break;
        case 'h': fputs(serve_usage, stdout); return LA_OK;
        default: return cli_getopt_error("serve", c, argv);
        }
    }
    if (optind < argc) return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
    if (!cfg->db_path) return cli_usage_error("serve", "--db FILE is required");
    if (o->next_given && !cfg->reviews_per_item)
        return cli_usage_error("serve", "--next orders a session with several reviewers per example: give "
                               "--reviews-per-item R (1 for one answer per example)");
    if (cfg->pred_probs && !cfg->next_active_learning)
        return cli_usage_error("serve", "--pred-probs is for --next active-learning");
    return -1;
}

/* --reviews-per-item R needs R reviewers who can sign in: -1 when fine, else
 * the exit status (reported). */
static int serve_check_reviews(const serve_opts *o, size_t n, const char *file)
{
    long long R = (long long)o->cfg.reviews_per_item;
    if (R <= (long long)n) return -1;
    if (file)
        return cli_usage_error("serve", "--reviews-per-item %lld needs at least %lld reviewers, and %s lists %zu",
                               R, R, file, n);
    return cli_usage_error("serve", "--reviews-per-item %lld needs at least %lld reviewers, and only one can sign"
                           " in (--token or a minted token): give --reviewers FILE", R, R);
}

/* Who may sign in: --reviewers FILE, or one reviewer with --token /
 * $LABELAUDIT_TOKEN, or one with a fresh random token. Never nobody. */
static int serve_reviewers(serve_opts *o)
{
    srv_config *cfg = &o->cfg;
    if (!cfg->token && !o->reviewers_file) {
        const char *env = getenv("LABELAUDIT_TOKEN");
        if (env && env[0]) cfg->token = env;
    }
    if (o->reviewers_file && cfg->token)
        return cli_usage_error("serve", "give --reviewers FILE or --token, not both");
    if (o->reviewers_file && cfg->reviewer)
        return cli_usage_error("serve", "--reviewer names the --token reviewer; the file names its own");
    if (cfg->token && !srv_token_valid(cfg->token))
        return cli_usage_error("serve", "--token must be 16..200 characters from A-Z a-z 0-9 . _ ~ -");
    if (!cfg->reviewer) cfg->reviewer = getenv("LABELAUDIT_REVIEWER");
    if (!cfg->reviewer || !cfg->reviewer[0]) cfg->reviewer = getenv("USER");
    if (!cfg->reviewer || !cfg->reviewer[0]) cfg->reviewer = "reviewer";
    if (!srv_reviewer_valid(cfg->reviewer))
        return cli_usage_error("serve", "--reviewer must be 1..%d bytes without control characters", DB_MAX_REVIEWER);
    if (o->reviewers_file) {
        la_error err;
        la_error_clear(&err);
        if (srv_reviewers_load(o->reviewers_file, &o->reviewers, &err)) return cli_report(&err);
        cfg->reviewers = &o->reviewers;
        return serve_check_reviews(o, o->reviewers.n, o->reviewers_file);
    }
    if (serve_check_reviews(o, 1, NULL) >= 0) return LA_EUSAGE;
    if (!cfg->token && !srv_is_loopback(cfg->bind))
        return cli_usage_error("serve", "--bind %s is not a loopback address: refusing to serve the queue "
                               "to the network without --token or --reviewers (plain HTTP: use them on a"
                               " network you trust)", cfg->bind);
    if (!cfg->token) {
        if (srv_mint_token(o->minted)) {
            fprintf(stderr, "labelaudit: serve: no random bytes for a token\n");
            return LA_EINTERNAL;
        }
        cfg->token = o->minted;
    }
    return -1;
}

/* stdout: the addresses to open (serve's result, also with --quiet);
 * stderr: everything else, silenced by --quiet. */
static int serve_run(serve_opts *o);

static void serve_banner(const serve_opts *o, srv_app *app, srv_server *srv)
{
    const srv_config *cfg = &o->cfg;
    int v6 = strchr(cfg->bind, ':') != NULL;
    char base[128];
    snprintf(base, sizeof base, "http://%s%s%s:%d/", v6 ? "[" : "", cfg->bind, v6 ? "]" : "", srv_port(srv));
    printf("labelaudit serve: %s run %lld, %lld examples in the queue\n", base, (long long)srv_app_run(app),
           (long long)srv_app_queue_size(app));
    if (o->minted[0]) printf("labelaudit serve: reviewer %s: open %s?token=%s\n", cfg->reviewer, base, o->minted);
    fflush(stdout);
    if (o->quiet) return;
    if (o->reviewers_file)
        fprintf(stderr, "labelaudit serve: %zu reviewers from %s; each opens %s?token=THEIR_TOKEN once\n",
                srv_app_reviewers(app), o->reviewers_file, base);
    else if (!o->minted[0])
        fprintf(stderr, "labelaudit serve: reviewer %s: open %s?token=T once (T from --token)\n", cfg->reviewer, base);
    if (cfg->reviews_per_item)
        fprintf(stderr, "labelaudit serve: %lld reviews per example, next by %s; nobody sees another's answer "
                "before giving theirs\n", (long long)cfg->reviews_per_item,
                cfg->next_active_learning ? "active-learning score (lowest first)" : "rank");
    if (!srv_app_root(app)[0]) fprintf(stderr, "labelaudit serve: no image folder found; cards show no thumbnails\n");
    fprintf(stderr, "labelaudit serve: Ctrl-C stops\n");
}

int cmd_serve(int argc, char **argv)
{
    serve_opts o;
    memset(&o, 0, sizeof o);
    o.cfg.bind = "127.0.0.1";
    o.cfg.port = 8080;
    int rc = serve_parse(argc, argv, &o);
    if (rc < 0) rc = serve_reviewers(&o);
    if (rc >= 0) {
        srv_reviewers_free(&o.reviewers);
        return rc;
    }
    rc = serve_run(&o);
    srv_reviewers_free(&o.reviewers);
    return rc;
}

/* Starts the server, waits for a stop signal, stops it. */
static int serve_run(serve_opts *o)
{
    srv_config cfg = o->cfg;
    struct stat st;
    if (stat(cfg.db_path, &st) != 0) {
        fprintf(stderr, "labelaudit: %s: no such database (run 'labelaudit audit --db' first)\n", cfg.db_path);
        return LA_EUSAGE;
    }

    /* Block the stop signals before any thread starts, so that only sigwait
     * below sees them and the server threads are never interrupted. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    la_error err;
    la_error_clear(&err);
    srv_app *app = NULL;
    srv_server *srv = NULL;
    if (srv_app_open(&cfg, &app, &err)) return cli_report(&err);
    if (srv_start(app, &cfg, &srv, &err)) {
        srv_app_close(app);
        return cli_report(&err);
    }
    serve_banner(o, app, srv);
    int sig = 0;
    sigwait(&stop, &sig);
    srv_stop(srv);
    srv_app_close(app);
    if (!o->quiet) fprintf(stderr, "labelaudit serve: stopped (signal %d), database closed\n", sig);
    return LA_OK;
}
