/*
 * serve_http.c — libmicrohttpd around srv_handle: listens, collects a request
 * (headers, query, a size-limited body), hands it to the router and sends the
 * answer with security headers. A pool of internal threads; malformed HTTP is
 * answered 400 by libmicrohttpd itself; idle connections time out.
 * Not here: any decision about what a request means (serve.c).
 */
#include "serve.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HTTP_MAX_FIELDS 64          /* headers or query arguments kept       */
#define HTTP_TIMEOUT    15          /* seconds an idle connection may stay   */
#define HTTP_MAX_CONN   128

struct srv_server {
    struct MHD_Daemon *d;
    srv_app *app;
    size_t   max_body;
    int      port;
};

/* Per-request state, from the first callback to the completion notice. */
typedef struct http_req {
    char  *body;
    size_t len;
    int    too_big;
} http_req;

typedef struct field_list {
    srv_header v[HTTP_MAX_FIELDS];
    size_t n;
} field_list;

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    field_list *l = cls;
    (void)kind;
    if (l->n < HTTP_MAX_FIELDS) l->v[l->n++] = (srv_header){key, value ? value : ""};
    return MHD_YES;
}

static enum MHD_Result send_plain(struct MHD_Connection *c, unsigned status, const char *msg)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(msg), (void *)msg, MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
    MHD_add_response_header(resp, "Connection", "close");
    enum MHD_Result ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void security_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
                            "script-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; "
                            "form-action 'none'; frame-ancestors 'none'");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_size,
                              void **con_cls)
{
    srv_server *srv = cls;
    http_req *hr = *con_cls;
    (void)version;
    if (!hr) {
        /* First call: headers only. Refuse early what is too big to read. */
        if (!(hr = calloc(1, sizeof *hr))) return MHD_NO;
        *con_cls = hr;
        if (strlen(url) > SRV_MAX_URL) return send_plain(c, 414, "URL too long\n");
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > srv->max_body) {
            hr->too_big = 1;
            return send_plain(c, 413, "request body too large\n");
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (hr->too_big || hr->len + *upload_size > srv->max_body) {
            /* A chunked body that grows past the limit: drop it, answer 413
             * once it ends (the connection is closed after that). */
            hr->too_big = 1;
            free(hr->body);
            hr->body = NULL;
            hr->len = 0;
        } else {
            char *nb = realloc(hr->body, hr->len + *upload_size + 1);
            if (!nb) return MHD_NO;
            memcpy(nb + hr->len, upload_data, *upload_size);
            hr->body = nb;
            hr->len += *upload_size;
            hr->body[hr->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (hr->too_big) return send_plain(c, 413, "request body too large\n");

    field_list headers = {.n = 0}, query = {.n = 0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, collect, &headers);
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect, &query);
    srv_request req = {method, url, strlen(url), headers.v, headers.n, query.v, query.n,
                       hr->body, hr->len};
    srv_response r;
    srv_handle(srv->app, &req, &r);
    struct MHD_Response *resp;
    if (r.fd >= 0) {
        resp = MHD_create_response_from_fd(r.file_size, r.fd);
        if (resp) r.fd = -1;                        /* owned by the response now */
    } else {
        resp = MHD_create_response_from_buffer(r.body_len, r.body ? r.body : (void *)"", MHD_RESPMEM_MUST_COPY);
    }
    if (!resp) {
        srv_response_free(&r);
        return MHD_NO;
    }
    if (r.content_type) MHD_add_response_header(resp, "Content-Type", r.content_type);
    if (r.location[0]) MHD_add_response_header(resp, "Location", r.location);
    if (r.set_cookie[0]) MHD_add_response_header(resp, "Set-Cookie", r.set_cookie);
    if (r.allow) MHD_add_response_header(resp, "Allow", r.allow);
    security_headers(resp);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r.status, resp);
    MHD_destroy_response(resp);
    srv_response_free(&r);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    http_req *hr = *con_cls;
    if (!hr) return;
    free(hr->body);
    free(hr);
    *con_cls = NULL;
}

/* Fills a sockaddr for addr:port; 0, or -1 when addr is not an IP address. */
static int make_addr(const char *addr, int port, struct sockaddr_storage *ss, int *v6)
{
    memset(ss, 0, sizeof *ss);
    if (!addr || !strcmp(addr, "localhost")) addr = "127.0.0.1";
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *v6 = 0;
        return 0;
    }
    if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *v6 = 1;
        return 0;
    }
    return -1;
}

int srv_start(srv_app *app, const srv_config *cfg, srv_server **out, la_error *err)
{
    struct sockaddr_storage ss;
    int v6 = 0;
    *out = NULL;
    if (make_addr(cfg->bind, cfg->port, &ss, &v6))
        return la_error_set(err, LA_EUSAGE, NULL, 0, "--bind '%s' is not an IPv4 or IPv6 address", cfg->bind);
    srv_server *srv = la_calloc(1, sizeof *srv);
    if (!srv) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    srv->app = app;
    srv->max_body = cfg->max_body ? cfg->max_body : SRV_MAX_BODY_DEFAULT;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_AUTO;
    if (v6) flags |= MHD_USE_IPv6;
    srv->d = MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL, answer, srv,
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                              MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->threads > 0 ? cfg->threads : 4),
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONN,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT,
                              MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                              MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                              MHD_OPTION_END);
    if (!srv->d) {
        free(srv);
        return la_error_set(err, LA_EUSAGE, NULL, 0, "cannot listen on %s port %d (in use, or not an address of this machine?)",
                            cfg->bind ? cfg->bind : "127.0.0.1", cfg->port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : cfg->port;
    *out = srv;
    return 0;
}

int srv_port(const srv_server *srv)
{
    return srv->port;
}

void srv_stop(srv_server *srv)
{
    if (!srv) return;
    /* Stop accepting; requests being answered run to their end (a decision
     * is one transaction, committed before its reply is queued). */
    MHD_socket ls = MHD_quiesce_daemon(srv->d);
    if (ls != MHD_INVALID_SOCKET) close(ls);
    struct timespec tick = {0, 20 * 1000 * 1000};
    for (int i = 0; i < 100; i++) {                 /* at most 2 s for stragglers */
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (!info || info->num_connections == 0) break;
        nanosleep(&tick, NULL);
    }
    MHD_stop_daemon(srv->d);
    free(srv);
}
