/*
 * test_serve.c — the review server's router without sockets: path safety and
 * root containment (.., absolute, symlink escapes, sibling-prefix folders),
 * secrets, loopback and Host checks, the request-line gate, RFC 9112 framing,
 * Content-Type and Origin, tokens and the reviewers file, and srv_handle on a
 * real temporary database with two runs: Host/CSRF/token/session checks,
 * state JSON with hostile names escaped, decisions recorded under the
 * session's reviewer, run scope, conflicts (409, both kinds), own-only undo,
 * images, size limits.
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
#include "report/review.h"

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

static const char *frame_fault;    /* srv_framing_check's phrase for the last frame() */

static int frame(const char *req, size_t max_body)
{
    const char *end = strstr(req, "\r\n\r\n");
    size_t he = end ? (size_t)(end - req) + 4 : strlen(req);
    int st = srv_framing_check(req, he, req + he, strlen(req) - he, max_body, &frame_fault);
    assert_int_equal(st, srv_framing_status(req, he, req + he, strlen(req) - he, max_body));
    assert_true((st == 400 || st == 413) == (frame_fault != NULL));  /* a refusal names its fault */
    return st;
}

/* The phrase the gate's 400 body shows for req. */
static const char *fault_of(const char *req)
{
    frame(req, 100);
    return frame_fault ? frame_fault : "";
}

static void test_framing(void **state)
{
    (void)state;
    assert_int_equal(frame("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 100), 0);
    assert_int_equal(frame("GET / HTTP/1.0\r\n\r\n", 100), 0);                 /* 1.0: no Host needed */
    assert_int_equal(frame("GET / HTTP/1.1\r\n\r\n", 100), 400);               /* 1.1 without Host    */
    assert_int_equal(frame("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 100), 400);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", 100), 0);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 100), 0);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", 100), 0);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 100), 400);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n", 100), 400);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n", 100), 400);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 100), 400);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 100), 400);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n", 100), 413);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n", 100), 400);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 100), 400);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo\r\n\r\n", 100), 400);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 100), 400);
    assert_int_equal(frame("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 100), 400);
    assert_int_equal(frame("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 100), 400);       /* blank before colon */
    assert_int_equal(frame("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 100), 400);
    assert_int_equal(frame("GET / HTTP/1.1\r\nHost: a\r\nno colon\r\n\r\n", 100), 400);
    /* chunked bodies: complete, incomplete, overflowing, too big */
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 100), 0);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n2;x=y\r\n{}\r\n0\r\n\r\n", 100), 0);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 100), SRV_FRAMING_MORE);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{", 100), SRV_FRAMING_MORE);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF", 100), 400);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF1\r\n", 100), 400);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n7FFFFFFFFFFFFFFF\r\nab", 100), 413);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n", 50), 413);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 100), 400);
    assert_int_equal(frame("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n", 100), 400);
    /* each fault named */
    static const char *const faults[][2] = {
        {"GET / HTTP/1.1\r\n\r\n",
         "no Host header (HTTP/1.1 needs one)"},
        {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
         "more than one Host header"},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
         "two Content-Length values that differ"},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n",
         "a Content-Length that is not digits"},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
         "Content-Length together with Transfer-Encoding"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo\r\n\r\n",
         "a transfer coding other than exactly chunked"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
         "two Transfer-Encoding headers"},
        {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
         "Transfer-Encoding in an HTTP/1.0 request"},
        {"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
         "a blank before a header's colon"},
        {"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
         "a folded header line (obs-fold)"},
        {"GET / HTTP/1.1\r\nHost: a\r\nno colon\r\n\r\n",
         "a header line without a colon"},
        {"GET / HTTP/1.1\r\nHost: a\r\nX: a\001b\r\n\r\n",
         "a control character in a header value"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF1\r\n",
         "a chunk size that overflows 64 bits"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
         "a chunk size that is not hex"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n",
         "a chunk not followed by a line end"},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n",
         "a Content-Length larger than --max-body"},
    };
    for (size_t i = 0; i < sizeof faults / sizeof *faults; i++) assert_string_equal(fault_of(faults[i][0]), faults[i][1]);
}

static void test_content_type_origin_tokens(void **state)
{
    (void)state;
    assert_true(srv_content_type_json("application/json"));
    assert_true(srv_content_type_json("Application/JSON; charset=utf-8"));
    assert_true(srv_content_type_json("application/json ;charset=utf-8"));
    assert_false(srv_content_type_json(NULL));
    assert_false(srv_content_type_json("application/jsonx"));
    assert_false(srv_content_type_json("application/json-seq"));
    assert_false(srv_content_type_json("text/plain"));
    assert_false(srv_content_type_json("application/x-www-form-urlencoded"));
    assert_true(srv_origin_ok("http://127.0.0.1:8080", "127.0.0.1:8080", 8080));
    assert_true(srv_origin_ok("http://LOCALHOST:8080", "localhost:8080", 8080));
    assert_true(srv_origin_ok("http://[::1]:8080", "[::1]:8080", 8080));
    assert_true(srv_origin_ok("http://example.org", "example.org", 80));
    assert_false(srv_origin_ok("http://127.0.0.1:8081", "127.0.0.1:8080", 8080));   /* another port   */
    assert_false(srv_origin_ok("http://127.0.0.1:9999", "127.0.0.1:9999", 8080));   /* Host lies too  */
    assert_false(srv_origin_ok("https://127.0.0.1:8080", "127.0.0.1:8080", 8080));  /* another scheme */
    assert_false(srv_origin_ok("http://evil.example", "127.0.0.1:8080", 8080));
    assert_false(srv_origin_ok("null", "127.0.0.1:8080", 8080));
    assert_false(srv_origin_ok("http://127.0.0.1", "127.0.0.1", 8080));
    assert_false(srv_origin_ok("http://127.0.0.1:8080", NULL, 8080));
    assert_true(srv_token_valid("0123456789abcdef"));
    assert_false(srv_token_valid("0123456789abcde"));
    assert_false(srv_token_valid("0123456789abcdef 0"));
    assert_false(srv_token_valid(NULL));
    char t1[65], t2[65];
    assert_int_equal(srv_mint_token(t1), 0);
    assert_int_equal(srv_mint_token(t2), 0);
    assert_int_equal(strlen(t1), 64);
    assert_true(srv_token_valid(t1));
    assert_string_not_equal(t1, t2);
    char score[32];
    rv_format_score(4.6e-08, score, sizeof score);
    assert_string_equal(score, "4.6e-8");
    rv_format_score(0.25, score, sizeof score);
    assert_string_equal(score, "0.2500");
    rv_format_score(0, score, sizeof score);
    assert_string_equal(score, "0.0000");
    rv_format_score(1.23e-12, score, sizeof score);
    assert_string_equal(score, "1.2e-12");
}

static int write_file(const char *path, const char *text, int mode)
{
    FILE *fp = fopen(path, "w");
    if (!fp) return -1;
    fputs(text, fp);
    fclose(fp);
    return chmod(path, (mode_t)mode);
}

static void test_reviewers_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/la-test-rv-XXXXXX", path[PATH_MAX];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/reviewers", dir);
    srv_reviewers rv;
    la_error err;
    la_error_clear(&err);
    assert_int_equal(write_file(path, "# who may review\n\nann   0123456789abcdefAAAA\nMary Ann O'Brien\t0123456789abcdefBBBB\r\n", 0600), 0);
    assert_int_equal(srv_reviewers_load(path, &rv, &err), 0);
    assert_int_equal(rv.n, 2);
    assert_string_equal(rv.v[0].name, "ann");
    assert_string_equal(rv.v[1].name, "Mary Ann O'Brien");
    assert_string_equal(rv.v[1].token, "0123456789abcdefBBBB");
    srv_reviewers_free(&rv);
    assert_int_equal(chmod(path, 0644), 0);                                    /* readable by others */
    assert_int_equal(srv_reviewers_load(path, &rv, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "chmod 600"));
    assert_int_equal(write_file(path, "ann 0123456789abcdefAAAA\nbob short\n", 0600), 0);
    assert_int_equal(srv_reviewers_load(path, &rv, &err), LA_EUSAGE);
    assert_int_equal(err.line, 2);
    assert_int_equal(write_file(path, "ann 0123456789abcdefAAAA\nbob 0123456789abcdefAAAA\n", 0600), 0);
    assert_int_equal(srv_reviewers_load(path, &rv, &err), LA_EUSAGE);      /* one token, two people */
    assert_non_null(strstr(err.msg, "same token"));
    assert_int_equal(write_file(path, "ann 0123456789abcdefAAAA\nann 0123456789abcdefBBBB\n", 0600), 0);
    assert_int_equal(srv_reviewers_load(path, &rv, &err), LA_EUSAGE);
    assert_int_equal(write_file(path, "0123456789abcdefAAAA\n", 0600), 0);
    assert_int_equal(srv_reviewers_load(path, &rv, &err), LA_EUSAGE);      /* no name */
    assert_int_equal(err.line, 1);
    assert_int_equal(write_file(path, "# nobody\n", 0600), 0);
    assert_int_equal(srv_reviewers_load(path, &rv, &err), LA_EUSAGE);
    assert_int_equal(srv_reviewers_load("/nonexistent/reviewers", &rv, &err), LA_EUSAGE);
    unlink(path);
    rmdir(dir);
}

/* ---- srv_handle on a real database ----------------------------------------- */

#define TOK_ANN "ann-token-0123456789"
#define TOK_BOB "bob-token-0123456789"
#define AUTH_ANN "Authorization", "Bearer " TOK_ANN
#define AUTH_BOB "Authorization", "Bearer " TOK_BOB

typedef struct env {
    char base[64], root[128], db[PATH_MAX], manifest[PATH_MAX];
    char *ids[6], idbuf[6][16], *paths[6], pathbuf[6][PATH_MAX];
    int64_t given[6], suggested[6], ranked[6], cj[9], issues[3];
    double quality[6], nm[9], cer[3], cq[3];
    uint8_t is_issue[6];
    srv_reviewer bob;
    srv_reviewers others;
    srv_app *app;
} env;

/* 6 examples over the hostile classes, all flagged; images in root/. Two
 * runs of them (queue ids 1..6 and 7..12); the app serves run 1, reviewers
 * ann (cfg.token) and bob (a reviewers list). */
static void env_open(env *e)
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
    assert_int_equal(run, 1);
    assert_int_equal(db_record_audit(db, &r, &run, &err), 0);
    assert_int_equal(run, 2);
    db_close(db);
    e->bob = (srv_reviewer){(char *)"bob", (char *)TOK_BOB};
    e->others = (srv_reviewers){1, &e->bob};
    srv_config cfg = {.db_path = e->db, .run_id = 1, .token = TOK_ANN, .reviewer = "ann",
                      .reviewers = &e->others};
    assert_int_equal(srv_app_open(&cfg, &e->app, &err), 0);
    srv_app_set_port(e->app, 8080);
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
#define JSON_CT "Content-Type", "application/json"

/* POST /api/decide as ann (bearer); the status. */
static int decide(env *e, const char *json)
{
    srv_response r;
    int s = call(e, &r, "POST", "/api/decide", json, LOCAL, AUTH_ANN, JSON_CT, NULL);
    srv_response_free(&r);
    return s;
}

/* The queue row's status|reviewer|version, straight from SQLite. */
static void row_state(env *e, int64_t qid, char *out, size_t n)
{
    sqlite3 *db;
    la_error err;
    db_items it = {0, NULL};
    assert_int_equal(db_open(e->db, &db, &err), 0);
    assert_int_equal(db_load_item(db, qid, &it, &err), 0);
    snprintf(out, n, "%s|%s|%d", it.v[0].status, it.v[0].reviewer ? it.v[0].reviewer : "", it.v[0].version);
    db_items_free(&it);
    db_close(db);
}

/* A browser session for token tok: its cookie header and CSRF token. */
static void sign_in(env *e, const char *tok, char *cookie, size_t cn, char csrf[65])
{
    srv_response r;
    assert_int_equal(call(e, &r, "GET", "/", NULL, LOCAL, "?token", tok, NULL), 303);
    assert_string_equal(r.location, "/");
    assert_non_null(strstr(r.set_cookie, "la_session_8080="));
    assert_non_null(strstr(r.set_cookie, "HttpOnly"));
    assert_non_null(strstr(r.set_cookie, "SameSite=Strict"));
    assert_null(strstr(r.set_cookie, tok));                 /* the token never goes into a cookie */
    snprintf(cookie, cn, "%.*s", (int)strcspn(r.set_cookie, ";"), r.set_cookie);
    srv_response_free(&r);
    assert_int_equal(call(e, &r, "GET", "/", NULL, LOCAL, "Cookie", cookie, NULL), 200);
    const char *m = strstr(r.body, "name=\"csrf\" content=\"");
    assert_non_null(m);
    snprintf(csrf, 65, "%.64s", m + strlen("name=\"csrf\" content=\""));
    srv_response_free(&r);
}

static void test_handle_basics(void **state)
{
    (void)state;
    env e;
    srv_response r;
    env_open(&e);
    assert_int_equal(call(&e, &r, "GET", "/", NULL, LOCAL, AUTH_ANN, NULL), 200);
    assert_null(strstr(r.body, "{{CSRF}}"));
    assert_null(strstr(r.body, "<script>alert"));
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/", NULL, LOCAL, NULL), 401);        /* never open to all */
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/", NULL, "Host", "evil.example", AUTH_ANN, NULL), 403);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/", NULL, AUTH_ANN, NULL), 403);     /* no Host */
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/nope", NULL, LOCAL, AUTH_ANN, NULL), 404);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "PUT", "/api/state", NULL, LOCAL, AUTH_ANN, NULL), 405);
    assert_string_equal(r.allow, "GET, HEAD");
    srv_response_free(&r);
    char longp[SRV_MAX_URL + 10];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = '\0';
    assert_int_equal(call(&e, &r, "GET", longp, NULL, LOCAL, AUTH_ANN, NULL), 414);
    srv_response_free(&r);

    /* state: hostile names are escaped (\u003c) and read back intact; only run 1 */
    assert_int_equal(call(&e, &r, "GET", "/api/state", NULL, LOCAL, AUTH_ANN, "?limit", "10", NULL), 200);
    assert_null(strchr(r.body, '<'));
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 6);
    assert_int_equal(json_integer_value(json_object_get(j, "run")), 1);
    assert_string_equal(json_string_value(json_object_get(j, "reviewer")), "ann");
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "classes"), 0)), h0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "classes"), 2)), h2);
    json_t *it0 = json_array_get(json_object_get(j, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(it0, "image")), "/img/a.png");
    json_t *items = json_object_get(j, "items");
    for (size_t i = 0; i < json_array_size(items); i++)
        assert_true(json_integer_value(json_object_get(json_array_get(items, i), "qid")) <= 6);
    json_decref(j);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/api/state", NULL, LOCAL, AUTH_BOB, NULL), 200);
    j = json_loads(r.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "reviewer")), "bob");
    json_decref(j);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/api/state", NULL, LOCAL, AUTH_ANN, "?class", "1", "?status", "pending", NULL), 200);
    j = json_loads(r.body, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 2);
    json_decref(j);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/api/state", NULL, LOCAL, AUTH_ANN, "?min", "0.25", "?max", "0.45", NULL), 200);
    j = json_loads(r.body, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 2);      /* 0.3, 0.4 */
    json_decref(j);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/api/state", NULL, LOCAL, AUTH_ANN, "?class", "3", NULL), 400);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/api/state", NULL, LOCAL, AUTH_ANN, "?min", "nan", NULL), 400);
    srv_response_free(&r);

    /* images */
    assert_int_equal(call(&e, &r, "GET", "/img/a.png", NULL, LOCAL, AUTH_ANN, NULL), 200);
    assert_true(r.fd >= 0);
    assert_string_equal(r.content_type, "image/png");
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/img/a.png", NULL, LOCAL, NULL), 401);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/img/../root2/c.png", NULL, LOCAL, AUTH_ANN, NULL), 403);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/img/evil.png", NULL, LOCAL, AUTH_ANN, NULL), 403);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/img/sib/c.png", NULL, LOCAL, AUTH_ANN, NULL), 403);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/img/notes.txt", NULL, LOCAL, AUTH_ANN, NULL), 403);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/img/missing.png", NULL, LOCAL, AUTH_ANN, NULL), 404);
    srv_response_free(&r);
    env_close(&e);
}

static void test_handle_sessions(void **state)
{
    (void)state;
    env e;
    srv_response r;
    env_open(&e);
    char cookie[128], csrf[65], st[256];
    sign_in(&e, TOK_ANN, cookie, sizeof cookie, csrf);
    const char *keep = "{\"qid\":1,\"version\":0,\"decision\":\"keep\"}";
    /* CSRF, content type, origin on a cookie session */
    assert_int_equal(call(&e, &r, "POST", "/api/decide", keep, LOCAL, "Cookie", cookie, JSON_CT, NULL), 403);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "POST", "/api/decide", keep, LOCAL, "Cookie", cookie, "X-CSRF-Token", "x",
                          JSON_CT, NULL), 403);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "POST", "/api/decide", keep, LOCAL, "Cookie", cookie, "X-CSRF-Token", csrf,
                          "Content-Type", "text/plain", NULL), 415);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "POST", "/api/decide", keep, LOCAL, "Cookie", cookie, "X-CSRF-Token", csrf,
                          "Content-Type", "application/jsonx", NULL), 415);
    srv_response_free(&r);
    const char *bad_origins[] = {"http://evil.example", "null", "http://127.0.0.1:8081", "https://127.0.0.1:8080"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(call(&e, &r, "POST", "/api/decide", keep, LOCAL, "Cookie", cookie, "X-CSRF-Token", csrf,
                              JSON_CT, "Origin", bad_origins[i], NULL), 403);
        srv_response_free(&r);
    }
    row_state(&e, 1, st, sizeof st);
    assert_string_equal(st, "pending||0");
    assert_int_equal(call(&e, &r, "POST", "/api/decide", keep, LOCAL, "Cookie", cookie, "X-CSRF-Token", csrf,
                          "Content-Type", "application/json; charset=utf-8", "Origin", "http://127.0.0.1:8080", NULL), 200);
    srv_response_free(&r);
    row_state(&e, 1, st, sizeof st);
    assert_string_equal(st, "keep|ann|1");                  /* the session's reviewer */
    /* a cookie of another port, an unknown session, a token in the cookie */
    assert_int_equal(call(&e, &r, "GET", "/api/state", NULL, LOCAL, "Cookie", "la_session_9090=abc", NULL), 401);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/api/state", NULL, LOCAL, "Cookie", "la_session_8080=abc", NULL), 403);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/api/state", NULL, LOCAL, "Cookie", "la_token=" TOK_ANN, NULL), 401);
    srv_response_free(&r);
    /* tokens: wrong ones, and ?token= only on GET */
    assert_int_equal(call(&e, &r, "GET", "/", NULL, LOCAL, "Authorization", "Bearer nope", NULL), 403);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/", NULL, LOCAL, "X-Token", TOK_BOB, NULL), 200);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/", NULL, LOCAL, "?token", "wrong", NULL), 403);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "POST", "/api/decide", "{}", LOCAL, "?token", TOK_ANN, NULL), 401);
    srv_response_free(&r);
    env_close(&e);
}

static void test_handle_decisions(void **state)
{
    (void)state;
    env e;
    srv_response r;
    env_open(&e);
    char st[256];
    const char *keep = "{\"qid\":1,\"version\":0,\"decision\":\"keep\"}";
    assert_int_equal(call(&e, &r, "GET", "/api/decide", NULL, LOCAL, AUTH_ANN, NULL), 405);
    srv_response_free(&r);
    /* bad bodies */
    assert_int_equal(decide(&e, ""), 400);
    assert_int_equal(decide(&e, "{"), 400);
    assert_int_equal(decide(&e, "{\"qid\":1,\"qid\":1,\"version\":0,\"decision\":\"keep\"}"), 400);
    assert_int_equal(decide(&e, "{\"qid\":\"1\",\"version\":0,\"decision\":\"keep\"}"), 400);
    assert_int_equal(decide(&e, "{\"qid\":1,\"version\":0,\"decision\":\"pending\"}"), 400);
    assert_int_equal(decide(&e, "{\"qid\":1,\"version\":0,\"decision\":\"keep\",\"new_label\":1}"), 400);
    assert_int_equal(decide(&e, "{\"qid\":1,\"version\":0,\"decision\":\"relabel\",\"new_label\":3}"), 400);
    assert_int_equal(decide(&e, "{\"qid\":1,\"version\":0,\"decision\":\"relabel\"}"), 400);
    assert_int_equal(decide(&e, "{\"qid\":99,\"version\":0,\"decision\":\"keep\"}"), 404);
    /* the reviewer is the session's: naming another is refused, naming oneself is fine */
    assert_int_equal(decide(&e, "{\"qid\":1,\"version\":0,\"decision\":\"keep\",\"reviewer\":\"mallory\"}"), 403);
    assert_int_equal(decide(&e, "{\"qid\":1,\"version\":0,\"decision\":\"keep\",\"reviewer\":7}"), 400);
    row_state(&e, 1, st, sizeof st);
    assert_string_equal(st, "pending||0");
    /* run scope: queue rows 7..12 belong to run 2 */
    assert_int_equal(decide(&e, "{\"qid\":7,\"version\":0,\"decision\":\"drop\"}"), 404);
    row_state(&e, 7, st, sizeof st);
    assert_string_equal(st, "pending||0");
    /* a decision, then stale ones: 409 saying which kind */
    assert_int_equal(decide(&e, "{\"qid\":1,\"version\":0,\"decision\":\"keep\",\"reviewer\":\"ann\"}"), 200);
    assert_int_equal(call(&e, &r, "POST", "/api/decide", "{\"qid\":1,\"version\":0,\"decision\":\"drop\"}", LOCAL,
                          AUTH_BOB, JSON_CT, NULL), 409);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "item"), "status")), "keep");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "item"), "reviewer")), "ann");
    assert_string_equal(json_string_value(json_object_get(j, "conflict")), "other_reviewer");
    assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "another reviewer, ann"));
    json_decref(j);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "POST", "/api/decide", "{\"qid\":1,\"version\":0,\"decision\":\"drop\"}", LOCAL,
                          AUTH_ANN, JSON_CT, NULL), 409);
    j = json_loads(r.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "conflict")), "stale_version");
    assert_non_null(strstr(json_string_value(json_object_get(j, "message")), "stale version"));
    json_decref(j);
    srv_response_free(&r);
    (void)keep;
    assert_int_equal(call(&e, &r, "POST", "/api/decide", "{\"qid\":2,\"version\":0,\"decision\":\"relabel\","
                          "\"new_label\":2,\"note\":\"<b>\"}", LOCAL, AUTH_BOB, JSON_CT, NULL), 200);
    srv_response_free(&r);
    /* undo: one's own last only */
    assert_int_equal(call(&e, &r, "POST", "/api/undo", "{\"reviewer\":\"ann\"}", LOCAL, AUTH_BOB, JSON_CT, NULL), 403);
    srv_response_free(&r);
    row_state(&e, 1, st, sizeof st);
    assert_string_equal(st, "keep|ann|1");
    assert_int_equal(call(&e, &r, "POST", "/api/undo", "{}", LOCAL, AUTH_ANN, JSON_CT, NULL), 200);
    j = json_loads(r.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "item"), "status")), "pending");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "item"), "qid")), 1);
    json_decref(j);
    srv_response_free(&r);
    row_state(&e, 2, st, sizeof st);
    assert_string_equal(st, "relabel|bob|1");               /* bob's stands */
    assert_int_equal(call(&e, &r, "POST", "/api/undo", "{}", LOCAL, AUTH_ANN, JSON_CT, NULL), 404);
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "POST", "/api/undo", "[]", LOCAL, AUTH_ANN, JSON_CT, NULL), 400);
    srv_response_free(&r);
    /* progress */
    assert_int_equal(call(&e, &r, "GET", "/api/state", NULL, LOCAL, AUTH_ANN, NULL), 200);
    j = json_loads(r.body, 0, NULL);
    json_t *o = json_object_get(json_object_get(j, "progress"), "overall");
    assert_int_equal(json_integer_value(json_object_get(o, "decided")), 1);
    assert_int_equal(json_integer_value(json_object_get(o, "relabel")), 1);
    assert_int_equal(json_integer_value(json_object_get(o, "total")), 6);
    json_decref(j);
    srv_response_free(&r);
    env_close(&e);
}

static void test_app_needs_a_reviewer(void **state)
{
    (void)state;
    env e;
    env_open(&e);
    srv_config cfg = {.db_path = e.db};
    srv_app *app = NULL;
    la_error err;
    la_error_clear(&err);
    assert_int_equal(srv_app_open(&cfg, &app, &err), LA_EUSAGE);
    assert_null(app);
    cfg.token = "short";
    assert_int_equal(srv_app_open(&cfg, &app, &err), LA_EUSAGE);
    env_close(&e);
}

/* Several reviewers per row (serve_multi.c): ann, bob and carol, R = 2. What
 * bob reads holds nothing of ann's answer until he answers; a third answer on
 * a done row is a 409 "done"; R above the reviewers is refused. */
static void test_handle_multi(void **state)
{
    (void)state;
    env e;
    env_open(&e);
    srv_reviewer more[2] = {{(char *)"bob", (char *)TOK_BOB}, {(char *)"carol", (char *)"carol-token-0123456789"}};
    srv_reviewers rv = {2, more};
    srv_config cfg = {.db_path = e.db, .run_id = 1, .token = TOK_ANN, .reviewer = "ann", .reviewers = &rv,
                      .reviews_per_item = 4};
    srv_app *app = NULL;
    la_error err;
    la_error_clear(&err);
    assert_int_equal(srv_app_open(&cfg, &app, &err), LA_EUSAGE);   /* 4 > 3 reviewers */
    assert_non_null(strstr(err.msg, "need at least 4 reviewers"));
    cfg.reviews_per_item = 2;
    assert_int_equal(srv_app_open(&cfg, &app, &err), 0);
    srv_app_set_port(app, 8080);
    srv_app *single = e.app;
    e.app = app;
    assert_int_equal(decide(&e, "{\"qid\":1,\"version\":0,\"decision\":\"keep\",\"verdict\":\"false_alarm\"}"), 200);
    srv_response r;
    assert_int_equal(call(&e, &r, "GET", "/api/state", NULL, LOCAL, AUTH_BOB, NULL), 200);
    assert_null(strstr(r.body, "ann"));                     /* no name, no verdict of ann's */
    assert_null(strstr(r.body, "false_alarm"));
    assert_non_null(strstr(r.body, "\"hidden\":true"));
    srv_response_free(&r);
    assert_int_equal(call(&e, &r, "GET", "/api/next", NULL, LOCAL, AUTH_BOB, NULL), 200);
    assert_non_null(strstr(r.body, "\"qid\":1,"));
    assert_null(strstr(r.body, "ann"));
    srv_response_free(&r);
    const char *b = "{\"qid\":1,\"version\":0,\"decision\":\"relabel\",\"new_label\":2}";
    assert_int_equal(call(&e, &r, "POST", "/api/decide", b, LOCAL, AUTH_BOB, JSON_CT, NULL), 200);
    assert_non_null(strstr(r.body, "\"reviewer\":\"ann\""));  /* now bob may see it */
    assert_non_null(strstr(r.body, "\"done\":true"));
    srv_response_free(&r);
    const char *c = "{\"qid\":1,\"version\":0,\"decision\":\"drop\"}";
    assert_int_equal(call(&e, &r, "POST", "/api/decide", c, LOCAL, "Authorization", "Bearer carol-token-0123456789",
                          JSON_CT, NULL), 409);
    assert_non_null(strstr(r.body, "\"conflict\":\"done\""));
    assert_null(strstr(r.body, "\"reviewer\":\"ann\""));
    srv_response_free(&r);
    char st[128];
    row_state(&e, 1, st, sizeof st);
    assert_string_equal(st, "pending||0");                   /* the queue row is untouched */
    assert_int_equal(call(&e, &r, "POST", "/api/undo", "{}", LOCAL, AUTH_BOB, JSON_CT, NULL), 200);
    assert_non_null(strstr(r.body, "\"hidden\":true"));
    srv_response_free(&r);
    e.app = single;
    srv_app_close(app);
    env_close(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_safe),
        cmocka_unit_test(test_resolve_under),
        cmocka_unit_test(test_secrets_and_hosts),
        cmocka_unit_test(test_request_line),
        cmocka_unit_test(test_framing),
        cmocka_unit_test(test_content_type_origin_tokens),
        cmocka_unit_test(test_reviewers_file),
        cmocka_unit_test(test_handle_basics),
        cmocka_unit_test(test_handle_sessions),
        cmocka_unit_test(test_handle_decisions),
        cmocka_unit_test(test_app_needs_a_reviewer),
        cmocka_unit_test(test_handle_multi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
