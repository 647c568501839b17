/*
 * test_serve.c — the review server's router without sockets: path safety and
 * root containment (.., absolute, symlink escapes, sibling-prefix folders),
 * secrets, loopback and Host checks, the request-line gate, and srv_handle on
 * a real temporary database: Host/CSRF/token checks, state JSON with hostile
 * names escaped, decisions, conflicts (409), undo, images, size limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include <limits.h>

#include "db/db.h"
#include "report/serve.h"

static char h0[] = "<script>alert(1)</script>";
static char h1[] = "Bob's \"best\", boot";
static char h2[] = "Robert'); DROP TABLE labels;--";
static char *const hostile[3] = {h0, h1, h2};

/* ---- pure helpers ---------------------------------------------------------- */

static void test_path_safe(void **state)
{
    (void)state;
    assert_true(srv_path_safe("a.png"));
    assert_true(srv_path_safe("images/Sandal/fm-1.png"));
    assert_true(srv_path_safe("a..b/c...png"));
    assert_true(srv_path_safe(".hidden/x.png"));
    assert_false(srv_path_safe(NULL));
    assert_false(srv_path_safe(""));
    assert_false(srv_path_safe("/etc/passwd"));
    assert_false(srv_path_safe(".."));
    assert_false(srv_path_safe("../x.png"));
    assert_false(srv_path_safe("a/../../x.png"));
    assert_false(srv_path_safe("a/.."));
    assert_false(srv_path_safe("./a.png"));
    assert_false(srv_path_safe("a//b.png"));
    assert_false(srv_path_safe("a/"));
    assert_false(srv_path_safe("a\\..\\b"));
    assert_false(srv_path_safe("a\nb"));
    assert_false(srv_path_safe("a\x7f"));
}

/* root/: a.png, sub/b.png, evil.png -> /etc/passwd, ok.png -> a.png,
 * sib -> ../root2 (a sibling whose name starts like the root), dir.png/ */
static void make_tree(char *base, size_t n, char *root, size_t rn)
{
    snprintf(base, n, "/tmp/la-test-serve-XXXXXX");
    assert_non_null(mkdtemp(base));
    snprintf(root, rn, "%s/root", base);
    char p[PATH_MAX];
    assert_int_equal(mkdir(root, 0700), 0);
    snprintf(p, sizeof p, "%s/sub", root);       assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/dir.png", root);   assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/root2", base);     assert_int_equal(mkdir(p, 0700), 0);
    const char *files[] = {"root/a.png", "root/sub/b.png", "root2/c.png", "root/notes.txt"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s", base, files[i]);
        FILE *fp = fopen(p, "w");
        assert_non_null(fp);
        fputs("\x89PNG fake", fp);
        fclose(fp);
    }
    snprintf(p, sizeof p, "%s/evil.png", root);  assert_int_equal(symlink("/etc/passwd", p), 0);
    snprintf(p, sizeof p, "%s/ok.png", root);    assert_int_equal(symlink("a.png", p), 0);
    snprintf(p, sizeof p, "%s/sib", root);       assert_int_equal(symlink("../root2", p), 0);
}

static void remove_tree(const char *base)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    assert_int_equal(system(cmd), 0);
}

static void test_resolve_under(void **state)
{
    (void)state;
    char base[64], root[128], real[PATH_MAX], out[PATH_MAX];
    make_tree(base, sizeof base, root, sizeof root);
    assert_non_null(realpath(root, real));
    assert_int_equal(srv_resolve_under(real, "a.png", out, sizeof out), 0);
    assert_string_equal(strrchr(out, '/'), "/a.png");
    assert_int_equal(srv_resolve_under(real, "sub/b.png", out, sizeof out), 0);
    assert_int_equal(srv_resolve_under(real, "ok.png", out, sizeof out), 0);     /* symlink inside */
    assert_int_equal(srv_resolve_under(real, "evil.png", out, sizeof out), 403); /* symlink out    */
    assert_int_equal(srv_resolve_under(real, "sib/c.png", out, sizeof out), 403);/* sibling prefix */
    assert_int_equal(srv_resolve_under(real, "../root2/c.png", out, sizeof out), 403);
    assert_int_equal(srv_resolve_under(real, "/etc/passwd", out, sizeof out), 403);
    assert_int_equal(srv_resolve_under(real, "nope.png", out, sizeof out), 404);
    assert_int_equal(srv_resolve_under(real, "dir.png", out, sizeof out), 404);  /* not a file     */
    assert_int_equal(srv_resolve_under(real, "a.png", out, 4), 403);             /* out too small  */
    assert_int_equal(srv_resolve_under(NULL, "a.png", out, sizeof out), 403);
    remove_tree(base);
}

static void test_secrets_and_hosts(void **state)
{
    (void)state;
    assert_true(srv_secret_equal("abc", "abc"));
    assert_true(srv_secret_equal("", ""));
    assert_false(srv_secret_equal("abc", "abd"));
    assert_false(srv_secret_equal("abc", "abcd"));
    assert_false(srv_secret_equal("abcd", "abc"));
    assert_false(srv_secret_equal("", "a"));
    assert_true(srv_is_loopback(NULL));
    assert_true(srv_is_loopback("127.0.0.1"));
    assert_true(srv_is_loopback("127.1.2.3"));
    assert_true(srv_is_loopback("::1"));
    assert_true(srv_is_loopback("localhost"));
    assert_false(srv_is_loopback("0.0.0.0"));
    assert_false(srv_is_loopback("::"));
    assert_false(srv_is_loopback("10.0.0.1"));
    assert_false(srv_is_loopback("128.0.0.1"));
    assert_false(srv_is_loopback("example.com"));
    assert_true(srv_host_is_loopback("localhost"));
    assert_true(srv_host_is_loopback("LOCALHOST:8080"));
    assert_true(srv_host_is_loopback("127.0.0.1:1"));
    assert_true(srv_host_is_loopback("[::1]:8080"));
    assert_true(srv_host_is_loopback("[::1]"));
    assert_false(srv_host_is_loopback(NULL));
    assert_false(srv_host_is_loopback(""));
    assert_false(srv_host_is_loopback("evil.example"));
    assert_false(srv_host_is_loopback("localhost.evil.example"));
    assert_false(srv_host_is_loopback("127.0.0.1.evil.example:80"));
    assert_false(srv_host_is_loopback("127.0.0.1:80x"));
    assert_false(srv_host_is_loopback("[::2]:80"));
    assert_false(srv_host_is_loopback("[::1]x"));
}

static int line_status(const char *s)
{
    return srv_request_line_status(s, strlen(s));
}

static void test_request_line(void **state)
{
    (void)state;
    assert_int_equal(line_status("GET / HTTP/1.1"), 0);
    assert_int_equal(line_status("POST /api/decide HTTP/1.0"), 0);
    assert_int_equal(line_status("GET /img/a%20b.png?x=1 HTTP/1.1"), 0);
    assert_int_equal(line_status("GARBAGE"), 400);
    assert_int_equal(line_status(""), 400);
    assert_int_equal(line_status("get / HTTP/1.1"), 400);
    assert_int_equal(line_status("GET  / HTTP/1.1"), 400);
    assert_int_equal(line_status("GET / HTTP/1.1 extra"), 400);
    assert_int_equal(line_status("GET /\x01 HTTP/1.1"), 400);
    assert_int_equal(line_status("GET / HTTP/1.1x"), 400);
    assert_int_equal(line_status("GET / HTTP/x.1"), 400);
    assert_int_equal(line_status("GET / FTP/1.1"), 400);
    assert_int_equal(line_status("GET /"), 400);
    assert_int_equal(line_status("ABCDEFGHIJKLMNOPQ / HTTP/1.1"), 400);
    assert_int_equal(line_status("GET / HTTP/2.0"), 505);
    assert_int_equal(line_status("GET / HTTP/1.2"), 505);
    assert_int_equal(line_status("GET / HTTP/0.9"), 505);
}

/* ---- srv_handle on a real database ----------------------------------------- */

typedef struct env {
    char base[64], root[128], db[PATH_MAX], manifest[PATH_MAX];
    char *ids[6], idbuf[6][16], *paths[6], pathbuf[6][PATH_MAX];
    int64_t given[6], suggested[6], ranked[6], cj[9], issues[3];
    double quality[6], nm[9], cer[3], cq[3];
    uint8_t is_issue[6];
    srv_app *app;
} env;

/* 6 examples over the hostile classes, all flagged; images in root/. */
static void env_open(env *e, const char *token)
{
    memset(e, 0, sizeof *e);
    make_tree(e->base, sizeof e->base, e->root, sizeof e->root);
    snprintf(e->db, sizeof e->db, "%s/review.db", e->base);
    snprintf(e->manifest, sizeof e->manifest, "%s/manifest.csv", e->root);
    for (int i = 0; i < 6; i++) {
        snprintf(e->idbuf[i], sizeof e->idbuf[i], "ex-%d", i);
        e->ids[i] = e->idbuf[i];
        snprintf(e->pathbuf[i], sizeof e->pathbuf[i], "%s/%s", e->root, i % 2 ? "sub/b.png" : "a.png");
        e->paths[i] = e->pathbuf[i];
        e->given[i] = i % 3;
        e->suggested[i] = (i + 1) % 3;
        e->quality[i] = 0.1 * i;
        e->is_issue[i] = 1;
        e->ranked[i] = i;
    }
    db_audit_record r;
    memset(&r, 0, sizeof r);
    r.dataset_path = e->manifest;
    r.dataset_hash = "x";
    r.n = 6;
    r.k = 3;
    r.class_names = hostile;
    r.ids = e->ids;
    r.image_paths = e->paths;
    r.given = e->given;
    r.suggested = e->suggested;
    r.quality = e->quality;
    r.is_issue = e->is_issue;
    r.ranked = e->ranked;
    r.n_ranked = 6;
    r.confident_joint = e->cj;
    r.noise_matrix = e->nm;
    r.class_issues = e->issues;
    r.class_error_rate = e->cer;
    r.class_quality = e->cq;
    r.method = "prune_by_noise_rate";
    r.rank_by = "self_confidence";
    r.options_json = "{}";
    r.summary_json = "{}";
    sqlite3 *db;
    la_error err;
    la_error_clear(&err);
    assert_int_equal(db_open(e->db, &db, &err), 0);
    int64_t run;
    assert_int_equal(db_record_audit(db, &r, &run, &err), 0);
    db_close(db);
    srv_config cfg = {.db_path = e->db, .token = token};
    assert_int_equal(srv_app_open(&cfg, &e->app, &err), 0);
}

static void env_close(env *e)
{
    srv_app_close(e->app);
    remove_tree(e->base);
}

/* Sends one request; headers as "Name", "value" pairs ending with NULL. */
static int call(env *e, srv_response *r, const char *method, const char *path, const char *body, ...)
{
    srv_header h[16], q[8];
    size_t nh = 0, nq = 0;
    va_list ap;
    va_start(ap, body);
    const char *name;
    while ((name = va_arg(ap, const char *)) && nh < 16) {
        const char *value = va_arg(ap, const char *);
        if (name[0] == '?') q[nq++] = (srv_header){name + 1, value};
        else h[nh++] = (srv_header){name, value};
    }
    va_end(ap);
    srv_request req = {method, path, strlen(path), h, nh, q, nq, body, body ? strlen(body) : 0};
    srv_handle(e->app, &req, r);
    return r->status;
}

#define LOCAL "Host", "127.0.0.1:8080"

static int decide(env *e, const char *json)
{
    srv_response r;
    int s = call(e, &r, "POST", "/api/decide", json, LOCAL, "X-CSRF-Token", srv_app_csrf(e->app),
                 "Content-Type", "application/json", NULL);
    srv_response_free(&r);
    return s;
}

static void test_handle_basics(void **state)
{
    (void)state;
    env e;
    srv_response r;
    env_open(&e, NULL);
    assert_int_equal(call(&e, &r, "GET", "/", NULL, LOCAL, NULL), 200);
    assert_non_null(strstr(r.body, srv_app_csrf(e.app)));
    assert_null(strstr(r.body, "{{CSRF}}"));
    assert_null(strstr(r.body, "<script>alert"));
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/", NULL, "Host", "evil.example", NULL), 403);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/", NULL, NULL), 403);               /* no Host */
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/nope", NULL, LOCAL, NULL), 404);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "PUT", "/api/state", NULL, LOCAL, NULL), 405);
    assert_string_equal(r.allow, "GET, HEAD");
    srv_response_free(&r);
    char longp[SRV_MAX_URL + 10];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = '\0';
    assert_int_equal(call(&e, &r, "GET", longp, NULL, LOCAL, NULL), 414);
    srv_response_free(&r);

    /* state: hostile names are escaped (\u003c) and read back intact */
    assert_int_equal(call(&e, &r, "GET", "/api/state", NULL, LOCAL, "?limit", "10", NULL), 200);
    assert_null(strchr(r.body, '<'));
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 6);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "classes"), 0)), h0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "classes"), 2)), h2);
    json_t *it0 = json_array_get(json_object_get(j, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(it0, "image")), "/img/a.png");
    json_decref(j);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/api/state", NULL, LOCAL, "?class", "1", "?status", "pending", NULL), 200);
    j = json_loads(r.body, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 2);
    json_decref(j);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/api/state", NULL, LOCAL, "?min", "0.25", "?max", "0.45", NULL), 200);
    j = json_loads(r.body, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 2);      /* 0.3, 0.4 */
    json_decref(j);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/api/state", NULL, LOCAL, "?class", "3", NULL), 400);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/api/state", NULL, LOCAL, "?min", "nan", NULL), 400);
    srv_response_free(&r);

    /* images */
    assert_int_equal(call(&e, &r, "GET", "/img/a.png", NULL, LOCAL, NULL), 200);
    assert_true(r.fd >= 0);
    assert_string_equal(r.content_type, "image/png");
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/img/../root2/c.png", NULL, LOCAL, NULL), 403);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/img/evil.png", NULL, LOCAL, NULL), 403);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/img/sib/c.png", NULL, LOCAL, NULL), 403);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/img/notes.txt", NULL, LOCAL, NULL), 403);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/img/missing.png", NULL, LOCAL, NULL), 404);
    srv_response_free(&r);
    env_close(&e);
}

static void test_handle_decisions(void **state)
{
    (void)state;
    env e;
    srv_response r;
    env_open(&e, NULL);
    const char *keep = "{\"qid\":1,\"version\":0,\"decision\":\"keep\",\"reviewer\":\"ann\"}";
    /* CSRF, content type, origin */
    assert_int_equal(call(&e, &r, "POST", "/api/decide", keep, LOCAL, "Content-Type", "application/json", NULL), 403);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "POST", "/api/decide", keep, LOCAL, "X-CSRF-Token", "x",
                          "Content-Type", "application/json", NULL), 403);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "POST", "/api/decide", keep, LOCAL, "X-CSRF-Token", srv_app_csrf(e.app),
                          "Content-Type", "text/plain", NULL), 415);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "POST", "/api/decide", keep, LOCAL, "X-CSRF-Token", srv_app_csrf(e.app),
                          "Content-Type", "application/json", "Origin", "http://evil.example", NULL), 403);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/api/decide", NULL, LOCAL, NULL), 405);
    srv_response_free(&r);
    /* bad bodies */
    assert_int_equal(decide(&e, ""), 400);
    assert_int_equal(decide(&e, "{"), 400);
    assert_int_equal(decide(&e, "{\"qid\":1,\"qid\":1,\"version\":0,\"decision\":\"keep\",\"reviewer\":\"a\"}"), 400);
    assert_int_equal(decide(&e, "{\"qid\":\"1\",\"version\":0,\"decision\":\"keep\",\"reviewer\":\"a\"}"), 400);
    assert_int_equal(decide(&e, "{\"qid\":1,\"version\":0,\"decision\":\"pending\",\"reviewer\":\"a\"}"), 400);
    assert_int_equal(decide(&e, "{\"qid\":1,\"version\":0,\"decision\":\"keep\",\"reviewer\":\"a\\u0007\"}"), 400);
    assert_int_equal(decide(&e, "{\"qid\":1,\"version\":0,\"decision\":\"keep\",\"new_label\":1,\"reviewer\":\"a\"}"), 400);
    assert_int_equal(decide(&e, "{\"qid\":1,\"version\":0,\"decision\":\"relabel\",\"new_label\":3,\"reviewer\":\"a\"}"), 400);
    assert_int_equal(decide(&e, "{\"qid\":1,\"version\":0,\"decision\":\"relabel\",\"reviewer\":\"a\"}"), 400);
    assert_int_equal(decide(&e, "{\"qid\":99,\"version\":0,\"decision\":\"keep\",\"reviewer\":\"a\"}"), 404);
    /* a decision, then a stale one: 409 with the current state */
    assert_int_equal(decide(&e, keep), 200);
    assert_int_equal(call(&e, &r, "POST", "/api/decide",
                          "{\"qid\":1,\"version\":0,\"decision\":\"drop\",\"reviewer\":\"bob\"}", LOCAL,
                          "X-CSRF-Token", srv_app_csrf(e.app), "Content-Type", "application/json", NULL), 409);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "item"), "status")), "keep");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "item"), "reviewer")), "ann");
    json_decref(j);
    srv_response_free(&r);
    assert_int_equal(decide(&e, "{\"qid\":2,\"version\":0,\"decision\":\"relabel\",\"new_label\":2,"
                                "\"reviewer\":\"bob\",\"note\":\"<b>\"}"), 200);
    /* undo: own last only */
    const char *csrf = srv_app_csrf(e.app);
    assert_int_equal(call(&e, &r, "POST", "/api/undo", "{\"reviewer\":\"ann\"}", LOCAL, "X-CSRF-Token", csrf,
                          "Content-Type", "application/json", NULL), 200);
    j = json_loads(r.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "item"), "status")), "pending");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "item"), "qid")), 1);
    json_decref(j);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "POST", "/api/undo", "{\"reviewer\":\"ann\"}", LOCAL, "X-CSRF-Token", csrf,
                          "Content-Type", "application/json", NULL), 404);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "POST", "/api/undo", "{}", LOCAL, "X-CSRF-Token", csrf,
                          "Content-Type", "application/json", NULL), 400);
    srv_response_free(&r);
    /* progress */
    assert_int_equal(call(&e, &r, "GET", "/api/state", NULL, LOCAL, NULL), 200);
    j = json_loads(r.body, 0, NULL);
    json_t *o = json_object_get(json_object_get(j, "progress"), "overall");
    assert_int_equal(json_integer_value(json_object_get(o, "decided")), 1);
    assert_int_equal(json_integer_value(json_object_get(o, "relabel")), 1);
    assert_int_equal(json_integer_value(json_object_get(o, "total")), 6);
    json_decref(j);
    srv_response_free(&r);
    env_close(&e);
}

static void test_handle_token(void **state)
{
    (void)state;
    env e;
    srv_response r;
    const char *tok = "0123456789abcdef0123";
    env_open(&e, tok);
    assert_int_equal(call(&e, &r, "GET", "/", NULL, "Host", "anything.example", NULL), 401);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/", NULL, "Authorization", "Bearer nope", NULL), 403);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/", NULL, "Authorization", "Bearer 0123456789abcdef0123", NULL), 200);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/", NULL, "X-Token", tok, NULL), 200);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/api/state", NULL, "Cookie", "a=b; la_token=0123456789abcdef0123; c=d", NULL), 200);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/", NULL, "Cookie", "la_token=0123456789abcdef012", NULL), 403);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/", NULL, "?token", tok, NULL), 303);
    assert_string_equal(r.location, "/");
    assert_non_null(strstr(r.set_cookie, "HttpOnly"));
    assert_non_null(strstr(r.set_cookie, "SameSite=Strict"));
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/", NULL, "?token", "wrong", NULL), 403);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "POST", "/api/decide", "{}", "?token", tok, NULL), 401); /* not on POST */
    srv_response_free(&r);
    env_close(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_safe),
        cmocka_unit_test(test_resolve_under),
        cmocka_unit_test(test_secrets_and_hosts),
        cmocka_unit_test(test_request_line),
        cmocka_unit_test(test_handle_basics),
        cmocka_unit_test(test_handle_decisions),
        cmocka_unit_test(test_handle_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
