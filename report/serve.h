/*
 * serve.h — the review web application behind `labelaudit serve`: a request
 * router over the SQLite review queue (srv_app, independent of any HTTP
 * library, so it can be unit-tested and fuzzed), and the libmicrohttpd server
 * around it (srv_server).
 *
 * Security model: every reviewer has a token (none = refused): a browser
 * trades it once (?token=T) for a session cookie, scripts send it as a
 * bearer token, and the reviewer recorded with a decision is the one the
 * token names. Reads, decisions and undo reach only the served run. State
 * changes are POST + JSON + the session's CSRF token. Images are served
 * only from inside the dataset root (realpath containment, so no "..",
 * absolute path or symlink escapes). The page holds no data: the script
 * fetches JSON and renders it with textContent, so nothing is interpreted.
 */
#ifndef LA_SERVE_H
#define LA_SERVE_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"
#include "serve_reply.h"   /* srv_request, srv_response and their helpers */
#include "serve_auth.h"    /* reviewers, tokens, sessions                 */

#define SRV_MAX_BODY_DEFAULT 16384   /* bytes of a POST body                   */
#define SRV_MAX_URL          2048    /* bytes of a request target              */
#define SRV_MAX_PAGE         500     /* cards per /api/state page              */
typedef struct srv_config {
    const char *db_path;      /* the labelaudit database                        */
    int64_t     run_id;       /* run to review, <= 0 = the latest               */
    const char *bind;         /* address to listen on, NULL = 127.0.0.1         */
    int         port;         /* 0 = any free port (see srv_port)               */
    const char *token;        /* one reviewer's token, or NULL                  */
    const char *reviewer;     /* that reviewer's name, NULL = "reviewer"        */
    const srv_reviewers *reviewers; /* more reviewers, or NULL; at least one
                                 of token / reviewers is required           */
    const char *root;         /* image root, NULL = the run's dataset folder    */
    size_t      max_body;     /* 0 = SRV_MAX_BODY_DEFAULT                       */
    int         threads;      /* worker threads, 0 = 4                          */
    int64_t     reviews_per_item; /* R > 0: every row goes to R reviewers, each
                                 answer kept apart (serve_multi.h); 0 = one
                                 decision per queue row                       */
    int         next_active_learning; /* R > 0 only: work order by ActiveLab */
    const char *pred_probs;   /* its probabilities, NULL = the run's file       */
} srv_config;

/* ---- the application (no sockets) ------------------------------------- */

typedef struct srv_app srv_app;

/* Opens the database, loads the run and resolves the image root. Returns 0
 * and *out (free with srv_app_close), or a status with err filled. */
int  srv_app_open(const srv_config *cfg, srv_app **out, la_error *err);
void srv_app_close(srv_app *app);

/* Facts about an open app, for the command's banner. */
int64_t     srv_app_run(const srv_app *app);
int64_t     srv_app_queue_size(const srv_app *app);
const char *srv_app_root(const srv_app *app);     /* "" when no image root   */
size_t      srv_app_reviewers(const srv_app *app);
/* The port requests arrive on (srv_start sets it): it names the session
 * cookie and is the only port an Origin header may carry. */
void        srv_app_set_port(srv_app *app, int port);

/* Answers one request. Thread-safe (database access is serialized inside).
 * Never fails: errors become 4xx/5xx responses with a JSON or text body.
 * Release with srv_response_free. */
void srv_handle(srv_app *app, const srv_request *req, srv_response *resp);

/* ---- pure helpers (exposed for tests) ---------------------------------- */

/* 1 when rel is a safe relative path: not empty, not absolute, no "..", "."
 * or empty segment, no backslash, NUL or control character. */
int srv_path_safe(const char *rel);

/* Resolves rel under root_real (a realpath) into out, following symlinks, and
 * checks the result is a regular file inside the root. Returns 0, 403 when
 * the path is unsafe or escapes the root, 404 when it does not exist. */
int srv_resolve_under(const char *root_real, const char *rel, char *out, size_t outsz);

/* Checks an HTTP request line (without CR LF): 0 when it is
 * "METHOD SP TARGET SP HTTP/1.0|1.1", 505 for another HTTP version, else 400. */
int srv_request_line_status(const char *line, size_t len);

/* Checks the header block of a request (from the request line to the empty
 * line, CR LF or LF line ends, head_len bytes) and the start of a chunked
 * body after it (body_len bytes, may be incomplete) as RFC 9112 asks:
 * returns 0, or 400 for a header line without a colon or with blanks before
 * it, obs-fold, two Content-Length values that differ, a Content-Length that
 * is not digits, Content-Length with Transfer-Encoding, a transfer coding
 * other than "chunked", Transfer-Encoding in HTTP/1.0, no Host or more than
 * one Host in HTTP/1.1, a chunk size line that is not hex or overflows; 413
 * for a Content-Length or a chunk larger than max_body; SRV_FRAMING_MORE
 * when a chunked body is valid so far but not complete in `body`. */
#define SRV_FRAMING_MORE 1
int srv_framing_status(const char *head, size_t head_len, const char *body, size_t body_len,
                       size_t max_body);

/* srv_framing_status that also names the fault: *why (may be NULL) receives
 * a static phrase ("two Content-Length values that differ", "no Host header
 * (HTTP/1.1 needs one)", ...) for a 400 or 413, else NULL. */
int srv_framing_check(const char *head, size_t head_len, const char *body, size_t body_len,
                      size_t max_body, const char **why);

/* 1 when addr is a loopback address (127.0.0.0/8, ::1, "localhost"). */
int srv_is_loopback(const char *addr);

/* 1 when a Host header names this machine's loopback (localhost, 127.x, [::1],
 * with an optional :port): the DNS-rebinding check used without a token. */
int srv_host_is_loopback(const char *host);

/* ---- the HTTP server (libmicrohttpd) ------------------------------------ */

typedef struct srv_server srv_server;

/* Starts listening on cfg->bind:cfg->port with app answering requests.
 * Returns 0 and *out, or LA_EUSAGE (bad address, port in use) with err. */
int  srv_start(srv_app *app, const srv_config *cfg, srv_server **out, la_error *err);
int  srv_port(const srv_server *srv);
/* Graceful stop: stops accepting, lets in-flight requests finish (their
 * decisions are committed), then frees the server. The app stays open. */
void srv_stop(srv_server *srv);

/* The single-page application (inline CSS and JS); "{{CSRF}}" is replaced
 * by the session's CSRF token when served. */
extern const char srv_page_html[];

#endif
