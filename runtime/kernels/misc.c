/* misc.c: concat, slice and permute, max along the last axis, tril, embedding lookup and its gradient, one-hot.
 * Pure data movement: one thread, memcpy-sized runs. */
#include "kernels/kernels_impl.h"

#include <string.h>

void k_concat(real *y, const real *const *xs, const int *sizes, int nx, int outer,
              int inner)
{
    long total = 0;
    for (int j = 0; j < nx; j++) total += sizes[j];
    for (long o = 0; o < outer; o++) {
        real *dst = y + o * total * inner;
        for (int j = 0; j < nx; j++) {
            size_t run = (size_t)sizes[j] * inner;
            memcpy(dst, xs[j] + o * run, sizeof(real) * run);
            dst += run;
        }
    }
}

void k_slice(real *y, const real *x, int outer, int total, int start, int len, int inner)
{
    GENC_ASSERT(start >= 0 && len >= 0 && start + len <= total);
    size_t run = (size_t)len * inner;
    for (long o = 0; o < outer; o++)
        memcpy(y + o * run, x + ((size_t)o * total + start) * inner, sizeof(real) * run);
}

void k_permute(real *y, const real *x, int B, int nd, const int *dims, const int *perm)
{
    /* y in order: an odometer over all but the last axis of y, whose run
     * reads x at a fixed stride */
    int64_t xs[K_MAXRANK], ys[K_MAXRANK], n = 1;
    int yd[K_MAXRANK], at[K_MAXRANK] = {0};
    for (int i = nd - 1; i >= 0; i--) xs[i] = n, n *= dims[i];
    for (int i = 0; i < nd; i++) yd[i] = dims[perm[i]], ys[i] = xs[perm[i]];
    int last = nd ? yd[nd - 1] : 1;
    int64_t step = nd ? ys[nd - 1] : 1, runs = last ? n / last : 0;
    for (int64_t b = 0; b < B; b++) {
        const real *xb = x + b * n;
        real *yb = y + b * n;
        int64_t off = 0;
        for (int64_t r = 0; r < runs; r++) {
            for (int k = 0; k < last; k++) yb[k] = xb[off + k * step];
            yb += last;
            for (int i = nd - 2; i >= 0; i--) { /* the next run */
                off += ys[i];
                if (++at[i] < yd[i]) break;
                off -= ys[i] * yd[i];
                at[i] = 0;
            }
        }
    }
}

/* the first largest element of a row */
static int argmax(const real *x, int n)
{
    int at = 0;
    for (int k = 1; k < n; k++)
        if (x[k] > x[at]) at = k;
    return at;
}

void k_max_last(real *y, const real *x, int rows, int n)
{
    for (int64_t r = 0; r < rows; r++) y[r] = x[r * n + argmax(x + r * n, n)];
}

void k_max_last_backward(real *dx, const real *dy, const real *x, int rows, int n)
{
    memset(dx, 0, sizeof(real) * (size_t)rows * n);
    for (int64_t r = 0; r < rows; r++) dx[r * n + argmax(x + r * n, n)] = dy[r];
}

void k_max_last_pick(real *y, const real *g, const real *x, int rows, int n)
{
    for (int64_t r = 0; r < rows; r++) y[r] = g[r * n + argmax(x + r * n, n)];
}

void k_tril(real *y, const real *x, int outer, int r, int c, real value)
{
    for (int64_t o = 0; o < outer; o++)
        for (int i = 0; i < r; i++) {
            size_t at = ((size_t)o * r + i) * c;
            for (int j = 0; j < c; j++) y[at + j] = j <= i ? x[at + j] : value;
        }
}

/* The id held by v, or -1 when it is not an integer in [0, n). */
static int k_id(real v, int n)
{
    if (!(v >= 0 && v < (real)n)) return -1; /* also catches NaN */
    int id = (int)v;
    return (real)id == v ? id : -1;
}

int k_embedding(real *y, const real *ids, const real *table, int n, int V, int D)
{
    int bad = 0;
    for (int i = 0; i < n; i++) {
        int id = k_id(ids[i], V);
        real *row = y + (size_t)i * D;
        if (id < 0) {
            bad++;
            memset(row, 0, sizeof(real) * (size_t)D);
        } else {
            memcpy(row, table + (size_t)id * D, sizeof(real) * (size_t)D);
        }
    }
    return bad;
}

int k_embedding_backward(real *dtable, const real *dy, const real *ids, int n, int V, int D)
{
    int bad = 0;
    memset(dtable, 0, sizeof(real) * (size_t)V * D);
    for (int i = 0; i < n; i++) { /* in order of i: deterministic */
        int id = k_id(ids[i], V);
        if (id < 0) {
            bad++;
            continue;
        }
        real *row = dtable + (size_t)id * D;
        const real *src = dy + (size_t)i * D;
        for (int d = 0; d < D; d++) row[d] += src[d];
    }
    return bad;
}

int k_onehot(real *y, const real *ids, int n, int classes)
{
    int bad = 0;
    memset(y, 0, sizeof(real) * (size_t)n * classes);
    for (int i = 0; i < n; i++) {
        int id = k_id(ids[i], classes);
        if (id < 0)
            bad++;
        else
            y[(size_t)i * classes + id] = 1;
    }
    return bad;
}
