/*
 * fuzz_serve.c — libFuzzer target for the review server's request handling
 * (report/serve.h). The input is one raw HTTP/1.x request; this harness
 * splits it the way libmicrohttpd would (request line, headers, percent-
 * decoded path and query, body) and hands it to srv_handle, after checking
 * the request line with srv_request_line_status and the path and Host with
 * the pure helpers.
 *
 * The database: $LA_FUZZ_DB (built by run.sh from a hostile-names manifest),
 * copied once into a private directory; image root: $LA_FUZZ_ROOT. Two apps
 * answer (every app has a reviewer token now): app 0, whose requests get
 * "Authorization: Bearer <its token>" added when they carry none (so the
 * handlers behind authentication are reached), and app 1 with token
 * "fuzz-token-for-app-1", which must come with the request (chosen by an
 * "X-Fuzz-App: token" header). The literal "{{CSRF}}" in a header value
 * becomes the app's token. The header block also goes through
 * srv_framing_status. Without $LA_FUZZ_DB only the pure helpers run.
 */
#include "fuzz_common.h"
#include <ctype.h>
#include <strings.h>
#include "../../report/serve.h"

static srv_app *apps[2];
#define FUZZ_TOKEN_0 "fuzz-token-for-app-0"
#define FUZZ_TOKEN_1 "fuzz-token-for-app-1"

static void serve_setup(void)
{
    static int done;
    if (done) return;
    done = 1;
    const char *db = getenv("LA_FUZZ_DB");
    if (!db || !*db) return;
    char copy[512], cmd[1200];
    snprintf(copy, sizeof copy, "%s/review.db", fz_tmpdir());
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", db, copy);
    if (system(cmd)) { fprintf(stderr, "fuzz_serve: cannot copy %s\n", db); abort(); }
    for (int i = 0; i < 2; i++) {
        srv_config cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.db_path = copy;
        cfg.root = getenv("LA_FUZZ_ROOT");
        cfg.token = i ? FUZZ_TOKEN_1 : FUZZ_TOKEN_0;
        cfg.reviewer = i ? "fuzz-1" : "fuzz-0";
        la_error err;
        la_error_clear(&err);
        if (srv_app_open(&cfg, &apps[i], &err)) {
            fprintf(stderr, "fuzz_serve: %s: %s\n", err.file, err.msg);
            abort();
        }
    }
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* In-place percent-decoding ('+' stays, as libmicrohttpd does for paths). */
static void pct_decode(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
            *o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
            s += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
}

#define MAXH 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    serve_setup();
    if (size > 65536) return 0;
    char *buf = malloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = '\0';

    /* request line */
    char *eol = memchr(buf, '\n', size);
    size_t ll = eol ? (size_t)(eol - buf) : size;
    if (ll && buf[ll - 1] == '\r') ll--;
    int st = srv_request_line_status(buf, ll);
    char *rest = eol ? eol + 1 : buf + size;
    buf[ll] = '\0';
    char *sp1 = strchr(buf, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (st != 0 || !sp1 || !sp2) goto done;
    *sp1 = '\0';
    *sp2 = '\0';
    char *method = buf, *target = sp1 + 1;
    size_t url_len = strlen(target);

    /* headers up to the blank line; the body is what follows */
    srv_header hs[MAXH], qs[MAXH];
    size_t nh = 0, nq = 0;
    char *body = buf + size;
    int token_app = 0;
    char *csrf_vals[MAXH];
    size_t ncsrf = 0;
    while (rest < buf + size) {
        char *e = strchr(rest, '\n');
        char *next = e ? e + 1 : buf + size;
        if (e) *e = '\0';
        size_t n = strlen(rest);
        if (n && rest[n - 1] == '\r') rest[--n] = '\0';
        if (n == 0) { body = next; break; }
        char *colon = strchr(rest, ':');
        if (colon && nh < MAXH) {
            *colon = '\0';
            char *v = colon + 1;
            while (*v == ' ' || *v == '\t') v++;
            if (!strcasecmp(rest, "X-Fuzz-App")) token_app = !strcmp(v, "token");
            char *c = strstr(v, "{{CSRF}}");
            if (c && apps[0]) {
                const char *tok = token_app ? FUZZ_TOKEN_1 : FUZZ_TOKEN_0;
                size_t need = strlen(v) + strlen(tok) + 1;
                char *nv = malloc(need);
                snprintf(nv, need, "%.*s%s%s", (int)(c - v), v, tok, c + 8);
                csrf_vals[ncsrf++] = nv;
                v = nv;
            }
            hs[nh].name = rest;
            hs[nh].value = v;
            nh++;
        }
        rest = next;
    }
    size_t body_len = (size_t)(buf + size - body);
    srv_framing_status((const char *)data, (size_t)(body - buf) <= size ? (size_t)(body - buf) : size,
                       (const char *)data + (body - buf), body_len, 16384);
    int has_auth = 0;
    for (size_t i = 0; i < nh; i++) has_auth |= !strcasecmp(hs[i].name, "Authorization");
    if (!token_app && !has_auth && nh < MAXH) hs[nh++] = (srv_header){"Authorization", "Bearer " FUZZ_TOKEN_0};

    /* path and query */
    char *q = strchr(target, '?');
    if (q) {
        *q++ = '\0';
        while (q && *q && nq < MAXH) {
            char *amp = strchr(q, '&');
            if (amp) *amp = '\0';
            char *eq = strchr(q, '=');
            if (eq) *eq = '\0';
            pct_decode(q);
            if (eq) pct_decode(eq + 1);
            qs[nq].name = q;
            qs[nq].value = eq ? eq + 1 : "";
            nq++;
            q = amp ? amp + 1 : NULL;
        }
    }
    pct_decode(target);
    srv_path_safe(target[0] == '/' ? target + 1 : target);
    for (size_t i = 0; i < nh; i++)
        if (!strcasecmp(hs[i].name, "Host")) srv_host_is_loopback(hs[i].value);

    if (apps[0]) {
        srv_request req;
        memset(&req, 0, sizeof req);
        req.method = method;
        req.path = target;
        req.url_len = url_len;
        req.headers = hs; req.n_headers = nh;
        req.query = qs; req.n_query = nq;
        req.body = body; req.body_len = body_len;
        srv_response resp;
        srv_handle(apps[token_app], &req, &resp);
        if (resp.status < 200 || resp.status > 599) abort();
        srv_response_free(&resp);
    }
    for (size_t i = 0; i < ncsrf; i++) free(csrf_vals[i]);
done:
    free(buf);
    return 0;
}
