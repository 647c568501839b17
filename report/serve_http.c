/*
 * serve_http.c — libmicrohttpd around srv_handle: collects a request (headers,
 * query, a size-limited body), hands it to the router and sends the answer
 * with security headers. We own the listening socket: a gate thread per new
 * connection peeks at the request line, the header block and the start of a
 * chunked body (bounded in time and size) and answers 400/413/414/431/505
 * itself, then closes, when they are malformed or ambiguous (serve_frame.c),
 * because libmicrohttpd 0.9.x drops some and misreads others. Every answer
 * says Connection: close, so a connection carries exactly one request and
 * nothing the gate did not judge is ever answered (no pipelined or smuggled
 * second request). Not here: what a request means (serve.c).
 */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HTTP_MAX_FIELDS 64          /* headers or query arguments kept       */
#define HTTP_TIMEOUT    15          /* seconds an idle connection may stay   */
#define HTTP_MAX_CONN   128
#define GATE_MAX        64          /* connections whose first line is awaited */
#define GATE_TIMEOUT    10.0        /* seconds to send the request line       */
#define GATE_LINE       8192        /* longest request line (then 414)        */
#define GATE_HEAD       16384       /* longest header block (then 431)        */
#define GATE_PEEK       65536       /* bytes the gate may look at             */

struct srv_server {
    struct MHD_Daemon *d;
    srv_app *app;
    size_t   max_body;
    int      port;
    int      lfd;                   /* our listening socket                    */
    int      wake[2];               /* pipe that stops the acceptor            */
    pthread_t acceptor;
    pthread_mutex_t mu;             /* guards gates                            */
    int      gates;                 /* gate threads running                    */
    int      stopping;              /* read/written with __atomic builtins     */
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

/* An error answered before the router: {"error": msg} like the API's. msg is
 * a literal without quotes or backslashes. */
static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
    char body[256];
    int n = snprintf(body, sizeof body, "{\"error\":\"%s\"}\n", msg);
    struct MHD_Response *resp = MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_COPY);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
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
    MHD_add_response_header(resp, "Connection", "close");
}

typedef struct framing_count {
    int host, te, cl;
    const char *cl_value;
    int cl_differs;
} framing_count;

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    framing_count *f = cls;
    (void)kind;
    if (!key) return MHD_YES;
    if (!strcasecmp(key, "Host")) f->host++;
    else if (!strcasecmp(key, "Transfer-Encoding")) f->te++;
    else if (!strcasecmp(key, "Content-Length")) {
        if (f->cl++ && (!value || !f->cl_value || strcmp(value, f->cl_value))) f->cl_differs = 1;
        f->cl_value = value;
    }
    return MHD_YES;
}

/* The gate judged the framing of the connection's first (and only) request;
 * this is the same check again on the headers libmicrohttpd parsed, so that
 * nothing ambiguous is answered even if a request got past the gate. */
static int framing_ambiguous(struct MHD_Connection *c, const char *version)
{
    framing_count f = {0, 0, 0, NULL, 0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, &f);
    int http11 = version && !strcmp(version, "HTTP/1.1");
    return f.cl_differs || (f.te && f.cl) || f.te > 1 || f.host > 1 || (http11 && f.host == 0);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_size,
                              void **con_cls)
{
    srv_server *srv = cls;
    http_req *hr = *con_cls;
    if (!hr) {
        /* First call: headers only. Refuse early what is too big to read. */
        if (!(hr = calloc(1, sizeof *hr))) return MHD_NO;
        *con_cls = hr;
        if (framing_ambiguous(c, version)) {
            hr->too_big = 2;
            return send_error(c, 400, "ambiguous message framing");
        }
        if (strlen(url) > SRV_MAX_URL) return send_error(c, 414, "URL too long");
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > srv->max_body) {
            hr->too_big = 1;
            return send_error(c, 413, "request body too large");
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
    if (hr->too_big == 2) return MHD_YES;           /* answered 400 already */
    if (hr->too_big) return send_error(c, 413, "request body too large");

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
static int make_addr(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    if (!addr || !strcmp(addr, "localhost")) addr = "127.0.0.1";
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *len = sizeof *a4;
        return 0;
    }
    if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *len = sizeof *a6;
        return 0;
    }
    return -1;
}

/* ---- the gate: request-line check before libmicrohttpd ------------------- */

typedef struct gate_arg {
    srv_server *srv;
    int fd;
    struct sockaddr_storage addr;
    socklen_t addrlen;
} gate_arg;

/* 0 when line (without CR LF) is "METHOD SP TARGET SP HTTP/1.x", else the
 * status to answer: 400 malformed, 505 another HTTP version. */
int srv_request_line_status(const char *line, size_t len)
{
    size_t i = 0, m = 0;
    while (i < len && line[i] >= 'A' && line[i] <= 'Z') i++;
    m = i;
    if (m == 0 || m > 16 || i >= len || line[i] != ' ') return 400;
    size_t t0 = ++i;
    while (i < len && line[i] != ' ') {
        unsigned char c = (unsigned char)line[i];
        if (c < 0x21 || c == 0x7f) return 400;
        i++;
    }
    if (i == t0 || i >= len) return 400;
    const char *v = line + i + 1;
    size_t vl = len - i - 1;
    if (vl != 8 || strncmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9')
        return 400;
    if (v[5] != '1' || (v[7] != '0' && v[7] != '1')) return 505;
    return 0;
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default:  return "Bad Request";
    }
}

/* Answers status with a short JSON body and closes, letting the client read it.
 * A 400 names its fault (why: a static phrase of srv_framing_check, or NULL). */
static void gate_reject(int fd, int status, const char *why)
{
    const char *reason = reason_phrase(status);
    char body[256], msg[640];
    int bn = status == 400 && why
        ? snprintf(body, sizeof body, "{\"error\":\"%s: %s\"}\n", reason, why)
        : snprintf(body, sizeof body, "{\"error\":\"%s\"}\n", reason);
    int n = snprintf(msg, sizeof msg, "HTTP/1.1 %d %s\r\nContent-Type: application/json; charset=utf-8\r\n"
                     "Content-Length: %d\r\nConnection: close\r\n\r\n%s", status, reason, bn, body);
    ssize_t w = send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)w;
    shutdown(fd, SHUT_WR);
    /* Read what the client still sends for a moment, so that closing with
     * unread input does not reset the connection before it saw the answer. */
    char sink[4096];
    double until = la_now() + 0.5;
    while (la_now() < until) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        ssize_t r = recv(fd, sink, sizeof sink, MSG_DONTWAIT);
        if (r <= 0) break;
    }
    close(fd);
}

static int stopping(srv_server *srv)
{
    return __atomic_load_n(&srv->stopping, __ATOMIC_SEQ_CST);
}

/* The end of the header block in buf[0..n) (just past the empty line), or 0. */
static size_t head_end(const char *buf, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (buf[i] != '\n') continue;
        if (buf[i + 1] == '\n') return i + 2;
        if (i + 2 < n && buf[i + 1] == '\r' && buf[i + 2] == '\n') return i + 3;
    }
    return 0;
}

/* Judges what has arrived so far: -1 wait for more, 0 hand over, else the
 * status to answer (request line, then header block, then chunked body),
 * with *why naming a framing fault (NULL otherwise). */
static int gate_judge(const srv_server *srv, const char *buf, size_t n, const char **why)
{
    *why = NULL;
    const char *nl = memchr(buf, '\n', n);
    if (!nl) return n >= GATE_LINE ? 414 : -1;
    size_t len = (size_t)(nl - buf);
    if (len >= GATE_LINE) return 414;
    if (len && buf[len - 1] == '\r') len--;
    int st = srv_request_line_status(buf, len);
    if (st) return st;
    size_t he = head_end(buf, n);
    if (!he) return n >= GATE_HEAD ? 431 : -1;
    st = srv_framing_check(buf, he, buf + he, n - he, srv->max_body, why);
    if (st != SRV_FRAMING_MORE) return st;
    /* A chunked body still arriving: wait for it unless the peek is full
     * (a body bigger than we may look at is left to the upload limit). */
    return n >= GATE_PEEK ? 0 : -1;
}

static void *gate_main(void *p)
{
    gate_arg *g = p;
    srv_server *srv = g->srv;
    char *buf = malloc(GATE_PEEK);
    double deadline = la_now() + GATE_TIMEOUT;
    ssize_t last = -1;
    int status = -1;                  /* -1 drop, 0 hand over, else answer */
    const char *why = NULL;           /* a 400's fault                     */
    while (buf && !stopping(srv)) {
        if (la_now() > deadline) {
            status = last > 0 ? 408 : -1;
            break;
        }
        struct pollfd pf = {g->fd, POLLIN, 0};
        int r = poll(&pf, 1, 100);
        if (r < 0 && errno != EINTR) break;
        if (r <= 0) continue;
        ssize_t n = recv(g->fd, buf, GATE_PEEK, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) break;   /* closed */
        if (n < 0) continue;
        if (n != last && (status = gate_judge(srv, buf, (size_t)n, &why)) >= 0) break;
        status = -1;
        if (n == last) {              /* nothing new: do not spin on peeked bytes */
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        last = n;
    }
    free(buf);
    if (status == 0 && !stopping(srv)) {
        /* libmicrohttpd owns (and closes) the socket from here on. */
        MHD_add_connection(srv->d, g->fd, (const struct sockaddr *)&g->addr, g->addrlen);
    } else if (status > 0) {
        gate_reject(g->fd, status, why);
    } else {
        close(g->fd);
    }
    free(g);
    pthread_mutex_lock(&srv->mu);
    srv->gates--;
    pthread_mutex_unlock(&srv->mu);
    return NULL;
}

static void *acceptor_main(void *p)
{
    srv_server *srv = p;
    while (!stopping(srv)) {
        struct pollfd pf[2] = {{srv->lfd, POLLIN, 0}, {srv->wake[0], POLLIN, 0}};
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (pf[1].revents) break;
        if (!(pf[0].revents & POLLIN)) continue;
        gate_arg *g = calloc(1, sizeof *g);
        if (!g) continue;
        g->srv = srv;
        g->addrlen = sizeof g->addr;
        g->fd = accept4(srv->lfd, (struct sockaddr *)&g->addr, &g->addrlen, SOCK_CLOEXEC);
        if (g->fd < 0) {
            free(g);
            if (errno == EMFILE || errno == ENFILE) {
                struct timespec ts = {0, 50 * 1000 * 1000};
                nanosleep(&ts, NULL);
            }
            continue;
        }
        pthread_mutex_lock(&srv->mu);
        int full = srv->gates >= GATE_MAX;
        if (!full) srv->gates++;
        pthread_mutex_unlock(&srv->mu);
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (full || pthread_create(&t, &attr, gate_main, g) != 0) {
            if (!full) {
                pthread_mutex_lock(&srv->mu);
                srv->gates--;
                pthread_mutex_unlock(&srv->mu);
            }
            send(g->fd, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 74,
                 MSG_NOSIGNAL | MSG_DONTWAIT);
            close(g->fd);
            free(g);
        }
        pthread_attr_destroy(&attr);
    }
    return NULL;
}

/* ---- start and stop ------------------------------------------------------- */

static int listen_on(const srv_config *cfg, int *port, la_error *err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    const char *bind_addr = cfg->bind ? cfg->bind : "127.0.0.1";
    if (make_addr(bind_addr, cfg->port, &ss, &len))
        return -la_error_set(err, LA_EUSAGE, NULL, 0, "--bind '%s' is not an IPv4 or IPv6 address", bind_addr);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -la_error_set(err, LA_EINTERNAL, NULL, 0, "socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 128) != 0) {
        int e = errno;
        close(fd);
        return -la_error_set(err, LA_EUSAGE, NULL, 0, "cannot listen on %s port %d: %s", bind_addr, cfg->port,
                             strerror(e));
    }
    len = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &len);
    *port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                           : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

int srv_start(srv_app *app, const srv_config *cfg, srv_server **out, la_error *err)
{
    *out = NULL;
    srv_server *srv = la_calloc(1, sizeof *srv);
    if (!srv) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    srv->app = app;
    srv->max_body = cfg->max_body ? cfg->max_body : SRV_MAX_BODY_DEFAULT;
    srv->wake[0] = srv->wake[1] = -1;
    pthread_mutex_init(&srv->mu, NULL);
    srv->lfd = listen_on(cfg, &srv->port, err);
    if (srv->lfd < 0) {
        pthread_mutex_destroy(&srv->mu);
        free(srv);
        return err->status;
    }
    if (pipe2(srv->wake, O_CLOEXEC) != 0) {
        la_error_set(err, LA_EINTERNAL, NULL, 0, "pipe: %s", strerror(errno));
        goto fail;
    }
    srv->d = MHD_start_daemon(MHD_USE_NO_LISTEN_SOCKET | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_AUTO,
                              0, NULL, NULL, answer, srv,
                              MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->threads > 0 ? cfg->threads : 4),
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONN,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT,
                              MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                              MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                              MHD_OPTION_END);
    if (!srv->d) {
        la_error_set(err, LA_EINTERNAL, NULL, 0, "cannot start the HTTP server (libmicrohttpd)");
        goto fail;
    }
    if (pthread_create(&srv->acceptor, NULL, acceptor_main, srv) != 0) {
        la_error_set(err, LA_EINTERNAL, NULL, 0, "cannot start the acceptor thread");
        MHD_stop_daemon(srv->d);
        goto fail;
    }
    srv_app_set_port(app, srv->port);
    *out = srv;
    return 0;
fail:
    close(srv->lfd);
    if (srv->wake[0] >= 0) close(srv->wake[0]);
    if (srv->wake[1] >= 0) close(srv->wake[1]);
    pthread_mutex_destroy(&srv->mu);
    free(srv);
    return err->status;
}

int srv_port(const srv_server *srv)
{
    return srv->port;
}

void srv_stop(srv_server *srv)
{
    if (!srv) return;
    /* 1. stop accepting: the acceptor exits, the listening socket closes.
     * 2. gates notice `stopping` within 100 ms and drop what they hold.
     * 3. requests being answered run to their end (a decision is one
     *    transaction, committed before its reply is queued); idle keep-alive
     *    connections get at most 2 s, then libmicrohttpd closes them. */
    __atomic_store_n(&srv->stopping, 1, __ATOMIC_SEQ_CST);
    ssize_t w = write(srv->wake[1], "x", 1);
    (void)w;
    pthread_join(srv->acceptor, NULL);
    close(srv->lfd);
    struct timespec tick = {0, 20 * 1000 * 1000};
    for (;;) {                      /* bounded: a gate ends within ~0.6 s */
        pthread_mutex_lock(&srv->mu);
        int g = srv->gates;
        pthread_mutex_unlock(&srv->mu);
        if (g == 0) break;
        nanosleep(&tick, NULL);
    }
    for (int i = 0; i < 100; i++) {
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (!info || info->num_connections == 0) break;
        nanosleep(&tick, NULL);
    }
    MHD_stop_daemon(srv->d);
    close(srv->wake[0]);
    close(srv->wake[1]);
    pthread_mutex_destroy(&srv->mu);
    free(srv);
}
