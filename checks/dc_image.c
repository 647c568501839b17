/*
 * dc_image.c — image defects, the shift-tolerant near-duplicate descriptor,
 * the shifted-correlation confirmation, and file hashing (see dc_image.h).
 * Gray = the one channel, or 0.299 R + 0.587 G + 0.114 B (ITU-R 601 luma).
 * Brightness percentiles and entropy come from a 256-bin histogram, so they
 * cost one pass per image.
 */
#include "dc_image.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>

#include "../util/la_par.h"

const char *const dc_defect_names[DC_DEFECT_COUNT] = {
    "dark", "bright", "blurry", "low_information", "odd_size", "odd_aspect_ratio", "channels"};

/* Flag thresholds on the scores (lower = worse):
 *  dark: the brightest 1% of pixels below 0.2 (of full scale);
 *  bright: the darkest 1% above 0.8;
 *  blurry: r = var(4-neighbour Laplacian) / var(pixels) below 0.105 (score
 *          1 - exp(-r) < 0.1; contrast cancels in r): the 10,000 Fashion-MNIST
 *          test images all have r >= 0.39, two 3x3 box blurs bring one to 0.04;
 *  low_information: under 1.2 bits of gray-level entropy (score < 0.15: a
 *          flat or two-level image; 0.1% of Fashion-MNIST is under 1.3 bits);
 *  odd_size: area 4x above or below the median area;
 *  odd_aspect_ratio: width/height 2x off the median ratio;
 *  channels: not the most common channel count. */
const double dc_defect_thresholds[DC_DEFECT_COUNT] = {0.2, 0.2, 0.1, 0.15, 0.25, 0.5, 0.5};
#define DC_BLUR_SCALE 1.0
#define DC_HIST_BINS 256

/* ---- gray pixels ---------------------------------------------------------- */

static void dc_gray(const float *img, int w, int h, int c, float *g)
{
    size_t np = (size_t)w * h;
    if (c == 1) { memcpy(g, img, np * sizeof *g); return; }
    for (size_t p = 0; p < np; p++) {
        const float *q = img + p * (size_t)c;
        g[p] = c >= 3 ? 0.299f * q[0] + 0.587f * q[1] + 0.114f * q[2] : q[0];
    }
}

/* Value below which fraction f of the histogram's mass lies, in [0, 1]. */
static double dc_hist_quantile(const size_t *hist, size_t total, double f)
{
    size_t want = (size_t)ceil(f * (double)total), acc = 0;
    if (want < 1) want = 1;
    for (int b = 0; b < DC_HIST_BINS; b++) {
        acc += hist[b];
        if (acc >= want) return b / (double)(DC_HIST_BINS - 1);
    }
    return 1.0;
}

/* var(Laplacian) / var(pixels) over the interior: contrast cancels out, so a
 * dark or faded image is not called blurry; a flat image gives 0. */
static double dc_laplacian_ratio(const float *g, int w, int h)
{
    if (w < 3 || h < 3) return NAN;
    double s = 0, s2 = 0, p1 = 0, p2 = 0;
    size_t m = 0;
    for (int y = 1; y < h - 1; y++)
        for (int x = 1; x < w - 1; x++) {
            const float *p = g + (size_t)y * w + x;
            double l = (double)p[-1] + p[1] + p[-w] + p[w] - 4.0 * p[0];
            s += l; s2 += l * l; m++;
            p1 += p[0]; p2 += (double)p[0] * p[0];
        }
    double mean = s / (double)m, pm = p1 / (double)m;
    double vl = s2 / (double)m - mean * mean, vp = p2 / (double)m - pm * pm;
    return vp > 1e-12 ? vl / vp : 0.0;
}

/* The four pixel scores of one gray image into sc[DARK..LOW_INFORMATION]. */
static void dc_pixel_scores(const float *g, int w, int h, double *sc)
{
    size_t np = (size_t)w * h, hist[DC_HIST_BINS] = {0};
    for (size_t p = 0; p < np; p++) {
        float v = g[p] < 0 ? 0 : g[p] > 1 ? 1 : g[p];
        hist[(int)lrintf(v * (DC_HIST_BINS - 1))]++;
    }
    double ent = 0;
    for (int b = 0; b < DC_HIST_BINS; b++)
        if (hist[b]) {
            double q = (double)hist[b] / (double)np;
            ent -= q * log2(q);
        }
    sc[DC_DEFECT_DARK] = dc_hist_quantile(hist, np, 0.99);
    sc[DC_DEFECT_BRIGHT] = 1.0 - dc_hist_quantile(hist, np, 0.01);
    double lv = dc_laplacian_ratio(g, w, h);
    sc[DC_DEFECT_BLURRY] = isnan(lv) ? NAN : 1.0 - exp(-lv / DC_BLUR_SCALE);
    sc[DC_DEFECT_LOW_INFORMATION] = ent / 8.0;
}

typedef struct dc_img_job {
    const float *pix;
    size_t       n;
    int          w, h, c;
    double      *score;
    float       *desc;                /* descriptors instead of scores when set  */
    const double *tw, *th;            /* cos, sin of 2 pi m / w (and / h): 2 x w */
    int          oom;
} dc_img_job;

static void dc_describe(const dc_img_job *J, const float *g, double *scratch, float *out);

static void dc_img_part(void *ctx, int t, int T)
{
    dc_img_job *J = ctx;
    size_t np = (size_t)J->w * J->h, per = np * (size_t)J->c;
    float *g = malloc(np * sizeof *g);
    double *scratch = malloc(2 * (size_t)J->h * DC_DESC_FREQ * sizeof *scratch);
    if (!g || !scratch) { J->oom = 1; free(g); free(scratch); return; }
    for (size_t i = (size_t)t; i < J->n; i += (size_t)T) {
        dc_gray(J->pix + i * per, J->w, J->h, J->c, g);
        if (J->desc) dc_describe(J, g, scratch, J->desc + i * DC_DESC_DIM);
        else dc_pixel_scores(g, J->w, J->h, J->score + i * DC_DEFECT_COUNT);
    }
    free(g);
    free(scratch);
}

/* ---- file-level defects ------------------------------------------------ */

static int dc_int_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double dc_median_of(double *v, size_t m)
{
    qsort(v, m, sizeof *v, dc_int_cmp);
    return m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
}

/* odd size, aspect and channels from the native sizes (0 = unknown). */
static int dc_file_scores(dc_defects *d)
{
    size_t n = d->n, m = 0;
    double *area = malloc((n + 1) * sizeof *area), *ratio = malloc((n + 1) * sizeof *ratio);
    size_t chan[5] = {0};
    if (!area || !ratio) { free(area); free(ratio); return -1; }
    for (size_t i = 0; i < n; i++) {
        const int32_t *s = d->size + i * 3;
        if (s[0] <= 0 || s[1] <= 0) continue;
        area[m] = (double)s[0] * s[1];
        ratio[m] = (double)s[0] / s[1];
        m++;
        if (s[2] >= 1 && s[2] <= 4) chan[s[2]]++;
    }
    int common = 1;
    for (int c = 1; c <= 4; c++)
        if (chan[c] > chan[common]) common = c;
    double ma = m ? dc_median_of(area, m) : 0, mr = m ? dc_median_of(ratio, m) : 0;
    for (size_t i = 0; i < n; i++) {
        const int32_t *s = d->size + i * 3;
        double *sc = d->score + i * DC_DEFECT_COUNT;
        if (s[0] <= 0 || s[1] <= 0) continue;
        double a = (double)s[0] * s[1], r = (double)s[0] / s[1];
        sc[DC_DEFECT_ODD_SIZE] = a < ma ? a / ma : ma / a;
        sc[DC_DEFECT_ODD_ASPECT_RATIO] = r < mr ? r / mr : mr / r;
        sc[DC_DEFECT_CHANNELS] = s[2] == common ? 1.0 : 0.0;
    }
    free(area); free(ratio);
    return 0;
}

int dc_image_defects(const float *pixels, size_t n, int w, int h, int c, char *const *paths, int threads,
                     dc_defects *out, la_error *err)
{
    memset(out, 0, sizeof *out);
    out->n = n;
    out->score = la_malloc_array(n * DC_DEFECT_COUNT + 1, sizeof *out->score);
    out->flag = la_calloc(n * DC_DEFECT_COUNT + 1, 1);
    out->size = la_calloc(n * 3 + 1, sizeof *out->size);
    if (!out->score || !out->flag || !out->size) goto oom;
    for (size_t i = 0; i < n * DC_DEFECT_COUNT; i++) out->score[i] = NAN;
    if (pixels) {
        dc_img_job J = {.pix = pixels, .n = n, .w = w, .h = h, .c = c, .score = out->score};
        la_par_run(threads, dc_img_part, &J);
        if (J.oom) goto oom;
    }
    if (paths) {
        for (size_t i = 0; i < n; i++) {
            dc_file_info fi;
            la_error e2;
            if (dc_file_read_info(paths[i], &fi, &e2)) continue;   /* unreadable: unknown size */
            out->size[i * 3] = fi.w; out->size[i * 3 + 1] = fi.h; out->size[i * 3 + 2] = fi.c;
        }
        if (dc_file_scores(out)) goto oom;
    }
    for (size_t i = 0; i < n; i++)
        for (int t = 0; t < DC_DEFECT_COUNT; t++) {
            double s = out->score[i * DC_DEFECT_COUNT + t];
            uint8_t f = !isnan(s) && s < dc_defect_thresholds[t];
            out->flag[i * DC_DEFECT_COUNT + t] = f;
            out->count[t] += f;
        }
    return 0;
oom:
    dc_defects_free(out);
    return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory for the image checks");
}

void dc_defects_free(dc_defects *d)
{
    if (!d) return;
    free(d->score); free(d->flag); free(d->size);
    memset(d, 0, sizeof *d);
}

/* ---- the shift-tolerant descriptor -------------------------------------- */

/* |F(u, v)|, F the 2-D DFT of the mean-removed gray image g (h x w):
 * F(u, v) = sum_y sum_x g(x, y) e^{-2 pi i (u x / w + v y / h)}, for
 * u in [0, U), v in (-V, V), skipping u = 0 with v <= 0 (DC and the mirror
 * half, |F(0, -v)| = |F(0, v)|). Separable: rows first, then columns. */
static void dc_describe(const dc_img_job *J, const float *g, double *scratch, float *out)
{
    enum { U = DC_DESC_FREQ };
    int w = J->w, h = J->h;
    const double *cw = J->tw, *sw = J->tw + w, *ch = J->th, *sh = J->th + h;
    double mean = 0;
    size_t np = (size_t)w * h;
    for (size_t p = 0; p < np; p++) mean += g[p];
    mean /= (double)np;
    double rr[U], ri[U];
    double (*ar)[U] = (double (*)[U])scratch, (*ai)[U] = (double (*)[U])(scratch + (size_t)h * U);
    for (int y = 0; y < h; y++) {
        for (int u = 0; u < U; u++) { rr[u] = 0; ri[u] = 0; }
        for (int x = 0; x < w; x++) {
            double v = g[(size_t)y * w + x] - mean;
            for (int u = 0; u < U; u++) {
                int m = (u * x) % w;                 /* e^{-i a} = cos a - i sin a */
                rr[u] += v * cw[m]; ri[u] -= v * sw[m];
            }
        }
        memcpy(ar[y], rr, sizeof rr); memcpy(ai[y], ri, sizeof ri);
    }
    size_t o = 0;
    double norm = 0;
    for (int u = 0; u < U; u++)
        for (int v = -(U - 1); v <= U - 1; v++) {
            if (u == 0 && v <= 0) continue;
            double fr = 0, fi = 0;
            for (int y = 0; y < h; y++) {
                int m = (((v * y) % h) + h) % h;
                double cs = ch[m], sn = -sh[m];
                fr += ar[y][u] * cs - ai[y][u] * sn;
                fi += ar[y][u] * sn + ai[y][u] * cs;
            }
            double mag = sqrt(fr * fr + fi * fi);
            out[o++] = (float)mag;
            norm += mag * mag;
        }
    assert(o == DC_DESC_DIM);
    double inv = norm > 0 ? 1.0 / sqrt(norm) : 0;
    for (size_t t = 0; t < o; t++) out[t] = (float)(out[t] * inv);
}

int dc_image_descriptors(const float *pixels, size_t n, int w, int h, int c, int threads, float *desc,
                         la_error *err)
{
    double *tw = la_malloc_array(2 * (size_t)w, sizeof *tw), *th = la_malloc_array(2 * (size_t)h, sizeof *th);
    if (!tw || !th) {
        free(tw); free(th);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory for the image descriptors");
    }
    for (int m = 0; m < w; m++) { tw[m] = cos(2 * M_PI * m / w); tw[w + m] = sin(2 * M_PI * m / w); }
    for (int m = 0; m < h; m++) { th[m] = cos(2 * M_PI * m / h); th[h + m] = sin(2 * M_PI * m / h); }
    dc_img_job J = {.pix = pixels, .n = n, .w = w, .h = h, .c = c, .desc = desc, .tw = tw, .th = th};
    la_par_run(threads, dc_img_part, &J);
    free(tw); free(th);
    return J.oom ? la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory for the image descriptors") : 0;
}

/* ---- the shifted correlation -------------------------------------------------- */

static double dc_gray_at(const float *img, int w, int c, int x, int y)
{
    const float *q = img + ((size_t)y * w + x) * (size_t)c;
    return c >= 3 ? 0.299 * q[0] + 0.587 * q[1] + 0.114 * q[2] : q[0];
}

/* Pearson correlation of a(x + dx, y + dy) with b(x, y) over the overlap. */
static double dc_corr_at(const float *a, const float *b, int w, int h, int c, int dx, int dy)
{
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    size_t m = 0;
    for (int y = 0; y < h; y++) {
        int ya = y + dy;
        if (ya < 0 || ya >= h) continue;
        for (int x = 0; x < w; x++) {
            int xa = x + dx;
            if (xa < 0 || xa >= w) continue;
            double p = dc_gray_at(a, w, c, xa, ya), q = dc_gray_at(b, w, c, x, y);
            sa += p; sb += q; saa += p * p; sbb += q * q; sab += p * q; m++;
        }
    }
    if (m < 2) return 0;
    double cov = sab - sa * sb / (double)m, va = saa - sa * sa / (double)m, vb = sbb - sb * sb / (double)m;
    if (va <= 1e-12 || vb <= 1e-12) return 0;
    return cov / sqrt(va * vb);
}

double dc_image_match(const float *a, const float *b, int w, int h, int c, int *dx, int *dy)
{
    double best = -1;
    *dx = *dy = 0;
    for (int sy = -DC_MAX_SHIFT; sy <= DC_MAX_SHIFT; sy++)
        for (int sx = -DC_MAX_SHIFT; sx <= DC_MAX_SHIFT; sx++) {
            double r = dc_corr_at(a, b, w, h, c, sx, sy);
            if (r > best) { best = r; *dx = sx; *dy = sy; }
        }
    return best < 0 ? 0 : best;
}

/* ---- files ------------------------------------------------------------------ */

enum { DC_FILE_CHUNK = 1 << 16 };

int dc_file_read_info(const char *path, dc_file_info *info, la_error *err)
{
    memset(info, 0, sizeof *info);
    FILE *fp = fopen(path, "rb");
    if (!fp) return la_error_set(err, LA_EUSAGE, path, 0, "cannot open image file");
    unsigned char *head = malloc(DC_FILE_CHUNK);
    if (!head) { fclose(fp); return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"); }
    uint64_t hsh = 1469598103934665603ULL;
    size_t got, head_len = 0;
    unsigned char buf[4096];
    while ((got = fread(buf, 1, sizeof buf, fp)) > 0) {
        for (size_t t = 0; t < got; t++) hsh = (hsh ^ buf[t]) * 1099511628211ULL;
        size_t room = DC_FILE_CHUNK - head_len, take = got < room ? got : room;
        memcpy(head + head_len, buf, take);
        head_len += take;
        info->size += (long long)got;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) { free(head); return la_error_set(err, LA_EUSAGE, path, 0, "cannot read image file"); }
    info->hash = hsh;
    int w, h, c;
    if (head_len && stbi_info_from_memory(head, (int)head_len, &w, &h, &c)) { info->w = w; info->h = h; info->c = c; }
    free(head);
    return 0;
}

int dc_files_equal(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    unsigned char x[4096], y[4096];
    while (same) {
        size_t na = fread(x, 1, sizeof x, fa), nb = fread(y, 1, sizeof y, fb);
        if (na != nb || memcmp(x, y, na)) same = 0;
        if (na == 0) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}
