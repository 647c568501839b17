/*
 * serve_frame.c — RFC 9112 message framing checks for the review server's
 * gate (serve_http.c): the header block and the start of a chunked body are
 * judged before libmicrohttpd sees a byte, because libmicrohttpd 0.9.x takes
 * the first of two Content-Length values, accepts Content-Length beside
 * Transfer-Encoding and a doubled Host, and waits on a chunk it cannot size.
 * Pure functions over bytes: no sockets, no allocation. Every refusal
 * carries a static phrase naming the fault, which the gate's 400 body shows.
 */
#include "serve.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#define CHUNK_LINE_MAX 1024       /* longest chunk-size line (with extensions) */

typedef struct frame_facts {
    int      http10;              /* request line says HTTP/1.0               */
    int      n_host, n_te, n_cl;  /* how many of each header                  */
    int      chunked;             /* Transfer-Encoding is exactly chunked     */
    int      bad;                 /* a status already decided (400/413)       */
    const char *why;              /* its fault, a static phrase               */
    uint64_t content_length;
} frame_facts;

/* Records the first fault: status and what is wrong. */
static void fault(frame_facts *f, int status, const char *why)
{
    if (f->bad) return;
    f->bad = status;
    f->why = why;
}

/* RFC 9110 tchar: what a header name is made of. */
static int is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* value (len bytes) without leading and trailing blanks. */
static void trim(const char **v, size_t *len)
{
    while (*len && (**v == ' ' || **v == '\t')) (*v)++, (*len)--;
    while (*len && ((*v)[*len - 1] == ' ' || (*v)[*len - 1] == '\t')) (*len)--;
}

/* One Content-Length value: digits only, possibly a list "5, 5" of one value
 * (RFC 9110 8.6 allows identical repeats). Records a differing value as 400. */
static void note_content_length(frame_facts *f, const char *v, size_t len, size_t max_body)
{
    size_t i = 0;
    while (i < len) {
        uint64_t x = 0;
        size_t digits = 0;
        while (i < len && (v[i] == ' ' || v[i] == '\t')) i++;
        while (i < len && v[i] >= '0' && v[i] <= '9') {
            if (x > (UINT64_MAX - 9) / 10) { fault(f, 400, "a Content-Length too large for 64 bits"); return; }
            x = x * 10 + (uint64_t)(v[i++] - '0');
            digits++;
        }
        while (i < len && (v[i] == ' ' || v[i] == '\t')) i++;
        if (!digits || (i < len && v[i] != ',')) { fault(f, 400, "a Content-Length that is not digits"); return; }
        if (i < len) i++;
        if (f->n_cl++ && x != f->content_length) {
            fault(f, 400, "two Content-Length values that differ");
            return;
        }
        f->content_length = x;
    }
    if (f->content_length > max_body) fault(f, 413, "a Content-Length larger than --max-body");
}

static void note_header(frame_facts *f, const char *name, size_t nlen, const char *v, size_t vlen,
                        size_t max_body)
{
    trim(&v, &vlen);
    if (nlen == 4 && !strncasecmp(name, "Host", 4)) f->n_host++;
    else if (nlen == 14 && !strncasecmp(name, "Content-Length", 14)) note_content_length(f, v, vlen, max_body);
    else if (nlen == 17 && !strncasecmp(name, "Transfer-Encoding", 17)) {
        f->n_te++;
        /* Only "chunked", once: another coding (gzip, chunked) is one we
         * cannot decode, and a repeat is a request built to be misread. */
        f->chunked = f->n_te == 1 && vlen == 7 && !strncasecmp(v, "chunked", 7);
        if (f->n_te > 1) fault(f, 400, "two Transfer-Encoding headers");
        else if (!f->chunked) fault(f, 400, "a transfer coding other than exactly chunked");
    }
}

/* Walks the header lines after the request line. */
static void scan_headers(frame_facts *f, const char *p, const char *end, size_t max_body)
{
    while (p < end && !f->bad) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) { fault(f, 400, "a header block that does not end"); return; }
        size_t len = (size_t)(eol - p);
        if (len && p[len - 1] == '\r') len--;
        if (len == 0) return;                               /* the empty line  */
        if (p[0] == ' ' || p[0] == '\t') {                          /* obs-fold */
            fault(f, 400, "a folded header line (obs-fold)");
            return;
        }
        size_t n = 0;
        while (n < len && is_tchar((unsigned char)p[n])) n++;
        size_t b = n;
        while (b < len && (p[b] == ' ' || p[b] == '\t')) b++;
        if (n > 0 && b > n && b < len && p[b] == ':') {
            fault(f, 400, "a blank before a header's colon");
            return;
        }
        if (n == 0 || n >= len || p[n] != ':') { fault(f, 400, "a header line without a colon"); return; }
        for (size_t i = n + 1; i < len; i++)
            if ((unsigned char)p[i] < 0x20 && p[i] != '\t') {
                fault(f, 400, "a control character in a header value");
                return;
            }
        note_header(f, p, n, p + n + 1, len - n - 1, max_body);
        p = eol + 1;
    }
}

/* Checks the chunks in body[0..len): 0 complete, SRV_FRAMING_MORE, 400, 413
 * (then *why names the fault). */
static int scan_chunks(const char *body, size_t len, size_t max_body, const char **why)
{
    size_t at = 0;
    uint64_t total = 0;
    for (;;) {
        uint64_t size = 0;
        size_t digits = 0;
        int overflow = 0;
        while (at < len && body[at] && strchr("0123456789abcdefABCDEF", body[at])) {
            unsigned char c = (unsigned char)body[at++];
            if (size >> 60) overflow = 1;                    /* no 64-bit value  */
            size = size * 16 + (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
            digits++;
        }
        *why = "a chunk size that overflows 64 bits";
        if (overflow) return 400;
        *why = "a chunk larger than --max-body";
        if (size > max_body) return 413;
        *why = "a chunk size that overflows 64 bits";
        if (at == len) return digits <= 16 ? SRV_FRAMING_MORE : 400;
        *why = "a chunk size that is not hex";
        if (!digits || (body[at] != ';' && body[at] != '\r' && body[at] != '\n')) return 400;
        const char *eol = memchr(body + at, '\n', len - at);
        *why = "a chunk size line over 1024 bytes";
        if (!eol) return len - at > CHUNK_LINE_MAX ? 400 : SRV_FRAMING_MORE;
        at = (size_t)(eol - body) + 1;
        if (size == 0) return 0;                             /* last chunk       */
        total += size;
        *why = "chunks larger than --max-body together";
        if (total > max_body) return 413;
        if (len - at < size + 2) return SRV_FRAMING_MORE;
        at += (size_t)size;
        if (body[at] == '\r') at++;
        *why = "a chunk not followed by a line end";
        if (body[at] != '\n') return 400;
        at++;
    }
}

int srv_framing_check(const char *head, size_t head_len, const char *body, size_t body_len,
                      size_t max_body, const char **why)
{
    frame_facts f = {0};
    const char *dummy;
    if (!why) why = &dummy;
    *why = NULL;
    const char *eol = memchr(head, '\n', head_len);
    if (!eol) fault(&f, 400, "no request line");
    else {
        size_t ll = (size_t)(eol - head);
        if (ll && head[ll - 1] == '\r') ll--;
        f.http10 = ll >= 8 && !memcmp(head + ll - 8, "HTTP/1.0", 8);
        scan_headers(&f, eol + 1, head + head_len, max_body);
    }
    if (f.n_te && f.n_cl) fault(&f, 400, "Content-Length together with Transfer-Encoding"); /* RFC 9112 6.1 */
    if (f.n_te && f.http10) fault(&f, 400, "Transfer-Encoding in an HTTP/1.0 request");     /* 6.3 */
    if (f.n_host > 1) fault(&f, 400, "more than one Host header");                          /* 3.2 */
    if (!f.http10 && f.n_host == 0) fault(&f, 400, "no Host header (HTTP/1.1 needs one)");
    if (f.bad) {
        *why = f.why;
        return f.bad;
    }
    int st = f.chunked ? scan_chunks(body, body_len, max_body, why) : 0;
    if (st == 0 || st == SRV_FRAMING_MORE) *why = NULL;
    return st;
}

int srv_framing_status(const char *head, size_t head_len, const char *body, size_t body_len,
                       size_t max_body)
{
    return srv_framing_check(head, head_len, body, body_len, max_body, NULL);
}
