/*
 * serve_auth.h — the review server's reviewers and who a request comes from
 * (serve_auth.c; serve.h includes it, so the public parts below are part of
 * the server's API). Every reviewer has a token; a browser trades it once
 * (GET /?token=T) for a random session id in a cookie; scripts send it on
 * each request (Authorization: Bearer T). The reviewer's name always comes
 * from here, never from a request body.
 * Not here: what a request may do once its reviewer is known (serve.c).
 */
#ifndef LA_SERVE_AUTH_H
#define LA_SERVE_AUTH_H

#include <stddef.h>
#include "../util/la_util.h"
#include "serve_reply.h"

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

/* 1 when a Content-Type value is application/json, optionally followed by
 * parameters (";charset=utf-8"), in any letter case. */
int srv_content_type_json(const char *ct);

/* 1 when an Origin header names this very server: "http://" + the request's
 * Host (case-insensitive) whose port is `port` (80 when the Host has none).
 * "null" and other schemes, hosts or ports are 0. */
int srv_origin_ok(const char *origin, const char *host, int port);

/* Constant-time comparison of two NUL-terminated secrets; 1 when equal. */
int srv_secret_equal(const char *a, const char *b);

#define SRV_MAX_SESSIONS 256      /* browser sessions kept; the oldest goes first */

typedef struct srv_auth srv_auth;

/* Who sent a request: the reviewer (borrowed from the auth, valid until
 * srv_auth_close), the session's CSRF token ("" for a bearer request, which
 * no browser sends on its own, so it needs none). */
typedef struct srv_who {
    const char *reviewer;
    char        csrf[65];
    int         via_cookie;
} srv_who;

/* The reviewers: `token` for `reviewer` (NULL = "reviewer") when token is
 * not NULL, and every one of `more` (may be NULL). LA_EUSAGE when there is
 * none, or a name or a token is invalid or taken twice; *out freed with
 * srv_auth_close. */
int  srv_auth_open(const char *token, const char *reviewer, const srv_reviewers *more, srv_auth **out,
                   la_error *err);
void srv_auth_close(srv_auth *a);
size_t srv_auth_count(const srv_auth *a);

/* Authenticates req for a server on `port`. Returns 0 with *who filled, or
 * -1 with r filled: 401 no credential, 403 wrong one, 303 after a ?token=
 * visit (Set-Cookie la_session_PORT=SID; HttpOnly; SameSite=Strict). */
int srv_auth_request(srv_auth *a, int port, const srv_request *req, srv_who *who, srv_response *r);

/* The checks a POST passes before it is read: the session's X-CSRF-Token
 * (cookie sessions), an Origin (when sent) of exactly this server, and
 * Content-Type application/json. 0, or -1 with r filled (403 / 415). */
int srv_auth_post(const srv_who *who, int port, const srv_request *req, srv_response *r);

#endif
