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

#define SRV_MAX_BODY_DEFAULT 16384   /* bytes of a POST body                   */
#define SRV_MAX_URL          2048    /* bytes of a request target              */
#define SRV_MAX_PAGE         500     /* cards per /api/state page              */
#define SRV_TOKEN_MIN        16      /* token length bounds, characters        */
#define SRV_TOKEN_MAX        200

/* One reviewer and the token that proves it. */
typedef struct srv_reviewer {
    char *name;               /* as stored with decisions                       */
    char *token;              /* 16..200 chars from A-Z a-z 0-9 . _ ~ -         */
} srv_reviewer;

typedef struct srv_reviewers {
    size_t        n;
    srv_reviewer *v;
} srv_reviewers;

/* Reads a reviewers file: one reviewer a line, "NAME TOKEN" (the token is the
 * last blank-separated field, the name everything before it), blank lines and
 * '#' comments ignored. The file must not be readable by group or others
 * (like an ssh key). Returns 0 and *out (free with srv_reviewers_free), or
 * LA_EUSAGE naming file:line and the reason (bad name or token, a name or
 * token twice, no reviewer at all). */
int  srv_reviewers_load(const char *path, srv_reviewers *out, la_error *err);
/* Appends a copy of name/token; LA_EUSAGE when either is invalid or taken. */
int  srv_reviewers_add(srv_reviewers *rv, const char *name, const char *token, la_error *err);
void srv_reviewers_free(srv_reviewers *rv);

/* 1 when t is a valid token: 16..200 characters from A-Z a-z 0-9 . _ ~ -. */
int srv_token_valid(const char *t);
/* 1 when s is a valid reviewer name: 1..DB_MAX_REVIEWER bytes, no control
 * characters. */
int srv_reviewer_valid(const char *s);
/* Writes 64 random hex characters and a NUL into out. 0, or -1 when the
 * system has no random bytes. */
int srv_mint_token(char out[65]);

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

typedef struct srv_header {
    const char *name, *value;
} srv_header;

/* One HTTP request, borrowed. path is percent-decoded and has no query. */
typedef struct srv_request {
    const char *method;
    const char *path;
    size_t      url_len;      /* length of the raw request target            */
    const srv_header *headers;  size_t n_headers;  /* names case-insensitive */
    const srv_header *query;    size_t n_query;    /* decoded ?a=b&c=d       */
    const char *body;           size_t body_len;
} srv_request;

/* What to send back. body is malloc'd (or NULL); fd >= 0 means "send this
 * file of file_size bytes" (the response owns the descriptor). */
typedef struct srv_response {
    int         status;
    const char *content_type;
    char       *body;
    size_t      body_len;
    int         fd;
    size_t      file_size;
    char        location[512];    /* Location header, "" when none           */
    char        set_cookie[512];  /* Set-Cookie header, "" when none         */
    const char *allow;            /* Allow header on 405, NULL otherwise     */
} srv_response;

/* Answers one request. Thread-safe (database access is serialized inside).
 * Never fails: errors become 4xx/5xx responses with a JSON or text body.
 * Release with srv_response_free. */
void srv_handle(srv_app *app, const srv_request *req, srv_response *resp);
void srv_response_free(srv_response *resp);

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

/* 1 when a Content-Type value is application/json, optionally followed by
 * parameters (";charset=utf-8"), in any letter case. */
int srv_content_type_json(const char *ct);

/* 1 when an Origin header names this very server: "http://" + the request's
 * Host (case-insensitive) whose port is `port` (80 when the Host has none).
 * "null" and other schemes, hosts or ports are 0. */
int srv_origin_ok(const char *origin, const char *host, int port);

/* Constant-time comparison of two NUL-terminated secrets; 1 when equal. */
int srv_secret_equal(const char *a, const char *b);

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
