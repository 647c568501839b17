/*
 * sampler.c — the epoch samplers and image augmentation of sampler.h.
 * Oversampling picks a present class uniformly, then a row of it, so each
 * class is drawn equally often whatever its size; undersampling keeps the
 * first min_c n_c rows of each class of a shuffled order.
 */
#include "sampler.h"

#include <stdlib.h>
#include <string.h>

void cv_sampler_epoch(cv_sampler_kind s, const int32_t *y, size_t n, size_t k, la_rng *rng,
                      size_t *idx, size_t *count)
{
    if (s == CV_SAMPLER_OVERSAMPLE) {
        /* P(i) = 1 / (K' n_{y_i}): pick a present class uniformly, then a row of it */
        size_t *cnt = la_calloc(k + 1, sizeof *cnt), *rows = la_malloc_array(n, sizeof *rows);
        size_t *present = la_malloc_array(k, sizeof *present);
        if (!cnt || !rows || !present) goto plain;
        for (size_t i = 0; i < n; i++) cnt[y[i] + 1]++;
        for (size_t c = 0; c < k; c++) cnt[c + 1] += cnt[c];
        size_t *pos = present;      /* borrow as a cursor, refilled below */
        for (size_t c = 0; c < k; c++) pos[c] = cnt[c];
        for (size_t i = 0; i < n; i++) rows[pos[y[i]]++] = i;
        size_t kp = 0;
        for (size_t c = 0; c < k; c++) if (cnt[c + 1] > cnt[c]) present[kp++] = c;
        for (size_t j = 0; j < n; j++) {
            size_t c = present[la_rng_below(rng, kp)];
            idx[j] = rows[cnt[c] + la_rng_below(rng, cnt[c + 1] - cnt[c])];
        }
        *count = n;
        free(cnt); free(rows); free(present);
        return;
    plain:
        free(cnt); free(rows); free(present);
        s = CV_SAMPLER_NONE;
    }
    if (s == CV_SAMPLER_UNDERSAMPLE) {
        /* shuffle all, then keep the first min_c n_c rows of each class */
        size_t *cnt = la_calloc(k, sizeof *cnt), *kept = la_calloc(k, sizeof *kept);
        if (cnt && kept) {
            for (size_t i = 0; i < n; i++) { idx[i] = i; cnt[y[i]]++; }
            size_t mn = SIZE_MAX;
            for (size_t c = 0; c < k; c++) if (cnt[c] && cnt[c] < mn) mn = cnt[c];
            la_rng_shuffle(rng, idx, n);
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if (kept[y[idx[i]]]++ < mn) idx[m++] = idx[i];
            *count = m;
            free(cnt); free(kept);
            return;
        }
        free(cnt); free(kept);
    }
    for (size_t i = 0; i < n; i++) idx[i] = i;
    la_rng_shuffle(rng, idx, n);
    *count = n;
}

void cv_sampler_augment_row(float *row, float *tmp, int w, int h, int ch, int dx, int dy, int flip)
{
    /* out(x, y) = in(clamp(x' - dx), clamp(y - dy)), x' = w-1-x when flipped */
    size_t sz = (size_t)w * h * ch;
    memcpy(tmp, row, sz * sizeof *row);
    for (int yy = 0; yy < h; yy++) {
        int sy = yy - dy;
        sy = sy < 0 ? 0 : sy >= h ? h - 1 : sy;
        for (int xx = 0; xx < w; xx++) {
            int sx = (flip ? w - 1 - xx : xx) - dx;
            sx = sx < 0 ? 0 : sx >= w ? w - 1 : sx;
            for (int c = 0; c < ch; c++)
                row[((size_t)yy * w + xx) * ch + c] = tmp[((size_t)sy * w + sx) * ch + c];
        }
    }
}

/* Random shift of 1-2 pixels (never 0, 0) and, with flip, a coin-flip mirror. */
void cv_sampler_augment_random(const cv_train_opts *o, float *row, float *tmp, la_rng *r)
{
    int dx, dy;
    do {
        dx = (int)la_rng_below(r, 5) - 2;
        dy = (int)la_rng_below(r, 5) - 2;
    } while (dx == 0 && dy == 0);
    int fl = o->flip && (la_rng_next(r) & 1);
    cv_sampler_augment_row(row, tmp, o->image_w, o->image_h, o->channels ? o->channels : 1, dx, dy, fl);
}

int cv_sampler_can_augment(const cv_train_opts *o, size_t d)
{
    int ch = o->channels ? o->channels : 1;
    return o->image_w > 0 && o->image_h > 0 && (size_t)o->image_w * o->image_h * ch == d;
}
/* logreg with a sampler: the resampled (and, for image repeats, augmented)
 * training set is materialized once, then fitted full-batch. */
int cv_sampler_resample(const cv_train_opts *o, const float *X, size_t n, size_t d, const int32_t *y,
                    const float *sw, size_t k, float **Xo, int32_t **yo, float **swo, size_t *no,
                    la_error *err)
{
    la_rng r;
    la_rng_seed(&r, o->seed, 13);
    size_t *idx = la_malloc_array(n, sizeof *idx), cnt = 0;
    uint8_t *seen = la_calloc(n, 1);
    float *tmp = la_malloc_array(d ? d : 1, sizeof *tmp);
    if (!idx || !seen || !tmp) goto oom;
    cv_sampler_epoch(o->sampler, y, n, k, &r, idx, &cnt);
    *Xo = la_malloc_array(cnt * (d ? d : 1), sizeof **Xo);
    *yo = la_malloc_array(cnt, sizeof **yo);
    *swo = la_malloc_array(cnt, sizeof **swo);
    if (!*Xo || !*yo || !*swo) { free(*Xo); free(*yo); free(*swo); goto oom; }
    int augment = o->sampler == CV_SAMPLER_OVERSAMPLE && cv_sampler_can_augment(o, d);
    for (size_t j = 0; j < cnt; j++) {
        size_t i = idx[j];
        memcpy(*Xo + j * d, X + i * d, d * sizeof **Xo);
        if (augment && seen[i]++) cv_sampler_augment_random(o, *Xo + j * d, tmp, &r);
        (*yo)[j] = y[i];
        (*swo)[j] = sw ? sw[i] : 1.0f;
    }
    *no = cnt;
    free(idx); free(seen); free(tmp);
    return 0;
oom:
    free(idx); free(seen); free(tmp);
    return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
}
