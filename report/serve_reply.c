/*
 * serve_reply.c — the review server's small request and response helpers,
 * shared by the router (serve.c) and authentication (serve_auth.c): header
 * and query lookup, and text / JSON / error answers. No policy here.
 */
#include "serve_reply.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../util/la_json.h"

/* ---- responses ------------------------------------------------------------- */

void srv_response_free(srv_response *resp)
{
    if (!resp) return;
    free(resp->body);
    if (resp->fd >= 0) close(resp->fd);
    resp->body = NULL;
    resp->fd = -1;
}

void srv_reply_text(srv_response *r, int status, const char *msg)
{
    r->status = status;
    r->content_type = "text/plain; charset=utf-8";
    size_t n = strlen(msg);
    r->body = malloc(n + 2);
    if (!r->body) return;
    memcpy(r->body, msg, n);
    r->body[n] = '\n';
    r->body[n + 1] = '\0';
    r->body_len = n + 1;
}

/* Takes ownership of j. Non-ASCII is escaped, and so are < > & so that the
 * JSON is inert even if a browser were tricked into reading it as HTML. */
void srv_reply_json(srv_response *r, int status, json_t *j)
{
    r->status = status;
    r->content_type = "application/json; charset=utf-8";
    char *s = la_json_text(j, LA_JSON_WIRE);
    json_decref(j);
    if (!s) {
        srv_reply_text(r, 500, "out of memory");
        return;
    }
    size_t n = 0, extra = 0;
    for (const char *p = s; *p; p++, n++) extra += (*p == '<' || *p == '>' || *p == '&') ? 5 : 0;
    r->body = malloc(n + extra + 1);
    if (!r->body) {
        free(s);
        srv_reply_text(r, 500, "out of memory");
        return;
    }
    char *o = r->body;
    for (const char *p = s; *p; p++) {
        if (*p == '<' || *p == '>' || *p == '&') o += sprintf(o, "\\u%04x", (unsigned)*p);
        else *o++ = *p;
    }
    *o = '\0';
    r->body_len = (size_t)(o - r->body);
    free(s);
}

void srv_reply_error(srv_response *r, int status, const char *msg)
{
    srv_reply_json(r, status, json_pack("{s:s}", "error", msg));
}

/* ---- request accessors ----------------------------------------------------- */

const char *srv_req_header(const srv_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (req->headers[i].name && strcasecmp(req->headers[i].name, name) == 0) return req->headers[i].value;
    return NULL;
}

const char *srv_req_query(const srv_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_query; i++)
        if (req->query[i].name && strcmp(req->query[i].name, name) == 0)
            return req->query[i].value ? req->query[i].value : "";
    return NULL;
}

