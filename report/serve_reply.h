/*
 * serve_reply.h — the review server's request and response (borrowed request
 * parts, owned response body) and the helpers every layer of it uses: header
 * and query lookup, text / JSON / error answers (serve_reply.c). The bottom of
 * the server: it knows nothing of reviewers, runs or sockets.
 */
#ifndef LA_SERVE_REPLY_H
#define LA_SERVE_REPLY_H

#include <stddef.h>
#include <jansson.h>

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

/* Releases what a response holds (body, file descriptor). */
void srv_response_free(srv_response *resp);

/* The first header `name` (case-insensitive) / query argument, or NULL. */
const char *srv_req_header(const srv_request *req, const char *name);
const char *srv_req_query(const srv_request *req, const char *name);

/* Fill r with status and a text body (msg + newline), a JSON body (takes
 * ownership of j; non-ASCII and < > & escaped), or {"error": msg}. */
void srv_reply_text(srv_response *r, int status, const char *msg);
void srv_reply_json(srv_response *r, int status, json_t *j);
void srv_reply_error(srv_response *r, int status, const char *msg);

#endif
