/*
 * fuzz_summary.c — libFuzzer target for the summary JSON read by `check`
 * (audit/check.h): parse, then judge it against itself as baseline with every
 * limit set and render the verdict in all four formats (to /dev/null).
 */
#include "fuzz_common.h"
#include <math.h>
#include "../../audit/check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    ck_summary s;
    memset(&s, 0, sizeof s);
    la_error err;
    la_error_clear(&err);
    if (ck_summary_from_text(text, "fuzz.json", &s, &err) == 0) {
        static FILE *null;
        if (!null) null = fopen("/dev/null", "w");
        ck_summary_set_confidence(&s, 0.9);
        la_error_clear(&err);
        ck_compare_classes(&s, &s, &err);
        ck_limits lim;
        ck_limits_init(&lim);
        lim.max_error_rate = 0.1;
        lim.max_increase = 0.01;
        lim.max_class_error_rate = 0.2;
        lim.min_health = 0.5;
        ck_verdict v;
        memset(&v, 0, sizeof v);
        la_error_clear(&err);
        if (ck_evaluate(&s, &s, &lim, &v, &err) == 0) {
            ck_write_text(null, &s, &s, &v);
            ck_write_junit(null, &s, &s, &v);
            ck_write_github(null, &s, &s, &v);
            json_t *j = ck_to_json(&s, &s, &v);
            if (j) {
                char *d = json_dumps(j, 0);
                free(d);
                json_decref(j);
            }
            ck_verdict_free(&v);
        }
        ck_summary_free(&s);
    }
    free(text);
    return 0;
}
