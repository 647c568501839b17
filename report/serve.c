/*
 * serve.c — the review application's router: authentication (token, Host
 * check, CSRF), the JSON API over the review queue, and image files from
 * inside the dataset root. No sockets here (see serve_http.c), so tests and
 * fuzzers call srv_handle directly.
 * Invariant: every answer is a complete response; every database call runs
 * under app->lock on the app's one connection, each decision in its own
 * transaction (db_decide / db_undo_last).
 */
#include "serve.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "../db/db.h"
#include "../util/la_json.h"
#include "review.h"

struct srv_app {
    sqlite3        *db;
    pthread_mutex_t lock;          /* serializes every use of db              */
    db_run          run;           /* the run under review (class names, k)   */
    int64_t         queue_size;
    char           *root;          /* realpath of the image root, or NULL     */
    char           *token;         /* NULL when none is required              */
    char            csrf[65];      /* hex, random per process                 */
};

/* ---- pure helpers ---------------------------------------------------------- */

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

int srv_is_loopback(const char *addr)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (!addr) return 1;
    if (strcmp(addr, "localhost") == 0) return 1;
    if (inet_pton(AF_INET, addr, &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &a6) == 1) return memcmp(&a6, &in6addr_loopback, sizeof a6) == 0;
    return 0;
}

int srv_host_is_loopback(const char *host)
{
    char h[256];
    if (!host || strlen(host) >= sizeof h) return 0;
    snprintf(h, sizeof h, "%s", host);
    char *end;
    if (h[0] == '[') {                               /* [::1]:port */
        end = strchr(h, ']');
        if (!end || (end[1] && end[1] != ':')) return 0;
        *end = '\0';
        return srv_is_loopback(h + 1) && strchr(h + 1, ':');
    }
    if ((end = strchr(h, ':'))) {
        for (const char *p = end + 1; *p; p++)
            if (!isdigit((unsigned char)*p)) return 0;
        *end = '\0';
    }
    for (char *p = h; *p; p++) *p = (char)tolower((unsigned char)*p);
    if (!strcmp(h, "localhost")) return 1;
    struct in_addr a4;
    return inet_pton(AF_INET, h, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

int srv_path_safe(const char *rel)
{
    if (!rel || !rel[0] || rel[0] == '/') return 0;
    const char *seg = rel;
    for (const char *p = rel;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '/' || c == '\0') {
            size_t len = (size_t)(p - seg);
            if (len == 0) return 0;                              /* "//" or trailing / */
            if (len == 1 && seg[0] == '.') return 0;
            if (len == 2 && seg[0] == '.' && seg[1] == '.') return 0;
            if (c == '\0') return 1;
            seg = p + 1;
            continue;
        }
        if (c < 0x20 || c == 0x7f || c == '\\') return 0;
    }
}

int srv_resolve_under(const char *root_real, const char *rel, char *out, size_t outsz)
{
    char joined[PATH_MAX], real[PATH_MAX];
    if (!root_real || !srv_path_safe(rel)) return 403;
    if (la_path_join(joined, sizeof joined, root_real, rel)) return 403;
    if (!realpath(joined, real)) return errno == ENOENT || errno == ENOTDIR ? 404 : 403;
    size_t n = strlen(root_real);
    /* Inside means root + '/' + something: a symlink to a sibling folder
     * named like the root plus a suffix must not pass a bare prefix test. */
    if (strncmp(real, root_real, n) != 0 || (real[n] != '/' && !(n == 1 && root_real[0] == '/')))
        return 403;
    struct stat st;
    if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) return 404;
    if (strlen(real) >= outsz) return 403;
    memcpy(out, real, strlen(real) + 1);
    return 0;
}

/* ---- app ------------------------------------------------------------------- */

static int random_hex(char *out, size_t nbytes)
{
    unsigned char buf[64];
    size_t got = 0;
    if (nbytes > sizeof buf) return -1;
    while (got < nbytes) {
        ssize_t r = getrandom(buf + got, nbytes - got, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        got += (size_t)r;
    }
    for (size_t i = 0; i < nbytes; i++) snprintf(out + 2 * i, 3, "%02x", buf[i]);
    return 0;
}

/* The folder images are relative to: --root, else the run's dataset path
 * (a folder) or the folder holding it (a manifest file). NULL when none. */
static char *find_root(const char *override, const char *dataset_path)
{
    char buf[PATH_MAX], real[PATH_MAX];
    struct stat st;
    const char *p = override ? override : dataset_path;
    if (!p || !p[0] || strlen(p) >= sizeof buf) return NULL;
    snprintf(buf, sizeof buf, "%s", p);
    if (!override && (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))) {
        char *slash = strrchr(buf, '/');
        if (!slash) snprintf(buf, sizeof buf, ".");
        else if (slash == buf) buf[1] = '\0';
        else *slash = '\0';
    }
    if (!realpath(buf, real) || stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) return NULL;
    return la_strdup(real);
}

int srv_app_open(const srv_config *cfg, srv_app **out, la_error *err)
{
    *out = NULL;
    srv_app *app = la_calloc(1, sizeof *app);
    if (!app) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    pthread_mutex_init(&app->lock, NULL);
    int64_t run_id = cfg->run_id;
    if (db_open(cfg->db_path, &app->db, err)) goto fail;
    if (run_id <= 0 && db_review_run(app->db, &run_id, err)) goto fail;
    if (db_load_run(app->db, run_id, &app->run, err)) goto fail;
    if (db_count_flagged(app->db, run_id, -1, &app->queue_size, err)) goto fail;
    app->root = find_root(cfg->root, app->run.dataset_path);
    if (cfg->root && !app->root) {
        la_error_set(err, LA_EUSAGE, cfg->root, 0, "--root is not a readable folder");
        goto fail;
    }
    if (cfg->token && !(app->token = la_strdup(cfg->token))) goto oom;
    if (random_hex(app->csrf, 32)) {
        la_error_set(err, LA_EINTERNAL, NULL, 0, "no random bytes for the CSRF token");
        goto fail;
    }
    *out = app;
    return 0;
oom:
    la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
fail:
    srv_app_close(app);
    return err->status ? err->status : LA_EINTERNAL;
}

void srv_app_close(srv_app *app)
{
    if (!app) return;
    db_run_free(&app->run);
    db_close(app->db);
    pthread_mutex_destroy(&app->lock);
    free(app->root);
    free(app->token);
    free(app);
}

int64_t srv_app_run(const srv_app *app) { return app->run.id; }
int64_t srv_app_queue_size(const srv_app *app) { return app->queue_size; }
const char *srv_app_root(const srv_app *app) { return app->root ? app->root : ""; }
const char *srv_app_csrf(const srv_app *app) { return app->csrf; }

/* ---- responses ------------------------------------------------------------- */

void srv_response_free(srv_response *resp)
{
    if (!resp) return;
    free(resp->body);
    if (resp->fd >= 0) close(resp->fd);
    resp->body = NULL;
    resp->fd = -1;
}

static void reply_text(srv_response *r, int status, const char *msg)
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
static void reply_json(srv_response *r, int status, json_t *j)
{
    r->status = status;
    r->content_type = "application/json; charset=utf-8";
    char *s = la_json_text(j, LA_JSON_WIRE);
    json_decref(j);
    if (!s) {
        reply_text(r, 500, "out of memory");
        return;
    }
    size_t n = 0, extra = 0;
    for (const char *p = s; *p; p++, n++) extra += (*p == '<' || *p == '>' || *p == '&') ? 5 : 0;
    r->body = malloc(n + extra + 1);
    if (!r->body) {
        free(s);
        reply_text(r, 500, "out of memory");
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

static void reply_error(srv_response *r, int status, const char *msg)
{
    reply_json(r, status, json_pack("{s:s}", "error", msg));
}

/* ---- request accessors ----------------------------------------------------- */

static const char *header(const srv_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (req->headers[i].name && strcasecmp(req->headers[i].name, name) == 0) return req->headers[i].value;
    return NULL;
}

static const char *query(const srv_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_query; i++)
        if (req->query[i].name && strcmp(req->query[i].name, name) == 0)
            return req->query[i].value ? req->query[i].value : "";
    return NULL;
}

/* The value of cookie `name` in a Cookie header, copied into out. */
static int cookie(const srv_request *req, const char *name, char *out, size_t outsz)
{
    const char *c = header(req, "Cookie");
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

/* ---- authentication -------------------------------------------------------- */

/* Returns 0 when the request may proceed, else fills r (401/403/303). */
static int authenticate(srv_app *app, const srv_request *req, srv_response *r)
{
    if (!app->token) {
        /* Loopback without token: refuse foreign Host names, so a web page
         * elsewhere cannot reach this server through DNS rebinding. */
        if (!srv_host_is_loopback(header(req, "Host"))) {
            reply_error(r, 403, "Host must be a loopback name (localhost, 127.0.0.1, [::1])");
            return -1;
        }
        return 0;
    }
    const char *q = query(req, "token");
    if (q && (!strcmp(req->method, "GET") || !strcmp(req->method, "HEAD"))) {
        if (!srv_secret_equal(q, app->token)) {
            reply_error(r, 403, "wrong token");
            return -1;
        }
        /* First visit with ?token=: remember it in a cookie and drop it from
         * the address bar (and from history and Referer). */
        snprintf(r->set_cookie, sizeof r->set_cookie,
                 "la_token=%s; Path=/; HttpOnly; SameSite=Strict", app->token);
        snprintf(r->location, sizeof r->location, "/");
        reply_text(r, 303, "see /");
        return -1;
    }
    const char *h = header(req, "Authorization");
    char buf[512];
    const char *given = NULL;
    if (h && strncasecmp(h, "Bearer ", 7) == 0) given = h + 7;
    else if ((h = header(req, "X-Token"))) given = h;
    else if (cookie(req, "la_token", buf, sizeof buf)) given = buf;
    if (!given) {
        reply_error(r, 401, "token required (Authorization: Bearer T, or open /?token=T once)");
        return -1;
    }
    if (!srv_secret_equal(given, app->token)) {
        reply_error(r, 403, "wrong token");
        return -1;
    }
    return 0;
}

/* POST requests also need the CSRF token, a JSON body and, when the browser
 * says where it comes from, the same origin. */
static int check_post(srv_app *app, const srv_request *req, srv_response *r)
{
    const char *t = header(req, "X-CSRF-Token");
    if (!t || !srv_secret_equal(t, app->csrf)) {
        reply_error(r, 403, "missing or wrong X-CSRF-Token");
        return -1;
    }
    const char *origin = header(req, "Origin"), *host = header(req, "Host");
    if (origin && strcmp(origin, "null") != 0) {
        const char *o = strstr(origin, "://");
        if (!host || !o || strcmp(o + 3, host) != 0) {
            reply_error(r, 403, "cross-origin request refused");
            return -1;
        }
    }
    const char *ct = header(req, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0) {
        reply_error(r, 415, "Content-Type must be application/json");
        return -1;
    }
    return 0;
}

/* ---- JSON views ------------------------------------------------------------ */

/* Percent-encodes a relative path for a URL, keeping '/'. */
static void url_encode_path(const char *s, char *out, size_t outsz)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s && o + 4 < outsz; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

/* image_path without the prefix `dir` + '/', or NULL when it does not start so. */
static const char *strip_dir(const char *image_path, const char *dir, size_t dlen)
{
    if (!dlen || strncmp(image_path, dir, dlen) != 0 || image_path[dlen] != '/') return NULL;
    return image_path + dlen + 1;
}

/* The /img/ URL of an example's image, or NULL when it is not inside the root.
 * Recorded paths may be absolute, relative to the directory the audit ran in,
 * or relative to the dataset folder; the audit's directory need not be ours,
 * so the dataset path as recorded (or its folder) is also stripped off. */
static json_t *image_url(const srv_app *app, const char *image_path)
{
    char real[PATH_MAX], joined[4][PATH_MAX], url[3 * PATH_MAX + 8];
    if (!app->root || !image_path || !image_path[0]) return json_null();
    const char *cand[5] = {image_path, NULL, NULL, NULL, NULL};
    const char *ds = app->run.dataset_path ? app->run.dataset_path : "";
    const char *slash = strrchr(ds, '/');
    const char *rel[3] = {image_path[0] != '/' ? image_path : NULL, strip_dir(image_path, ds, strlen(ds)),
                          slash ? strip_dir(image_path, ds, (size_t)(slash - ds)) : NULL};
    for (int i = 0; i < 3; i++)
        if (rel[i] && !la_path_join(joined[i], sizeof joined[i], app->root, rel[i])) cand[1 + i] = joined[i];
    size_t n = strlen(app->root);
    for (int i = 0; i < 5; i++) {
        if (!cand[i] || !realpath(cand[i], real)) continue;
        if (strncmp(real, app->root, n) != 0 || real[n] != '/') continue;
        memcpy(url, "/img/", 5);
        url_encode_path(real + n + 1, url + 5, sizeof url - 5);
        return json_string(url);
    }
    return json_null();
}

static json_t *item_json(const srv_app *app, const db_item *it)
{
    json_t *features = it->features ? json_loads(it->features, 0, NULL) : NULL;
    json_t *o = json_pack("{s:I, s:s, s:I, s:I, s:I, s:I, s:f, s:s, s:I, s:o, s:o, s:o, s:i, s:o, s:b, s:o}",
                          "qid", (json_int_t)it->queue_id, "id", it->dataset_id ? it->dataset_id : "",
                          "row", (json_int_t)it->row, "rank", (json_int_t)it->rank,
                          "given", (json_int_t)it->given, "suggested", (json_int_t)it->suggested,
                          "score", isfinite(it->quality) ? it->quality : 0.0,
                          "status", it->status ? it->status : "pending",
                          "new_label", (json_int_t)it->new_label,
                          "reviewer", it->reviewer ? json_string(it->reviewer) : json_null(),
                          "decided_at", it->decided_at ? json_string(it->decided_at) : json_null(),
                          "note", it->note ? json_string(it->note) : json_null(),
                          "version", it->version,
                          "image", image_url(app, it->image_path),
                          "disagrees", it->disagrees,
                          "features", features ? features : json_null());
    return o;
}

static json_t *progress_json(const db_progress *p)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "total", (json_int_t)p->total,
                     "decided", (json_int_t)p->decided, "keep", (json_int_t)p->keep,
                     "relabel", (json_int_t)p->relabel, "drop", (json_int_t)p->drop,
                     "skip", (json_int_t)p->skip);
}

/* {overall:{...}, classes:[{...}, ...]}; caller holds the lock. */
static json_t *progress_all(srv_app *app, la_error *err)
{
    size_t k = (size_t)app->run.k;
    db_progress overall, *per = la_calloc(k, sizeof *per);
    if (!per) return NULL;
    if (db_queue_progress(app->db, app->run.id, k, per, &overall, err)) {
        free(per);
        return NULL;
    }
    json_t *arr = json_array();
    for (size_t c = 0; c < k; c++) json_array_append_new(arr, progress_json(&per[c]));
    free(per);
    return json_pack("{s:o, s:o}", "overall", progress_json(&overall), "classes", arr);
}

/* ---- handlers -------------------------------------------------------------- */

static int parse_num(const char *s, double *out)
{
    char *end;
    if (!s || !s[0]) return 0;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

static void handle_state(srv_app *app, const srv_request *req, srv_response *r)
{
    db_filter f;
    db_filter_init(&f);
    double v;
    const char *s;
    if ((s = query(req, "class")) && s[0]) {
        if (parse_num(s, &v) || v != floor(v) || v < -1 || v >= (double)app->run.k)
            { reply_error(r, 400, "class must be a class index"); return; }
        f.given = (int64_t)v;
    }
    if ((s = query(req, "status")) && s[0] && strcmp(s, "any") != 0) {
        if (!db_status_valid(s, 1) && strcmp(s, "decided") != 0)
            { reply_error(r, 400, "status must be any, pending, decided, keep, relabel, drop or skip"); return; }
        f.status = s;
    }
    if (parse_num(query(req, "min"), &f.score_min) || parse_num(query(req, "max"), &f.score_max))
        { reply_error(r, 400, "min and max must be numbers"); return; }
    v = 0;
    if (parse_num(query(req, "offset"), &v) || v < 0 || v > 1e12 || v != floor(v))
        { reply_error(r, 400, "offset must be a whole number >= 0"); return; }
    f.offset = (int64_t)v;
    v = 60;
    if (parse_num(query(req, "limit"), &v) || v < 1 || v > SRV_MAX_PAGE || v != floor(v))
        { reply_error(r, 400, "limit must be 1..500"); return; }
    f.limit = (int64_t)v;

    la_error err;
    la_error_clear(&err);
    db_items items = {0, NULL};
    int64_t total = 0;
    pthread_mutex_lock(&app->lock);
    json_t *progress = progress_all(app, &err);
    int rc = progress ? db_queue_list(app->db, app->run.id, &f, &items, &total, &err) : -1;
    pthread_mutex_unlock(&app->lock);
    if (rc) {
        json_decref(progress);
        db_items_free(&items);
        { reply_error(r, 500, err.msg[0] ? err.msg : "database error"); return; }
    }
    json_t *arr = json_array(), *classes = json_array();
    for (size_t i = 0; i < items.n; i++) json_array_append_new(arr, item_json(app, &items.v[i]));
    db_items_free(&items);
    for (int64_t c = 0; c < app->run.k; c++)
        json_array_append_new(classes, json_string(app->run.class_names[c] ? app->run.class_names[c] : ""));
    reply_json(r, 200, json_pack("{s:I, s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:o}",
                                 "run", (json_int_t)app->run.id,
                                 "dataset", app->run.dataset_path ? app->run.dataset_path : "",
                                 "created_at", app->run.created_at ? app->run.created_at : "",
                                 "classes", classes, "progress", progress,
                                 "total", (json_int_t)total, "offset", (json_int_t)f.offset,
                                 "limit", (json_int_t)f.limit, "items", arr));
}

/* A reviewer name: 1..DB_MAX_REVIEWER bytes, no control characters. */
static int reviewer_ok(const char *s)
{
    if (!s || !s[0] || strlen(s) > DB_MAX_REVIEWER) return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return 0;
    return 1;
}

/* Answers with the current state of queue row qid (after a decision, or on a
 * conflict so the page can show who decided what). Caller holds the lock. */
static void reply_item(srv_app *app, srv_response *r, int status, int64_t qid, const char *msg)
{
    la_error err;
    db_items it = {0, NULL};
    json_t *item = NULL, *progress = progress_all(app, &err);
    if (qid > 0 && db_load_item(app->db, qid, &it, &err) == 0 && it.n == 1) item = item_json(app, &it.v[0]);
    db_items_free(&it);
    reply_json(r, status, json_pack("{s:b, s:s, s:o, s:o}", "ok", status == 200, "message", msg ? msg : "",
                                    "item", item ? item : json_null(),
                                    "progress", progress ? progress : json_null()));
}

static void handle_decide(srv_app *app, const srv_request *req, srv_response *r)
{
    json_error_t jerr;
    json_t *j = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        { reply_error(r, 400, "body must be a JSON object"); return; }
    }
    json_int_t qid = 0, version = -1, label = -1;
    const char *decision = NULL, *reviewer = NULL, *note = NULL;
    json_t *jl = json_object_get(j, "new_label"), *jn = json_object_get(j, "note");
    if (json_unpack_ex(j, &jerr, 0, "{s:I, s:I, s:s, s:s}", "qid", &qid, "version", &version,
                       "decision", &decision, "reviewer", &reviewer) != 0) {
        json_decref(j);
        { reply_error(r, 400, "need qid (integer), version (integer), decision and reviewer (strings)"); return; }
    }
    if (jl && !json_is_null(jl)) {
        if (!json_is_integer(jl)) {
            json_decref(j);
            { reply_error(r, 400, "new_label must be a class index"); return; }
        }
        label = json_integer_value(jl);
    }
    if (jn && !json_is_null(jn)) {
        if (!json_is_string(jn) || strlen(json_string_value(jn)) > DB_MAX_NOTE) {
            json_decref(j);
            { reply_error(r, 400, "note must be a string of at most 4000 bytes"); return; }
        }
        note = json_string_value(jn);
        if (!note[0]) note = NULL;
    }
    const char *bad = NULL;
    if (!db_status_valid(decision, 0)) bad = "decision must be keep, relabel, drop or skip";
    else if (!reviewer_ok(reviewer)) bad = "reviewer must be 1..200 bytes without control characters";
    else if (!strcmp(decision, "relabel") && (label < 0 || label >= app->run.k)) bad = "relabel needs new_label, a class index";
    else if (strcmp(decision, "relabel") != 0 && label != -1) bad = "only relabel takes a new_label";
    else if (qid <= 0 || version < 0 || version > INT_MAX) bad = "bad qid or version";
    if (bad) {
        json_decref(j);
        { reply_error(r, 400, bad); return; }
    }
    la_error err;
    la_error_clear(&err);
    pthread_mutex_lock(&app->lock);
    int rc = db_decide(app->db, qid, (int)version, decision, (int)label, reviewer, note, "serve", &err);
    json_decref(j);   /* decision, reviewer and note pointed into j */
    if (rc == 0) reply_item(app, r, 200, qid, "saved");
    else if (rc == DB_CONFLICT) reply_item(app, r, 409, qid, err.msg);
    else if (rc == LA_EUSAGE && strstr(err.msg, "no queue entry")) reply_error(r, 404, err.msg);
    else reply_error(r, rc == LA_EUSAGE ? 400 : 500, err.msg);
    pthread_mutex_unlock(&app->lock);
}

static void handle_undo(srv_app *app, const srv_request *req, srv_response *r)
{
    json_error_t jerr;
    json_t *j = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    const char *reviewer = NULL;
    if (!j || json_unpack(j, "{s:s}", "reviewer", &reviewer) != 0 || !reviewer_ok(reviewer)) {
        json_decref(j);
        { reply_error(r, 400, "body must be {\"reviewer\": NAME}"); return; }
    }
    la_error err;
    la_error_clear(&err);
    int64_t qid = 0;
    pthread_mutex_lock(&app->lock);
    int rc = db_undo_last(app->db, reviewer, app->run.id, &qid, &err);
    json_decref(j);
    if (rc == 0) reply_item(app, r, 200, qid, "undone");
    else if (rc == DB_CONFLICT) reply_item(app, r, 409, 0, err.msg);
    else if (rc == LA_EUSAGE) reply_error(r, 404, err.msg);
    else reply_error(r, 500, err.msg);
    pthread_mutex_unlock(&app->lock);
}

static const char *image_type(const char *path)
{
    static const char *const map[][2] = {
        {".png", "image/png"}, {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"}, {".gif", "image/gif"},
        {".bmp", "image/bmp"}, {".pgm", "image/x-portable-graymap"}, {".ppm", "image/x-portable-pixmap"},
        {".webp", "image/webp"}};
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/')) return NULL;
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strcasecmp(dot, map[i][0]) == 0) return map[i][1];
    return NULL;
}

static void handle_image(srv_app *app, const char *rel, srv_response *r)
{
    char real[PATH_MAX];
    if (!app->root) { reply_error(r, 404, "this run has no image folder"); return; }
    int rc = srv_resolve_under(app->root, rel, real, sizeof real);
    if (rc == 403) { reply_error(r, 403, "path outside the dataset root"); return; }
    if (rc) { reply_error(r, 404, "no such image"); return; }
    const char *type = image_type(real);
    if (!type) { reply_error(r, 403, "not an image file"); return; }
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) close(fd);
        { reply_error(r, 404, "no such image"); return; }
    }
    r->status = 200;
    r->content_type = type;
    r->fd = fd;
    r->file_size = (size_t)st.st_size;
}

static void handle_page(srv_app *app, srv_response *r)
{
    const char *mark = strstr(srv_page_html, "{{CSRF}}");
    size_t n = strlen(srv_page_html);
    r->body = malloc(n + 64 + 1);
    if (!r->body || !mark) { reply_text(r, 500, "out of memory"); return; }
    size_t pre = (size_t)(mark - srv_page_html);
    memcpy(r->body, srv_page_html, pre);
    memcpy(r->body + pre, app->csrf, 64);
    size_t post = n - pre - 8;
    memcpy(r->body + pre + 64, mark + 8, post);
    r->body_len = pre + 64 + post;
    r->body[r->body_len] = '\0';
    r->status = 200;
    r->content_type = "text/html; charset=utf-8";
}

void srv_handle(srv_app *app, const srv_request *req, srv_response *r)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
    if (!req->method || !req->path) { reply_error(r, 400, "bad request"); return; }
    if (req->url_len > SRV_MAX_URL || strlen(req->path) > SRV_MAX_URL) { reply_error(r, 414, "URL too long"); return; }
    if (authenticate(app, req, r)) return;
    int get = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
    int post = !strcmp(req->method, "POST");
    const char *p = req->path;
    if (!strcmp(p, "/") || !strcmp(p, "/index.html")) {
        if (!get) goto not_allowed_get;
        { handle_page(app, r); return; }
    }
    if (!strcmp(p, "/api/state")) {
        if (!get) goto not_allowed_get;
        { handle_state(app, req, r); return; }
    }
    if (!strncmp(p, "/img/", 5)) {
        if (!get) goto not_allowed_get;
        { handle_image(app, p + 5, r); return; }
    }
    if (!strcmp(p, "/api/decide") || !strcmp(p, "/api/undo")) {
        if (!post) {
            r->allow = "POST";
            { reply_error(r, 405, "use POST"); return; }
        }
        if (check_post(app, req, r)) return;
        if (p[5] == 'd') { handle_decide(app, req, r); return; }
        { handle_undo(app, req, r); return; }
    }
    { reply_error(r, 404, "not found"); return; }
not_allowed_get:
    r->allow = "GET, HEAD";
    reply_error(r, 405, "use GET");
}
