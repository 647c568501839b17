/*
 * serve_auth.c — the review server's reviewers and sessions: the reviewers
 * file, tokens, the ?token= exchange for a session cookie, bearer tokens, and
 * the checks a POST passes (CSRF, Origin, Content-Type).
 * Why a file and not tokens in the database: the database is the shared
 * review artifact (copied, exported, attached to CI runs) and must carry no
 * credential; a reviewers file stays with whoever runs serve, mode 0600.
 * Invariant: a session id and its CSRF token are random per session and live
 * only in this process; a cookie never holds a reviewer's token.
 */
#include "serve_auth.h"
#include "serve_reply.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "../db/db.h"

#define TOKEN_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~-"
#define SID_HEX     64            /* a session id: 32 random bytes in hex      */
#define REVIEWERS_LINE 1024       /* longest line of a reviewers file          */

typedef struct session {
    char     sid[SID_HEX + 1];    /* "" = free slot                            */
    char     csrf[SID_HEX + 1];
    size_t   reviewer;            /* index into reviewers                      */
    uint64_t used;                /* tick of the last use, for eviction        */
} session;

struct srv_auth {
    srv_reviewers   rv;
    pthread_mutex_t mu;           /* guards sessions and tick                  */
    session         sessions[SRV_MAX_SESSIONS];
    uint64_t        tick;
};

/* ---- tokens and names -------------------------------------------------------- */

int srv_secret_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = (unsigned char)(la != lb);
    /* Compare over the longer length so the time does not leak the prefix. */
    size_t n = la > lb ? la : lb;
    for (size_t i = 0; i < n; i++) {
        unsigned char x = i < la ? (unsigned char)a[i] : 0;
        unsigned char y = i < lb ? (unsigned char)b[i] : 0;
        d |= x ^ y;
    }
    return d == 0;
}


int srv_token_valid(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    return n >= SRV_TOKEN_MIN && n <= SRV_TOKEN_MAX && strspn(t, TOKEN_CHARS) == n;
}

int srv_reviewer_valid(const char *s)
{
    if (!s || !s[0] || strlen(s) > DB_MAX_REVIEWER) return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return 0;
    return 1;
}

int srv_mint_token(char out[65])
{
    unsigned char buf[32];
    size_t got = 0;
    while (got < sizeof buf) {
        ssize_t r = getrandom(buf + got, sizeof buf - got, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        got += (size_t)r;
    }
    for (size_t i = 0; i < sizeof buf; i++) snprintf(out + 2 * i, 3, "%02x", buf[i]);
    return 0;
}

/* ---- the reviewers list ------------------------------------------------------- */

int srv_reviewers_add(srv_reviewers *rv, const char *name, const char *token, la_error *err)
{
    if (!srv_reviewer_valid(name))
        return la_error_set(err, LA_EUSAGE, NULL, 0, "reviewer name must be 1..%d bytes without control characters",
                            DB_MAX_REVIEWER);
    if (!srv_token_valid(token))
        return la_error_set(err, LA_EUSAGE, NULL, 0, "token of reviewer '%s' must be %d..%d characters from"
                            " A-Z a-z 0-9 . _ ~ -", name, SRV_TOKEN_MIN, SRV_TOKEN_MAX);
    for (size_t i = 0; i < rv->n; i++) {
        if (!strcmp(rv->v[i].name, name))
            return la_error_set(err, LA_EUSAGE, NULL, 0, "reviewer '%s' is listed twice", name);
        if (srv_secret_equal(rv->v[i].token, token))
            return la_error_set(err, LA_EUSAGE, NULL, 0, "reviewers '%s' and '%s' have the same token",
                                rv->v[i].name, name);
    }
    srv_reviewer *nv = realloc(rv->v, (rv->n + 1) * sizeof *nv);
    if (!nv) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    rv->v = nv;
    nv[rv->n].name = la_strdup(name);
    nv[rv->n].token = la_strdup(token);
    if (!nv[rv->n].name || !nv[rv->n].token) {
        free(nv[rv->n].name);
        free(nv[rv->n].token);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    rv->n++;
    return 0;
}

void srv_reviewers_free(srv_reviewers *rv)
{
    if (!rv) return;
    for (size_t i = 0; i < rv->n; i++) {
        free(rv->v[i].name);
        free(rv->v[i].token);
    }
    free(rv->v);
    rv->v = NULL;
    rv->n = 0;
}

/* Splits one line into name and token in place; 0, or -1 with a reason. */
static int split_line(char *line, char **name, char **token, const char **why)
{
    size_t n = strcspn(line, "\r\n");
    line[n] = '\0';
    while (n && (line[n - 1] == ' ' || line[n - 1] == '\t')) line[--n] = '\0';
    char *sp = n ? line + n : NULL;
    while (sp && sp > line && sp[-1] != ' ' && sp[-1] != '\t') sp--;
    if (!sp || sp == line) {
        *why = "expected NAME TOKEN";
        return -1;
    }
    *token = sp;
    char *end = sp;
    while (end > line && (end[-1] == ' ' || end[-1] == '\t')) end--;
    *end = '\0';
    while (*line == ' ' || *line == '\t') line++;
    *name = line;
    return 0;
}

int srv_reviewers_load(const char *path, srv_reviewers *out, la_error *err)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(path, &st) != 0) return la_error_set(err, LA_EUSAGE, path, 0, "cannot read: %s", strerror(errno));
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        return la_error_set(err, LA_EUSAGE, path, 0, "holds tokens but others may read it (chmod 600 %s)", path);
    FILE *fp = fopen(path, "r");
    if (!fp) return la_error_set(err, LA_EUSAGE, path, 0, "cannot read: %s", strerror(errno));
    char line[REVIEWERS_LINE];
    long lineno = 0;
    int rc = 0;
    while (!rc && fgets(line, sizeof line, fp)) {
        lineno++;
        char *p = line, *name, *token;
        const char *why = NULL;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '#' || *p == '\n' || *p == '\r' || !*p) continue;
        if (!strchr(line, '\n') && !feof(fp)) why = "line too long";
        else if (split_line(line, &name, &token, &why) == 0 && srv_reviewers_add(out, name, token, err)) {
            if (err->status == LA_EUSAGE) {
                char msg[sizeof err->msg];
                snprintf(msg, sizeof msg, "%s", err->msg);
                la_error_set(err, LA_EUSAGE, path, lineno, "%s", msg);
            }
            rc = err->status;
        }
        if (why) rc = la_error_set(err, LA_EUSAGE, path, lineno, "%s", why);
    }
    fclose(fp);
    if (!rc && out->n == 0) rc = la_error_set(err, LA_EUSAGE, path, 0, "lists no reviewer (lines: NAME TOKEN)");
    if (rc) srv_reviewers_free(out);
    return rc;
}

/* ---- the auth object --------------------------------------------------------- */

int srv_auth_open(const char *token, const char *reviewer, const srv_reviewers *more, srv_auth **out,
                  la_error *err)
{
    *out = NULL;
    srv_auth *a = la_calloc(1, sizeof *a);
    if (!a) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    pthread_mutex_init(&a->mu, NULL);
    int rc = 0;
    if (token) rc = srv_reviewers_add(&a->rv, reviewer ? reviewer : "reviewer", token, err);
    for (size_t i = 0; !rc && more && i < more->n; i++)
        rc = srv_reviewers_add(&a->rv, more->v[i].name, more->v[i].token, err);
    if (!rc && a->rv.n == 0)
        rc = la_error_set(err, LA_EUSAGE, NULL, 0, "no reviewer: give a token or a reviewers file");
    if (rc) {
        srv_auth_close(a);
        return rc;
    }
    *out = a;
    return 0;
}

void srv_auth_close(srv_auth *a)
{
    if (!a) return;
    srv_reviewers_free(&a->rv);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

size_t srv_auth_count(const srv_auth *a)
{
    return a->rv.n;
}

/* The reviewer whose token is t, or -1. Every token is compared (in constant
 * time each), so the time does not say which reviewer nearly matched. */
static long find_token(const srv_auth *a, const char *t)
{
    long hit = -1;
    for (size_t i = 0; i < a->rv.n; i++)
        if (srv_secret_equal(t, a->rv.v[i].token) && hit < 0) hit = (long)i;
    return hit;
}

/* The value of cookie `name` in a Cookie header, copied into out. */
static int cookie(const srv_request *req, const char *name, char *out, size_t outsz)
{
    const char *c = srv_req_header(req, "Cookie");
    size_t n = strlen(name);
    while (c && *c) {
        while (*c == ' ' || *c == ';') c++;
        const char *end = strchr(c, ';');
        size_t len = end ? (size_t)(end - c) : strlen(c);
        if (len > n && strncmp(c, name, n) == 0 && c[n] == '=') {
            size_t vlen = len - n - 1;
            if (vlen >= outsz) return 0;
            memcpy(out, c + n + 1, vlen);
            out[vlen] = '\0';
            return 1;
        }
        c = end;
    }
    return 0;
}

/* A new session for reviewer i, evicting the least recently used when the
 * table is full. 0 and the slot's sid/csrf copied out, or -1. */
static int session_new(srv_auth *a, size_t i, char sid[SID_HEX + 1], char csrf[SID_HEX + 1])
{
    char s[65], c[65];
    if (srv_mint_token(s) || srv_mint_token(c)) return -1;
    pthread_mutex_lock(&a->mu);
    size_t slot = 0;
    for (size_t k = 0; k < SRV_MAX_SESSIONS; k++) {
        if (!a->sessions[k].sid[0]) { slot = k; break; }
        if (a->sessions[k].used < a->sessions[slot].used) slot = k;
    }
    session *se = &a->sessions[slot];
    memcpy(se->sid, s, sizeof se->sid);
    memcpy(se->csrf, c, sizeof se->csrf);
    se->reviewer = i;
    se->used = ++a->tick;
    pthread_mutex_unlock(&a->mu);
    memcpy(sid, s, SID_HEX + 1);
    memcpy(csrf, c, SID_HEX + 1);
    return 0;
}

/* The session of id sid: fills who and returns 0, or -1 when unknown. */
static int session_find(srv_auth *a, const char *sid, srv_who *who)
{
    int found = -1;
    pthread_mutex_lock(&a->mu);
    for (size_t k = 0; k < SRV_MAX_SESSIONS; k++) {
        session *se = &a->sessions[k];
        if (!se->sid[0] || !srv_secret_equal(se->sid, sid)) continue;
        se->used = ++a->tick;
        who->reviewer = a->rv.v[se->reviewer].name;
        memcpy(who->csrf, se->csrf, sizeof who->csrf);
        who->via_cookie = 1;
        found = 0;
        break;
    }
    pthread_mutex_unlock(&a->mu);
    return found;
}

/* GET /?token=T: a session for T's reviewer in a cookie, then 303 to / so
 * the token leaves the address bar (and history, and Referer). */
static int token_visit(srv_auth *a, int port, const char *t, srv_response *r)
{
    long i = find_token(a, t);
    if (i < 0) {
        srv_reply_error(r, 403, "wrong token");
        return -1;
    }
    char sid[SID_HEX + 1], csrf[SID_HEX + 1];
    if (session_new(a, (size_t)i, sid, csrf)) {
        srv_reply_error(r, 500, "no random bytes for a session");
        return -1;
    }
    snprintf(r->set_cookie, sizeof r->set_cookie, "la_session_%d=%s; Path=/; HttpOnly; SameSite=Strict",
             port, sid);
    snprintf(r->location, sizeof r->location, "/");
    srv_reply_text(r, 303, "see /");
    return -1;
}

int srv_auth_request(srv_auth *a, int port, const srv_request *req, srv_who *who, srv_response *r)
{
    memset(who, 0, sizeof *who);
    const char *q = srv_req_query(req, "token");
    if (q && (!strcmp(req->method, "GET") || !strcmp(req->method, "HEAD"))) return token_visit(a, port, q, r);
    const char *h = srv_req_header(req, "Authorization"), *given = NULL;
    if (h && strncasecmp(h, "Bearer ", 7) == 0) given = h + 7;
    else if ((h = srv_req_header(req, "X-Token"))) given = h;
    if (given) {
        long i = find_token(a, given);
        if (i < 0) {
            srv_reply_error(r, 403, "wrong token");
            return -1;
        }
        who->reviewer = a->rv.v[i].name;
        return 0;
    }
    char name[32], sid[SID_HEX + 8];
    snprintf(name, sizeof name, "la_session_%d", port);
    if (cookie(req, name, sid, sizeof sid)) {
        if (session_find(a, sid, who) == 0) return 0;
        srv_reply_error(r, 403, "unknown or expired session: open the ?token= address again");
        return -1;
    }
    srv_reply_error(r, 401, "token required: open the address serve printed (/?token=T) once,"
                            " or send 'Authorization: Bearer T'");
    return -1;
}

/* ---- POST checks ---------------------------------------------------------------- */

int srv_content_type_json(const char *ct)
{
    static const char want[] = "application/json";
    if (!ct) return 0;
    while (*ct == ' ' || *ct == '\t') ct++;
    if (strncasecmp(ct, want, sizeof want - 1) != 0) return 0;
    ct += sizeof want - 1;
    while (*ct == ' ' || *ct == '\t') ct++;
    return *ct == '\0' || *ct == ';';
}

/* The port of a Host value ("name", "name:port", "[v6]:port"); 80 when
 * absent, -1 when malformed. */
static long host_port(const char *host)
{
    const char *colon = host[0] == '[' ? strchr(host, ']') : host;
    if (!colon) return -1;
    colon = strchr(colon, ':');
    if (!colon) return 80;
    if (!colon[1] || strlen(colon + 1) > 5) return -1;
    for (const char *p = colon + 1; *p; p++)
        if (!isdigit((unsigned char)*p)) return -1;
    return strtol(colon + 1, NULL, 10);
}

int srv_origin_ok(const char *origin, const char *host, int port)
{
    static const char scheme[] = "http://";
    if (!origin || !host || !host[0]) return 0;
    if (strncasecmp(origin, scheme, sizeof scheme - 1) != 0) return 0;
    if (strcasecmp(origin + sizeof scheme - 1, host) != 0) return 0;
    return host_port(host) == port;
}

int srv_auth_post(const srv_who *who, int port, const srv_request *req, srv_response *r)
{
    if (who->via_cookie) {
        const char *t = srv_req_header(req, "X-CSRF-Token");
        if (!t || !srv_secret_equal(t, who->csrf)) {
            srv_reply_error(r, 403, "missing or wrong X-CSRF-Token");
            return -1;
        }
    }
    const char *origin = srv_req_header(req, "Origin");
    if (origin && !srv_origin_ok(origin, srv_req_header(req, "Host"), port)) {
        srv_reply_error(r, 403, "cross-origin request refused (Origin must be this server: http://HOST:PORT)");
        return -1;
    }
    if (!srv_content_type_json(srv_req_header(req, "Content-Type"))) {
        srv_reply_error(r, 415, "Content-Type must be application/json");
        return -1;
    }
    return 0;
}
