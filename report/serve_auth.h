/*
 * serve_auth.h — private to the review server (serve.c, serve_auth.c): who a
 * request comes from. Every reviewer has a token; a browser trades it once
 * (GET /?token=T) for a random session id in a cookie; scripts send it on
 * each request (Authorization: Bearer T). The reviewer's name always comes
 * from here, never from a request body.
 * Not here: what a request may do once its reviewer is known (serve.c).
 */
#ifndef LA_SERVE_AUTH_H
#define LA_SERVE_AUTH_H

#include "serve.h"

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

/* The reviewers of cfg (token + reviewer, and cfg->reviewers). LA_EUSAGE
 * when there is none or two share a token; *out freed with srv_auth_close. */
int  srv_auth_open(const srv_config *cfg, srv_auth **out, la_error *err);
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

/* Helpers shared with serve.c (defined there). */
const char *srv_req_header(const srv_request *req, const char *name);
const char *srv_req_query(const srv_request *req, const char *name);
void srv_reply_error(srv_response *r, int status, const char *msg);
void srv_reply_text(srv_response *r, int status, const char *msg);

#endif
