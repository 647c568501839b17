/*
 * cmd_serve.c — `labelaudit serve`: the review web application. Parses the
 * options, enforces "loopback unless a token is given", starts the server and
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
#include "../report/serve.h"

static const char serve_usage[] =
    "usage: labelaudit serve --db FILE [--run N] [--bind ADDR] [--port P] [--token T]\n"
    "                        [--root DIR] [--max-body BYTES] [--quiet]\n"
    "\n"
    "Serves the review queue as a live contact sheet in the browser: keep,\n"
    "relabel, drop or skip each flagged example, with keyboard shortcuts,\n"
    "filters, progress and undo. Stops cleanly on Ctrl-C (SIGINT) or SIGTERM.\n"
    "\n"
    "  --db FILE         the labelaudit database (required)\n"
    "  --run N           the run to review (default: the latest)\n"
    "  --bind ADDR       IPv4/IPv6 address to listen on (default 127.0.0.1);\n"
    "                    anything but loopback requires --token\n"
    "  --port P          TCP port (default 8080; 0 = any free port, printed)\n"
    "  --token T         every request must carry T: open http://HOST:P/?token=T\n"
    "                    once (sets a cookie), or send 'Authorization: Bearer T'.\n"
    "                    16..200 characters from [A-Za-z0-9._~-]. The environment\n"
    "                    variable LABELAUDIT_TOKEN is used when --token is absent.\n"
    "  --root DIR        folder the images live in (default: the folder of the\n"
    "                    run's dataset); nothing outside it is ever served\n"
    "  --max-body BYTES  largest request body accepted (default 16384)\n"
    "  --quiet           no banner on stdout\n"
    "  --help            this text\n"
    "\n"
    "Keys in the page: arrows, j or n next, p previous, k keep, r relabel to the suggested\n"
    "class, c choose a class, d drop, s skip, u undo your last decision.\n";

static int token_ok(const char *t)
{
    size_t n = strlen(t);
    if (n < 16 || n > 200) return 0;
    for (const char *p = t; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~-", *p)) return 0;
    return 1;
}

/* Parses argv into cfg and *quiet, then checks the combination (a token is
 * required off loopback). Returns -1 to go on, else the exit status (--help
 * printed, or a usage error reported). */
static int serve_parse(int argc, char **argv, srv_config *cfg, int *quiet)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},    {"run", required_argument, NULL, 'r'},
        {"bind", required_argument, NULL, 'b'},  {"port", required_argument, NULL, 'p'},
        {"token", required_argument, NULL, 't'}, {"root", required_argument, NULL, 'R'},
        {"max-body", required_argument, NULL, 'm'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
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
        case 'R': cfg->root = optarg; break;
        case 'm':
            if (cli_parse_long("serve", "max-body", optarg, 256, 16L << 20, &v)) return LA_EUSAGE;
            cfg->max_body = (size_t)v;
            break;
        case 'q': *quiet = 1; break;
        case 'h': fputs(serve_usage, stdout); return LA_OK;
        default: return cli_getopt_error("serve", c, argv);
        }
    }
    if (optind < argc) return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
    if (!cfg->db_path) return cli_usage_error("serve", "--db FILE is required");
    if (!cfg->token) {
        const char *env = getenv("LABELAUDIT_TOKEN");
        if (env && env[0]) cfg->token = env;
    }
    if (cfg->token && !token_ok(cfg->token))
        return cli_usage_error("serve", "--token must be 16..200 characters from A-Z a-z 0-9 . _ ~ -");
    if (!srv_is_loopback(cfg->bind) && !cfg->token)
        return cli_usage_error("serve", "--bind %s is not a loopback address: refusing to serve the queue "
                               "to the network without --token", cfg->bind);
    return -1;
}

static void serve_banner(const srv_config *cfg, srv_app *app, srv_server *srv)
{
    int v6 = strchr(cfg->bind, ':') != NULL;
    printf("labelaudit serve: http://%s%s%s:%d/ run %lld, %lld examples in the queue%s\n",
           v6 ? "[" : "", cfg->bind, v6 ? "]" : "", srv_port(srv), (long long)srv_app_run(app),
           (long long)srv_app_queue_size(app), cfg->token ? " (token required: open /?token=T once)" : "");
    if (!srv_app_root(app)[0]) printf("labelaudit serve: no image folder found; cards show no thumbnails\n");
    printf("labelaudit serve: Ctrl-C stops\n");
    fflush(stdout);
}

int cmd_serve(int argc, char **argv)
{
    srv_config cfg = {.bind = "127.0.0.1", .port = 8080};
    int quiet = 0;
    int rc = serve_parse(argc, argv, &cfg, &quiet);
    if (rc >= 0) return rc;
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
    if (!quiet) serve_banner(&cfg, app, srv);
    int sig = 0;
    sigwait(&stop, &sig);
    srv_stop(srv);
    srv_app_close(app);
    if (!quiet) {
        printf("labelaudit serve: stopped (signal %d), database closed\n", sig);
        fflush(stdout);
    }
    return LA_OK;
}
