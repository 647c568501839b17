/*
 * sampler.c — the epoch samplers and image augmentation of sampler.h.
 * Oversampling picks a present class uniformly, then a row of it, so each
 * class is drawn equally often whatever its size; undersampling keeps the
 * first min_c n_c rows of each class of a shuffled order. The top-up of
 * --oversample-ratio keeps every row and adds synthetic ones: augmented
 * images (rotation, shift, noise, in pixel units) or SMOTE interpolations.
 */
#include "sampler.h"

#include <math.h>
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

/* ---- modest oversampling ------------------------------------------------- */

void cv_sampler_ratio_targets(const int32_t *y, size_t n, size_t k, double R, size_t *t)
{
    size_t mx = 0;
    for (size_t c = 0; c < k; c++) t[c] = 0;
    for (size_t i = 0; i < n; i++) t[y[i]]++;
    for (size_t c = 0; c < k; c++) if (t[c] > mx) mx = t[c];
    size_t want = (size_t)ceil(R * (double)mx);
    for (size_t c = 0; c < k; c++) if (t[c] && t[c] < want) t[c] = want;
}

/* Bilinear sample of channel ch of img (w x h x chs) at (x, y), edges clamped. */
static float bilinear(const float *img, int w, int h, int chs, int ch, double x, double y)
{
    x = x < 0 ? 0 : x > w - 1 ? w - 1 : x;
    y = y < 0 ? 0 : y > h - 1 ? h - 1 : y;
    int x0 = (int)x, y0 = (int)y, x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
    double fx = x - x0, fy = y - y0;
#define PX(xx, yy) (double)img[((size_t)(yy) * w + (xx)) * chs + ch]
    double v = (1 - fy) * ((1 - fx) * PX(x0, y0) + fx * PX(x1, y0)) + fy * ((1 - fx) * PX(x0, y1) + fx * PX(x1, y1));
#undef PX
    return (float)v;
}

void cv_sampler_augment_strong(const cv_train_opts *o, float *row, float *tmp, la_rng *r)
{
    int w = o->image_w, h = o->image_h, ch = o->channels ? o->channels : 1;
    size_t sz = (size_t)w * h * ch;
    double th = (2.0 * la_rng_uniform(r) - 1.0) * CV_AUG_MAX_DEGREES * M_PI / 180.0;
    double tx = (double)la_rng_below(r, 2 * CV_AUG_MAX_SHIFT + 1) - CV_AUG_MAX_SHIFT;
    double ty = (double)la_rng_below(r, 2 * CV_AUG_MAX_SHIFT + 1) - CV_AUG_MAX_SHIFT;
    int fl = o->flip && (la_rng_next(r) & 1);
    double cs = cos(th), sn = sin(th), cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
    const float *mu = o->aug_mean, *is = o->aug_inv_scale;
    /* in pixel units: x = z / inv_scale + mean (a constant column is its mean) */
    for (size_t j = 0; j < sz; j++) tmp[j] = mu ? (is[j] > 0 ? row[j] / is[j] : 0.0f) + mu[j] : row[j];
    /* out(p) = in(R^-1 (p - c - t) + c): rotate about the centre, then shift */
    for (int yy = 0; yy < h; yy++)
        for (int xx = 0; xx < w; xx++) {
            double px = (fl ? w - 1 - xx : xx) - cx - tx, py = yy - cy - ty;
            double sx = cs * px + sn * py + cx, sy = -sn * px + cs * py + cy;
            for (int c = 0; c < ch; c++)
                row[((size_t)yy * w + xx) * ch + c] =
                    bilinear(tmp, w, h, ch, c, sx, sy) + (float)(CV_AUG_NOISE * la_rng_normal(r));
        }
    if (mu)
        for (size_t j = 0; j < sz; j++) row[j] = (row[j] - mu[j]) * is[j];
}

/* One SMOTE row of the class whose rows are rows[0..m) into out (d);
 * returns the row it starts from. */
static size_t smote_row(const float *X, size_t d, const size_t *rows, size_t m, la_rng *r, size_t *pool,
                      double *dist, float *out)
{
    size_t i = rows[la_rng_below(r, m)];
    const float *xi = X + i * d;
    if (m < 2) { memcpy(out, xi, d * sizeof *out); return i; }
    size_t np = 0;
    if (m <= CV_SMOTE_POOL) {
        for (size_t t = 0; t < m; t++) if (rows[t] != i) pool[np++] = rows[t];
    } else {
        while (np < CV_SMOTE_POOL) { size_t j = rows[la_rng_below(r, m)]; if (j != i) pool[np++] = j; }
    }
    for (size_t t = 0; t < np; t++) {
        const float *xj = X + pool[t] * d;
        double s = 0.0;
        for (size_t q = 0; q < d; q++) { double e = (double)xj[q] - xi[q]; s += e * e; }
        dist[t] = s;
    }
    /* partial selection of the nearest CV_SMOTE_NEIGHBOURS to the front */
    size_t nn = np < CV_SMOTE_NEIGHBOURS ? np : CV_SMOTE_NEIGHBOURS;
    for (size_t a = 0; a < nn; a++) {
        size_t b = a;
        for (size_t t = a + 1; t < np; t++) if (dist[t] < dist[b]) b = t;
        double td = dist[a]; dist[a] = dist[b]; dist[b] = td;
        size_t tp = pool[a]; pool[a] = pool[b]; pool[b] = tp;
    }
    const float *xj = X + pool[la_rng_below(r, nn)] * d;
    float u = (float)la_rng_uniform(r);
    for (size_t q = 0; q < d; q++) out[q] = xi[q] + u * (xj[q] - xi[q]);
    return i;
}

int cv_sampler_topup(const cv_train_opts *o, const float *X, size_t n, size_t d, const int32_t *y,
                     const float *sw, size_t k, float **Xo, int32_t **yo, float **swo, size_t *no,
                     la_error *err)
{
    *Xo = NULL; *yo = NULL; *swo = NULL; *no = 0;
    size_t *t = la_calloc(k, sizeof *t), *start = la_calloc(k + 1, sizeof *start);
    size_t *rows = la_malloc_array(n ? n : 1, sizeof *rows), *pool = la_malloc_array(CV_SMOTE_POOL, sizeof *pool);
    double *dist = la_malloc_array(CV_SMOTE_POOL, sizeof *dist);
    float *tmp = la_malloc_array(d ? d : 1, sizeof *tmp);
    if (!t || !start || !rows || !pool || !dist || !tmp) goto oom;
    cv_sampler_ratio_targets(y, n, k, o->oversample_ratio, t);
    /* rows grouped by class: rows[start[c] .. start[c+1]) */
    for (size_t i = 0; i < n; i++) start[y[i] + 1]++;
    for (size_t c = 0; c < k; c++) start[c + 1] += start[c];
    size_t total = n;
    for (size_t c = 0; c < k; c++) total += t[c] - (start[c + 1] - start[c]);
    size_t *cur = la_malloc_array(k, sizeof *cur);
    if (!cur) goto oom;
    for (size_t c = 0; c < k; c++) cur[c] = start[c];
    for (size_t i = 0; i < n; i++) rows[cur[y[i]]++] = i;
    free(cur);
    *Xo = la_malloc_array(total * (d ? d : 1), sizeof **Xo);
    *yo = la_malloc_array(total, sizeof **yo);
    *swo = la_malloc_array(total, sizeof **swo);
    if (!*Xo || !*yo || !*swo) goto oom;
    memcpy(*Xo, X, n * d * sizeof **Xo);
    for (size_t i = 0; i < n; i++) { (*yo)[i] = y[i]; (*swo)[i] = sw ? sw[i] : 1.0f; }
    la_rng r;
    la_rng_seed(&r, o->seed, 19);
    int images = cv_sampler_can_augment(o, d);
    size_t j = n;
    for (size_t c = 0; c < k; c++) {
        size_t m = start[c + 1] - start[c];
        for (size_t e = m; e < t[c]; e++, j++) {
            float *out = *Xo + j * d;
            const size_t *rc = rows + start[c];
            if (images) {
                size_t i = rc[la_rng_below(&r, m)];
                memcpy(out, X + i * d, d * sizeof *out);
                cv_sampler_augment_strong(o, out, tmp, &r);
                (*swo)[j] = sw ? sw[i] : 1.0f;
            } else {
                size_t i = smote_row(X, d, rc, m, &r, pool, dist, out);
                (*swo)[j] = sw ? sw[i] : 1.0f;
            }
            (*yo)[j] = (int32_t)c;
        }
    }
    *no = total;
    free(t); free(start); free(rows); free(pool); free(dist); free(tmp);
    return 0;
oom:
    free(*Xo); free(*yo); free(*swo);
    *Xo = NULL; *yo = NULL; *swo = NULL;
    free(t); free(start); free(rows); free(pool); free(dist); free(tmp);
    return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
}
