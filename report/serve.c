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
#include "serve_auth.h"
#include "serve_multi.h"
#include "serve_pairs.h"
#include "serve_reply.h"

struct srv_app {
    sqlite3        *db;
    pthread_mutex_t lock;          /* serializes every use of db              */
    db_run          run;           /* the run under review (class names, k)   */
    int64_t         queue_size;
    char           *root;          /* realpath of the image root, or NULL     */
    srv_auth       *auth;          /* reviewers and sessions                  */
    int             loopback;      /* bound to loopback: Host must say so     */
    int             port;          /* names the cookie, checked in Origin     */
    srv_multi      *multi;         /* several reviewers per row, or NULL      */
    srv_pairs      *pairs;         /* issues, partners and pair answers       */
};

/* ---- pure helpers ---------------------------------------------------------- */

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

/* A several-reviewer session needs R reviewers who can sign in. */
static int open_multi(srv_app *app, const srv_config *cfg, la_error *err)
{
    size_t n = srv_auth_count(app->auth);
    if (cfg->reviews_per_item > DB_REVIEWS_MAX || (size_t)cfg->reviews_per_item > n)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "%lld reviews per item need at least %lld reviewers, and %zu"
                            " can sign in", (long long)cfg->reviews_per_item, (long long)cfg->reviews_per_item, n);
    return srv_multi_open(app->db, &app->run, cfg->reviews_per_item, cfg->next_active_learning, cfg->pred_probs,
                          &app->multi, err);
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
    if (srv_auth_open(cfg->token, cfg->reviewer, cfg->reviewers, &app->auth, err)) goto fail;
    if (cfg->reviews_per_item > 0 && open_multi(app, cfg, err)) goto fail;
    if (srv_pairs_open(app->db, run_id, &app->pairs, err)) goto fail;
    app->loopback = srv_is_loopback(cfg->bind);
    *out = app;
    return 0;
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
    srv_auth_close(app->auth);
    srv_multi_close(app->multi);
    srv_pairs_close(app->pairs);
    free(app);
}

int64_t srv_app_run(const srv_app *app) { return app->run.id; }
int64_t srv_app_queue_size(const srv_app *app) { return app->queue_size; }
const char *srv_app_root(const srv_app *app) { return app->root ? app->root : ""; }
size_t srv_app_reviewers(const srv_app *app) { return srv_auth_count(app->auth); }
void srv_app_set_port(srv_app *app, int port) { app->port = port; }

#define header srv_req_header
#define query  srv_req_query

/* Loopback servers also refuse foreign Host names, so that a web page
 * elsewhere cannot reach them through DNS rebinding. 0, or -1 with r. */
static int check_host(const srv_app *app, const srv_request *req, srv_response *r)
{
    if (app->loopback && !srv_host_is_loopback(header(req, "Host"))) {
        srv_reply_error(r, 403, "Host must be a loopback name (localhost, 127.0.0.1, [::1])");
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

static json_t *image_url_any(const void *app, const char *image_path) { return image_url(app, image_path); }

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
    if (o) json_object_set_new(o, "verdict", it->verdict ? json_string(it->verdict) : json_null());
    srv_pairs_decorate(app->pairs, o, it->row, image_url_any, app);
    return o;
}

/* ---- several reviewers per row (serve_multi.c) ------------------------------ */

static json_t *item_json_any(const void *app, const db_item *it) { return item_json(app, it); }

static srv_multi_ctx multi_ctx(srv_app *app)
{
    return (srv_multi_ctx){app->multi, app->db, &app->lock, &app->run, item_json_any, app};
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

static void handle_state(srv_app *app, const srv_request *req, const srv_who *who, srv_response *r)
{
    db_filter f;
    db_filter_init(&f);
    double v;
    const char *s;
    if ((s = query(req, "class")) && s[0]) {
        if (parse_num(s, &v) || v != floor(v) || v < -1 || v >= (double)app->run.k)
            { srv_reply_error(r, 400, "class must be a class index"); return; }
        f.given = (int64_t)v;
    }
    if ((s = query(req, "status")) && s[0] && strcmp(s, "any") != 0) {
        if (!db_status_valid(s, 1) && strcmp(s, "decided") != 0)
            { srv_reply_error(r, 400, "status must be any, pending, decided, keep, relabel, drop or skip"); return; }
        f.status = s;
    }
    if (parse_num(query(req, "min"), &f.score_min) || parse_num(query(req, "max"), &f.score_max))
        { srv_reply_error(r, 400, "min and max must be numbers"); return; }
    v = 0;
    if (parse_num(query(req, "offset"), &v) || v < 0 || v > 1e12 || v != floor(v))
        { srv_reply_error(r, 400, "offset must be a whole number >= 0"); return; }
    f.offset = (int64_t)v;
    v = 60;
    if (parse_num(query(req, "limit"), &v) || v < 1 || v > SRV_MAX_PAGE || v != floor(v))
        { srv_reply_error(r, 400, "limit must be 1..500"); return; }
    f.limit = (int64_t)v;
    if (app->multi) {
        srv_multi_ctx mc = multi_ctx(app);
        srv_multi_state(&mc, &f, who, r);
        return;
    }

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
        { srv_reply_error(r, 500, err.msg[0] ? err.msg : "database error"); return; }
    }
    json_t *arr = json_array(), *classes = json_array();
    for (size_t i = 0; i < items.n; i++) json_array_append_new(arr, item_json(app, &items.v[i]));
    db_items_free(&items);
    for (int64_t c = 0; c < app->run.k; c++)
        json_array_append_new(classes, json_string(app->run.class_names[c] ? app->run.class_names[c] : ""));
    srv_reply_json(r, 200, json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:o}",
                                 "run", (json_int_t)app->run.id, "reviewer", who->reviewer,
                                 "dataset", app->run.dataset_path ? app->run.dataset_path : "",
                                 "created_at", app->run.created_at ? app->run.created_at : "",
                                 "classes", classes, "progress", progress,
                                 "total", (json_int_t)total, "offset", (json_int_t)f.offset,
                                 "limit", (json_int_t)f.limit, "items", arr));
}

/* The body of a POST as a JSON object, or NULL with r filled (400). */
static json_t *body_object(const srv_request *req, srv_response *r)
{
    json_error_t jerr;
    json_t *j = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (j && json_is_object(j)) return j;
    json_decref(j);
    srv_reply_error(r, 400, "body must be a JSON object");
    return NULL;
}

/* The reviewer is the session's. A body may still name one (older clients
 * did), but only that same reviewer: 0, or -1 with r filled (400 / 403). */
static int body_reviewer_matches(json_t *j, const srv_who *who, srv_response *r)
{
    json_t *jr = json_object_get(j, "reviewer");
    if (!jr || json_is_null(jr)) return 0;
    if (!json_is_string(jr)) {
        srv_reply_error(r, 400, "reviewer must be a string (or left out: it is the session's)");
        return -1;
    }
    if (strcmp(json_string_value(jr), who->reviewer) != 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "you are signed in as '%.200s' and cannot act for another reviewer", who->reviewer);
        srv_reply_error(r, 403, msg);
        return -1;
    }
    return 0;
}

/* Answers with the current state of queue row qid (after a decision, or on a
 * conflict so the page can show who decided what). On a 409 "conflict" says
 * which: "other_reviewer" (someone else's decision stands) or
 * "stale_version" (the row changed since it was read). Caller holds the lock. */
static void reply_item(srv_app *app, srv_response *r, int status, int64_t qid, const char *msg,
                       const srv_who *who)
{
    la_error err;
    db_items it = {0, NULL};
    json_t *item = NULL, *progress = progress_all(app, &err);
    const char *kind = NULL;
    if (qid > 0 && db_load_item_in_run(app->db, app->run.id, qid, &it, &err) == 0 && it.n == 1) {
        item = item_json(app, &it.v[0]);
        if (status == 409)
            kind = it.v[0].reviewer && strcmp(it.v[0].reviewer, who->reviewer) != 0 ? "other_reviewer"
                                                                                    : "stale_version";
    }
    db_items_free(&it);
    json_t *o = json_pack("{s:b, s:s, s:o, s:o}", "ok", status == 200, "message", msg ? msg : "",
                          "item", item ? item : json_null(), "progress", progress ? progress : json_null());
    if (status == 409) {
        json_object_set_new(o, "error", json_string(msg ? msg : "conflict"));
        json_object_set_new(o, "conflict", kind ? json_string(kind) : json_string("stale_version"));
    }
    srv_reply_json(r, status, o);
}

typedef struct decide_req {
    json_int_t  qid, version, label;
    const char *decision, *note;      /* point into the parsed body */
    const char *verdict;              /* NULL = none (schema 004)   */
} decide_req;

/* The optional "verdict": absent, null or "" = none, else error | ambiguous
 * | false_alarm with a decision (not skip). NULL when fine, else the 400's
 * reason. */
static const char *decide_verdict(json_t *j, decide_req *d)
{
    json_t *jv = json_object_get(j, "verdict");
    d->verdict = NULL;
    if (!jv || json_is_null(jv)) return NULL;
    if (!json_is_string(jv)) return "verdict must be a string: error, ambiguous or false_alarm";
    const char *v = json_string_value(jv);
    if (!v[0]) return NULL;
    if (!db_verdict_valid(v)) return "verdict must be error, ambiguous or false_alarm";
    if (!strcmp(d->decision, "skip")) return "a verdict needs a decision (keep, relabel or drop), not skip";
    d->verdict = v;
    return NULL;
}

/* Reads and checks a decision body into d. NULL (r filled with 400), or the
 * JSON the strings point into (caller decrefs). */
static json_t *parse_decide(const srv_app *app, const srv_request *req, const srv_who *who, decide_req *d,
                            srv_response *r)
{
    json_t *j = body_object(req, r);
    if (!j) return NULL;
    if (body_reviewer_matches(j, who, r)) goto fail;
    json_error_t jerr;
    d->qid = 0; d->version = -1; d->label = -1; d->decision = NULL; d->note = NULL;
    json_t *jl = json_object_get(j, "new_label"), *jn = json_object_get(j, "note");
    const char *bad = NULL;
    if (json_unpack_ex(j, &jerr, 0, "{s:I, s:I, s:s}", "qid", &d->qid, "version", &d->version,
                       "decision", &d->decision) != 0)
        bad = "need qid (integer), version (integer) and decision (string)";
    else if (jl && !json_is_null(jl) && !json_is_integer(jl)) bad = "new_label must be a class index";
    else if (jn && !json_is_null(jn) && (!json_is_string(jn) || strlen(json_string_value(jn)) > DB_MAX_NOTE))
        bad = "note must be a string of at most 4000 bytes";
    if (!bad) {
        if (jl && json_is_integer(jl)) d->label = json_integer_value(jl);
        if (jn && json_is_string(jn) && json_string_value(jn)[0]) d->note = json_string_value(jn);
        if (!db_status_valid(d->decision, 0)) bad = "decision must be keep, relabel, drop or skip";
        else if (!strcmp(d->decision, "relabel") && (d->label < 0 || d->label >= app->run.k))
            bad = "relabel needs new_label, a class index";
        else if (strcmp(d->decision, "relabel") != 0 && d->label != -1) bad = "only relabel takes a new_label";
        else if (d->qid <= 0 || d->version < 0 || d->version > INT_MAX) bad = "bad qid or version";
        else bad = decide_verdict(j, d);
    }
    if (!bad) return j;
    srv_reply_error(r, 400, bad);
fail:
    json_decref(j);
    return NULL;
}

static void handle_decide(srv_app *app, const srv_request *req, const srv_who *who, srv_response *r)
{
    decide_req d;
    json_t *j = parse_decide(app, req, who, &d, r);
    if (!j) return;
    if (app->multi) {
        srv_multi_ctx mc = multi_ctx(app);
        srv_multi_decide(&mc, d.qid, (int)d.version, d.decision, (int)d.label, d.verdict, d.note, who, r);
        json_decref(j);
        return;
    }
    la_error err;
    la_error_clear(&err);
    pthread_mutex_lock(&app->lock);
    int rc = db_decide_verdict(app->db, app->run.id, d.qid, (int)d.version, d.decision, (int)d.label,
                               d.verdict, who->reviewer, d.note, "serve", &err);
    json_decref(j);   /* decision and note pointed into j */
    if (rc == 0) reply_item(app, r, 200, d.qid, "saved", who);
    else if (rc == DB_CONFLICT) reply_item(app, r, 409, d.qid, err.msg, who);
    else if (rc == LA_EUSAGE && strstr(err.msg, "no queue entry")) srv_reply_error(r, 404, err.msg);
    else srv_reply_error(r, rc == LA_EUSAGE ? 400 : 500, err.msg);
    pthread_mutex_unlock(&app->lock);
}

/* Undoes the session's reviewer's own last decision in the served run. */
static void handle_undo(srv_app *app, const srv_request *req, const srv_who *who, srv_response *r)
{
    json_t *j = body_object(req, r);
    if (!j) return;
    int bad = body_reviewer_matches(j, who, r);
    json_decref(j);
    if (bad) return;
    if (app->multi) {
        srv_multi_ctx mc = multi_ctx(app);
        srv_multi_undo(&mc, who, r);
        return;
    }
    la_error err;
    la_error_clear(&err);
    int64_t qid = 0;
    pthread_mutex_lock(&app->lock);
    int rc = db_undo_last(app->db, who->reviewer, app->run.id, &qid, &err);
    if (rc == 0) reply_item(app, r, 200, qid, "undone", who);
    else if (rc == DB_CONFLICT) reply_item(app, r, 409, 0, err.msg, who);
    else if (rc == LA_EUSAGE) srv_reply_error(r, 404, err.msg);
    else srv_reply_error(r, 500, err.msg);
    pthread_mutex_unlock(&app->lock);
}

/* POST /api/pair and /api/pair/undo (serve_pairs.h), under the lock. */
static void handle_pair(srv_app *app, const srv_request *req, const srv_who *who, srv_response *r, int undo)
{
    json_t *j = body_object(req, r);
    if (!j) return;
    int bad = body_reviewer_matches(j, who, r);
    json_decref(j);
    if (bad) return;
    pthread_mutex_lock(&app->lock);
    if (undo) srv_pairs_undo(app->pairs, app->db, app->run.id, who, r);
    else srv_pairs_decide(app->pairs, app->db, app->run.id, req, who, r);
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
    if (!app->root) { srv_reply_error(r, 404, "this run has no image folder"); return; }
    int rc = srv_resolve_under(app->root, rel, real, sizeof real);
    if (rc == 403) { srv_reply_error(r, 403, "path outside the dataset root"); return; }
    if (rc) { srv_reply_error(r, 404, "no such image"); return; }
    const char *type = image_type(real);
    if (!type) { srv_reply_error(r, 403, "not an image file"); return; }
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) close(fd);
        { srv_reply_error(r, 404, "no such image"); return; }
    }
    r->status = 200;
    r->content_type = type;
    r->fd = fd;
    r->file_size = (size_t)st.st_size;
}

/* The page with the session's CSRF token in place of {{CSRF}} (empty for a
 * bearer request: such a client needs none). */
static void handle_page(const srv_who *who, srv_response *r)
{
    const char *mark = strstr(srv_page_html, "{{CSRF}}");
    size_t n = strlen(srv_page_html), c = strlen(who->csrf);
    r->body = malloc(n + c + 1);
    if (!r->body || !mark) { srv_reply_text(r, 500, "out of memory"); return; }
    size_t pre = (size_t)(mark - srv_page_html);
    memcpy(r->body, srv_page_html, pre);
    memcpy(r->body + pre, who->csrf, c);
    size_t post = n - pre - 8;
    memcpy(r->body + pre + c, mark + 8, post);
    r->body_len = pre + c + post;
    r->body[r->body_len] = '\0';
    r->status = 200;
    r->content_type = "text/html; charset=utf-8";
}

void srv_handle(srv_app *app, const srv_request *req, srv_response *r)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
    if (!req->method || !req->path) { srv_reply_error(r, 400, "bad request"); return; }
    if (req->url_len > SRV_MAX_URL || strlen(req->path) > SRV_MAX_URL) { srv_reply_error(r, 414, "URL too long"); return; }
    srv_who who;
    if (check_host(app, req, r) || srv_auth_request(app->auth, app->port, req, &who, r)) return;
    int get = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
    int post = !strcmp(req->method, "POST");
    const char *p = req->path;
    if (!strcmp(p, "/") || !strcmp(p, "/index.html")) {
        if (!get) goto not_allowed_get;
        { handle_page(&who, r); return; }
    }
    if (!strcmp(p, "/api/state")) {
        if (!get) goto not_allowed_get;
        { handle_state(app, req, &who, r); return; }
    }
    if (!strcmp(p, "/api/next") && app->multi) {
        if (!get) goto not_allowed_get;
        srv_multi_ctx mc = multi_ctx(app);
        { srv_multi_next(&mc, &who, r); return; }
    }
    if (!strncmp(p, "/img/", 5)) {
        if (!get) goto not_allowed_get;
        { handle_image(app, p + 5, r); return; }
    }
    if (!strcmp(p, "/api/pair") || !strcmp(p, "/api/pair/undo")) {
        if (!post) {
            r->allow = "POST";
            { srv_reply_error(r, 405, "use POST"); return; }
        }
        if (srv_auth_post(&who, app->port, req, r)) return;
        { handle_pair(app, req, &who, r, p[9] == '/'); return; }
    }
    if (!strcmp(p, "/api/decide") || !strcmp(p, "/api/undo")) {
        if (!post) {
            r->allow = "POST";
            { srv_reply_error(r, 405, "use POST"); return; }
        }
        if (srv_auth_post(&who, app->port, req, r)) return;
        if (p[5] == 'd') { handle_decide(app, req, &who, r); return; }
        { handle_undo(app, req, &who, r); return; }
    }
    { srv_reply_error(r, 404, "not found"); return; }
not_allowed_get:
    r->allow = "GET, HEAD";
    srv_reply_error(r, 405, "use GET");
}
