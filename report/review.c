/*
 * review.c — command parsing and example formatting for the terminal review.
 * Pure functions over strings and db_item values: no I/O, no database, so
 * every key and every line a reviewer can type is unit-tested.
 */
#include "review.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rv_parse_key(int key, int64_t suggested, rv_command *out)
{
    out->label = -1;
    out->pair = NULL;
    switch (key) {
    case 'k': out->action = RV_KEEP; return 0;
    case 'r': out->action = RV_RELABEL; out->label = suggested; return 0;
    case 'c': out->action = RV_CHOOSE; return 0;
    case 'd': out->action = RV_DROP; return 0;
    case 's': out->action = RV_SKIP; return 0;
    case 'u': out->action = RV_UNDO; return 0;
    case 'q': case 3: case 4: out->action = RV_QUIT; return 0;     /* Ctrl-C, Ctrl-D */
    case '?': case 'h': out->action = RV_HELP; return 0;
    case 'e': out->action = RV_VERDICT; out->verdict = "error"; return 0;
    case 'a': out->action = RV_VERDICT; out->verdict = "ambiguous"; return 0;
    case 'f': out->action = RV_VERDICT; out->verdict = "false_alarm"; return 0;
    case '1': out->action = RV_PAIR; out->pair = "drop"; return 0;
    case '2': out->action = RV_PAIR; out->pair = "keep"; return 0;
    case '3': out->action = RV_PAIR; out->pair = "keep_both"; return 0;
    case '\r': case '\n': case ' ': out->action = RV_NONE; return 0;
    default: out->action = RV_NONE; return -1;
    }
}

int64_t rv_class_lookup(const char *s, char *const *class_names, size_t k)
{
    for (size_t i = 0; i < k; i++)                /* exact names first: "3" may be a name */
        if (class_names[i] && strcmp(class_names[i], s) == 0) return (int64_t)i;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!errno && end != s && !*end && v >= 0 && (unsigned long long)v < k) return v;
    return -1;
}

static int word_is(const char *w, size_t n, const char *a, const char *b)
{
    return (strlen(a) == n && !strncmp(w, a, n)) || (strlen(b) == n && !strncmp(w, b, n));
}

int rv_parse_line(const char *line, int64_t suggested, char *const *class_names, size_t k,
                  rv_command *out, char *why, size_t whysz)
{
    out->action = RV_NONE;
    out->label = -1;
    out->verdict = NULL;
    out->pair = NULL;
    while (*line == ' ' || *line == '\t') line++;
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    if (len == 0) return 0;
    size_t wl = 0;
    while (wl < len && line[wl] != ' ' && line[wl] != '\t') wl++;
    const char *arg = line + wl;
    while (arg < line + len && (*arg == ' ' || *arg == '\t')) arg++;
    size_t al = (size_t)(line + len - arg);
    if (word_is(line, wl, "c", "relabel") || word_is(line, wl, "choose", "relabel-to")) {
        if (al == 0) {
            if (word_is(line, wl, "relabel", "relabel")) {    /* bare "relabel": the suggestion */
                out->action = RV_RELABEL;
                out->label = suggested;
            } else {
                out->action = RV_CHOOSE;
            }
            return 0;
        }
        char name[1024];
        if (al >= sizeof name) {
            snprintf(why, whysz, "class name too long");
            return -1;
        }
        memcpy(name, arg, al);
        name[al] = '\0';
        int64_t c = rv_class_lookup(name, class_names, k);
        if (c < 0) {
            snprintf(why, whysz, "unknown class '%.200s' (give an index 0..%zu or an exact name)", name, k - 1);
            return -1;
        }
        out->action = RV_RELABEL;
        out->label = c;
        return 0;
    }
    if (al) {
        snprintf(why, whysz, "'%.*s' takes no argument", (int)(wl > 40 ? 40 : wl), line);
        return -1;
    }
    static const struct { const char *key, *word; rv_action a; const char *verdict, *pair; } words[] = {
        {"k", "keep", RV_KEEP, NULL, NULL}, {"r", "r", RV_RELABEL, NULL, NULL}, {"d", "drop", RV_DROP, NULL, NULL},
        {"s", "skip", RV_SKIP, NULL, NULL}, {"u", "undo", RV_UNDO, NULL, NULL}, {"q", "quit", RV_QUIT, NULL, NULL},
        {"exit", "exit", RV_QUIT, NULL, NULL}, {"?", "help", RV_HELP, NULL, NULL}, {"h", "h", RV_HELP, NULL, NULL},
        {"e", "error", RV_VERDICT, "error", NULL}, {"a", "ambiguous", RV_VERDICT, "ambiguous", NULL},
        {"f", "false_alarm", RV_VERDICT, "false_alarm", NULL}, {"1", "pair-drop", RV_PAIR, NULL, "drop"},
        {"2", "pair-keep", RV_PAIR, NULL, "keep"}, {"3", "keep-both", RV_PAIR, NULL, "keep_both"}};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        if (!word_is(line, wl, words[i].key, words[i].word)) continue;
        out->action = words[i].a;
        out->verdict = words[i].verdict;
        out->pair = words[i].pair;
        if (out->action == RV_RELABEL) out->label = suggested;
        return 0;
    }
    snprintf(why, whysz, "unknown command '%.*s' (? for help)", (int)(wl > 40 ? 40 : wl), line);
    return -1;
}

void rv_sanitize(const char *s, char *out, size_t outsz)
{
    size_t o = 0;
    if (!outsz) return;
    for (; s && *s && o + 1 < outsz; s++) {
        unsigned char c = (unsigned char)*s;
        out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    out[o] = '\0';
}

/* A growing text buffer; on allocation failure it stays failed (NULL). */
typedef struct rv_buf {
    char  *s;
    size_t len, cap;
    int    failed;
} rv_buf;

static void bprintf(rv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(rv_buf *b, const char *fmt, ...)
{
    if (b->failed) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t ncap = (b->cap + (size_t)n + 1) * 2;
        char *ns = realloc(b->s, ncap);
        if (!ns) {
            b->failed = 1;
            return;
        }
        b->s = ns;
        b->cap = ncap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static const char *cls(char *const *names, size_t k, int64_t c, char *buf, size_t bufsz)
{
    if (c < 0 || (size_t)c >= k || !names[c]) {
        snprintf(buf, bufsz, "#%lld", (long long)c);
        return buf;
    }
    rv_sanitize(names[c], buf, bufsz);
    return buf;
}

/* Feature values from the JSON summary [{"name","value","given_mean",
 * "suggested_mean","z"}], one per line. */
static void format_features(rv_buf *b, const char *json)
{
    json_t *arr = json_loads(json, 0, NULL);
    if (!json_is_array(arr)) {
        json_decref(arr);
        return;
    }
    size_t i;
    json_t *f;
    char name[256];
    json_array_foreach(arr, i, f) {
        if (i >= 8) break;
        json_t *jn = json_object_get(f, "name"), *jv = json_object_get(f, "value");
        rv_sanitize(json_is_string(jn) ? json_string_value(jn) : "?", name, sizeof name);
        bprintf(b, "    %-24s %g", name, json_is_number(jv) ? json_number_value(jv) : 0.0);
        json_t *g = json_object_get(f, "given_mean"), *s = json_object_get(f, "suggested_mean");
        if (json_is_number(g) && json_is_number(s))
            bprintf(b, "   (given-class mean %g, suggested-class mean %g)", json_number_value(g), json_number_value(s));
        bprintf(b, "\n");
    }
    json_decref(arr);
}

void rv_format_score(double q, char *out, size_t outsz)
{
    if (!isfinite(q) || q == 0 || fabs(q) >= RV_SCORE_FIXED_MIN) {
        snprintf(out, outsz, "%.4f", q);
        return;
    }
    /* 4.6e-08 -> 4.6e-8: two significant digits, no exponent padding */
    char buf[32];
    snprintf(buf, sizeof buf, "%.1e", q);
    char *e = strchr(buf, 'e');
    if (e) {
        char *d = e + 1 + (e[1] == '-' || e[1] == '+');
        char *nz = d;
        while (nz[0] == '0' && nz[1]) nz++;
        memmove(d, nz, strlen(nz) + 1);
    }
    snprintf(out, outsz, "%s", buf);
}

char *rv_format_item(const db_item *it, char *const *class_names, size_t k, const db_progress *overall)
{
    rv_buf b = {NULL, 0, 0, 0};
    char g[256], s[256], n[256], text[1024], score[32];
    if (overall && overall->skip)   /* skip = decide later: not counted as decided */
        bprintf(&b, "[%lld of %lld decided, %lld skipped for later]\n", (long long)(overall->decided - overall->skip),
                (long long)overall->total, (long long)overall->skip);
    else if (overall)
        bprintf(&b, "[%lld of %lld decided]\n", (long long)overall->decided, (long long)overall->total);
    rv_sanitize(it->dataset_id, text, sizeof text);
    bprintf(&b, "id:        %s   (row %lld, rank %lld)\n", text, (long long)it->row, (long long)it->rank);
    bprintf(&b, "given:     %s\n", cls(class_names, k, it->given, g, sizeof g));
    bprintf(&b, "suggested: %s%s\n", cls(class_names, k, it->suggested, s, sizeof s),
            it->suggested == it->given ? "   (same as given)" : "");
    rv_format_score(it->quality, score, sizeof score);
    bprintf(&b, "score:     %s   (label quality; low = likely wrong)\n", score);
    bprintf(&b, "status:    %s", it->status ? it->status : "pending");
    if (it->status && !strcmp(it->status, "relabel")) bprintf(&b, " -> %s", cls(class_names, k, it->new_label, n, sizeof n));
    bprintf(&b, "\n");
    if (it->image_path) {
        rv_sanitize(it->image_path, text, sizeof text);
        bprintf(&b, "image:     %s\n", text);
    }
    if (it->features) {
        bprintf(&b, "features:\n");
        format_features(&b, it->features);
    }
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s ? b.s : la_strdup("");
}

/* A table row of issue_examples.features: [[name, value], ...], the first
 * few on one line. */
static void format_pair_features(rv_buf *b, const char *json)
{
    json_t *arr = json_loads(json, 0, NULL);
    size_t i;
    json_t *f;
    char name[128];
    if (json_is_array(arr)) {
        bprintf(b, "           ");
        json_array_foreach(arr, i, f) {
            if (i >= 8) { bprintf(b, " ..."); break; }
            json_t *jn = json_array_get(f, 0), *jv = json_array_get(f, 1);
            rv_sanitize(json_is_string(jn) ? json_string_value(jn) : "?", name, sizeof name);
            if (json_is_number(jv)) bprintf(b, " %s=%g", name, json_number_value(jv));
            else bprintf(b, " %s=%s", name, json_is_string(jv) ? json_string_value(jv) : "?");
        }
        bprintf(b, "\n");
    }
    json_decref(arr);
}

char *rv_format_issues(const db_issues *iss, const db_issue_example *partner)
{
    rv_buf b = {NULL, 0, 0, 0};
    char text[1024], score[32];
    int64_t partner_row = -1;
    int partner_test = 0;
    if (iss && iss->n) {
        bprintf(&b, "issues:   ");
        for (size_t t = 0; t < iss->n; t++) {
            rv_sanitize(iss->v[t].issue, text, sizeof text);
            rv_format_score(iss->v[t].score, score, sizeof score);
            bprintf(&b, "%s %s (score %s)", t ? "," : "", text, score);
            if (partner_row < 0 && iss->v[t].partner >= 0) {
                partner_row = iss->v[t].partner;
                partner_test = iss->v[t].partner_test;
            }
        }
        bprintf(&b, "\n");
    }
    if (partner_row >= 0) {
        bprintf(&b, "partner:   %s row %lld", partner_test ? "test" : "training", (long long)partner_row);
        if (partner && partner->row == partner_row && partner->test == partner_test) {
            rv_sanitize(partner->dataset_id, text, sizeof text);
            bprintf(&b, ", id %s", text);
            if (partner->label) {
                rv_sanitize(partner->label, text, sizeof text);
                bprintf(&b, ", label %s", text);
            }
            bprintf(&b, "\n");
            if (partner->image_path) {
                rv_sanitize(partner->image_path, text, sizeof text);
                bprintf(&b, "           image %s\n", text);
            }
            if (partner->features) format_pair_features(&b, partner->features);
        } else {
            bprintf(&b, "\n");
        }
    }
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s ? b.s : la_strdup("");
}
