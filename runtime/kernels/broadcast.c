/* broadcast.c: binary ops with numpy broadcasting, sum_to (the gradient of
 * broadcasting), expand (its adjoint) and the row/batch reductions.
 *
 * Every broadcast is first simplified: shapes are padded to K_MAXRANK,
 * dims of size 1 in the output are dropped, and neighbouring dims that
 * broadcast the same way are merged. [B,C,H,W] op [C,1,1] becomes
 * [B | C | H*W] with the second operand broadcast in the first and last
 * dim; [B,F] op [F] becomes [B | F]; equal shapes become one flat dim; a
 * scalar operand becomes one flat dim with stride 0. The innermost merged
 * dim then has unit or zero stride for each operand, and that is the loop
 * the compiler vectorises; the outer dims are walked with an odometer. */
#include "kernels/kernels_impl.h"

#include <string.h>

const char *const k_binary_names[K_BINARY_COUNT] = {
#define K_BINARY_NAME(name, arity, attrs, entry, lang, doc) #name,
    GENC_BINARY_OPS(K_BINARY_NAME)
#undef K_BINARY_NAME
};

/* Pad a shape of rank r <= K_MAXRANK with leading 1s to K_MAXRANK. */
static void pad_shape(int *out, const int *shape, int rank)
{
    GENC_ASSERT(rank >= 0 && rank <= K_MAXRANK);
    for (int i = 0; i < K_MAXRANK; i++) {
        int j = i - (K_MAXRANK - rank);
        out[i] = j >= 0 ? shape[j] : 1;
    }
}

int k_broadcast_shape(int *cshape, const int *ashape, int arank,
                      const int *bshape, int brank)
{
    int a[K_MAXRANK], b[K_MAXRANK];
    pad_shape(a, ashape, arank);
    pad_shape(b, bshape, brank);
    int rank = arank > brank ? arank : brank;
    for (int i = K_MAXRANK - rank; i < K_MAXRANK; i++) {
        if (a[i] != b[i] && a[i] != 1 && b[i] != 1) return -1;
        cshape[i - (K_MAXRANK - rank)] = a[i] > b[i] ? a[i] : b[i];
        if (a[i] == 0 || b[i] == 0) cshape[i - (K_MAXRANK - rank)] = 0;
    }
    return rank;
}

static long shape_count(const int *shape, int rank)
{
    long n = 1;
    for (int i = 0; i < rank; i++) n *= shape[i];
    return n;
}

/* ---- the simplified iteration space ---------------------------------- */

/* c [n[0], ..., n[rank-1]] with a and b read at strides sa, sb (0 where
 * broadcast); all contiguous in c. */
typedef struct BSpace {
    int rank;
    long n[K_MAXRANK], sa[K_MAXRANK], sb[K_MAXRANK];
} BSpace;

/* Build the space for c [cshape] from a [ashape], b [bshape]; each operand
 * dim must equal c's or be 1. */
static BSpace bspace_make(const int *cshape, int crank, const int *ashape, int arank,
                          const int *bshape, int brank)
{
    int c[K_MAXRANK], a[K_MAXRANK], b[K_MAXRANK];
    pad_shape(c, cshape, crank);
    pad_shape(a, ashape, arank);
    pad_shape(b, bshape, brank);
    /* merged dims: size and whether each operand is full (not broadcast) */
    long n[K_MAXRANK];
    bool fa[K_MAXRANK], fb[K_MAXRANK];
    int r = 0;
    for (int i = 0; i < K_MAXRANK; i++) {
        GENC_ASSERT(a[i] == c[i] || a[i] == 1);
        GENC_ASSERT(b[i] == c[i] || b[i] == 1);
        if (c[i] == 1) continue;
        bool ai = a[i] == c[i], bi = b[i] == c[i];
        if (r > 0 && fa[r - 1] == ai && fb[r - 1] == bi) {
            n[r - 1] *= c[i];
        } else {
            n[r] = c[i];
            fa[r] = ai;
            fb[r] = bi;
            r++;
        }
    }
    BSpace s = {.rank = r};
    long stra = 1, strb = 1;
    for (int i = r - 1; i >= 0; i--) {
        s.n[i] = n[i];
        s.sa[i] = fa[i] ? stra : 0;
        s.sb[i] = fb[i] ? strb : 0;
        if (fa[i]) stra *= n[i];
        if (fb[i]) strb *= n[i];
    }
    return s;
}

typedef struct BinJob {
    KBinaryOp op;
    real *c;
    const real *a, *b;
    BSpace s; /* s.rank >= 1 */
} BinJob;

/* c[i] = a[i*sa] op b[i*sb] for i < L, sa and sb in {0, 1}, not both 1 and
 * 0 in a way the loop cannot see: each case is its own loop. */
#define BIN_INNER(OPEXPR)                                                     \
    do {                                                                      \
        if (sa && sb)                                                         \
            for (long i = 0; i < L; i++) { real x = a[i], y = b[i]; c[i] = OPEXPR; } \
        else if (sa) {                                                        \
            real y = b[0];                                                    \
            for (long i = 0; i < L; i++) { real x = a[i]; c[i] = OPEXPR; }   \
        } else if (sb) {                                                      \
            real x = a[0];                                                    \
            for (long i = 0; i < L; i++) { real y = b[i]; c[i] = OPEXPR; }   \
        } else {                                                              \
            real x = a[0], y = b[0], v = OPEXPR;                              \
            for (long i = 0; i < L; i++) c[i] = v;                            \
        }                                                                     \
    } while (0)

static void bin_inner(KBinaryOp op, real *c, const real *a, const real *b, long L,
                      long sa, long sb)
{
    switch (op) {
    case K_add: BIN_INNER(x + y); break;
    case K_sub: BIN_INNER(x - y); break;
    case K_mul: BIN_INNER(x * y); break;
    case K_div: BIN_INNER(x / y); break;
    case K_BINARY_COUNT: GENC_ASSERT(!"not a binary op");
    }
}

/* rows [lo, hi) of the outer dims, each a run of the innermost dim */
static void bin_rows(void *vj, long lo, long hi)
{
    const BinJob *j = vj;
    const BSpace *s = &j->s;
    int r = s->rank, last = r - 1;
    long L = s->n[last];
    long idx[K_MAXRANK] = {0};
    long offa = 0, offb = 0, rem = lo;
    for (int d = last - 1; d >= 0; d--) {
        idx[d] = rem % s->n[d];
        rem /= s->n[d];
        offa += idx[d] * s->sa[d];
        offb += idx[d] * s->sb[d];
    }
    for (long row = lo; row < hi; row++) {
        bin_inner(j->op, j->c + row * L, j->a + offa, j->b + offb, L, s->sa[last],
                  s->sb[last]);
        for (int d = last - 1; d >= 0; d--) { /* odometer */
            offa += s->sa[d];
            offb += s->sb[d];
            if (++idx[d] < s->n[d]) break;
            offa -= s->sa[d] * s->n[d];
            offb -= s->sb[d] * s->n[d];
            idx[d] = 0;
        }
    }
}

/* c [cshape] = a op b, operands broadcast up to cshape */
static void binary_to(KBinaryOp op, real *c, const int *cshape, int crank,
                      const real *a, const int *ashape, int arank,
                      const real *b, const int *bshape, int brank)
{
    if (shape_count(cshape, crank) == 0) return;
    BinJob j = {op, c, a, b, bspace_make(cshape, crank, ashape, arank, bshape, brank)};
    if (j.s.rank == 0) { /* every dim is 1 */
        j.s.rank = 1;
        j.s.n[0] = 1;
    }
    long L = j.s.n[j.s.rank - 1];
    long rows = shape_count(cshape, crank) / L;
    k_par_range(rows, 0.5 * (double)L, bin_rows, &j);
}

void k_binary(KBinaryOp op, real *c, const real *a, const int *ashape, int arank,
              const real *b, const int *bshape, int brank)
{
    int cshape[K_MAXRANK];
    int crank = k_broadcast_shape(cshape, ashape, arank, bshape, brank);
    GENC_ASSERT(crank >= 0);
    binary_to(op, c, cshape, crank, a, ashape, arank, b, bshape, brank);
}

void k_expand(real *y, const int *yshape, int yrank,
              const real *x, const int *xshape, int xrank, real scale)
{
    binary_to(K_mul, y, yshape, yrank, x, xshape, xrank, &scale, NULL, 0);
}

/* ---- sum_to ------------------------------------------------------------ */

/* The dims of x, merged into runs that are all kept or all reduced. */
typedef struct RSpace {
    int rank;
    long n[K_MAXRANK];
    long sx[K_MAXRANK]; /* x strides */
    long sy[K_MAXRANK]; /* y strides, 0 on reduced dims */
    bool kept[K_MAXRANK];
} RSpace;

#define SUM_BLOCK 256 /* kept inner elements summed at once, on the stack */

typedef struct SumJob {
    real *y;
    const real *x;
    RSpace s;
    /* outer dims: the kept ones except the innermost; "red" dims: the
     * reduced ones except the innermost */
    int nout, nred;
    int out[K_MAXRANK], red[K_MAXRANK];
    long nredtuples;
    long nblocks; /* blocks of SUM_BLOCK along an innermost kept dim */
} SumJob;

/* x offset of the t-th tuple of the dims dims[0..nd) */
static long tuple_off(const RSpace *s, const int *dims, int nd, long t, long *yoff)
{
    long off = 0, yo = 0;
    for (int k = nd - 1; k >= 0; k--) {
        int d = dims[k];
        long i = t % s->n[d];
        t /= s->n[d];
        off += i * s->sx[d];
        yo += i * s->sy[d];
    }
    if (yoff) *yoff = yo;
    return off;
}

static void sum_items(void *vj, long lo, long hi)
{
    const SumJob *j = vj;
    const RSpace *s = &j->s;
    int last = s->rank - 1;
    long L = s->n[last];
    for (long item = lo; item < hi; item++) {
        if (!s->kept[last]) { /* one output per item: a sum of runs */
            long yoff;
            long xoff = tuple_off(s, j->out, j->nout, item, &yoff);
            double acc = 0;
            for (long r = 0; r < j->nredtuples; r++)
                acc += k_sum_d(j->x + xoff + tuple_off(s, j->red, j->nred, r, NULL), L);
            j->y[yoff] = (real)acc;
        } else { /* a block of kept inner outputs: column sums */
            long yoff, blk = item % j->nblocks;
            long xoff = tuple_off(s, j->out, j->nout, item / j->nblocks, &yoff);
            long j0 = blk * SUM_BLOCK, nb = L - j0 < SUM_BLOCK ? L - j0 : SUM_BLOCK;
            double acc[SUM_BLOCK] = {0};
            for (long r = 0; r < j->nredtuples; r++) {
                const real *xr = j->x + xoff + tuple_off(s, j->red, j->nred, r, NULL) + j0;
                for (long i = 0; i < nb; i++) acc[i] += (double)xr[i];
            }
            for (long i = 0; i < nb; i++) j->y[yoff + j0 + i] = (real)acc[i];
        }
    }
}

void k_sum_to(real *y, const int *yshape, int yrank,
              const real *x, const int *xshape, int xrank)
{
    int xs[K_MAXRANK], ys[K_MAXRANK];
    pad_shape(xs, xshape, xrank);
    pad_shape(ys, yshape, yrank);
    long ny = shape_count(yshape, yrank);
    if (ny == 0) return;
    if (shape_count(xshape, xrank) == 0) {
        k_fill(y, (int)ny, 0);
        return;
    }
    SumJob j = {.y = y, .x = x};
    RSpace *s = &j.s;
    int r = 0;
    for (int i = 0; i < K_MAXRANK; i++) {
        GENC_ASSERT(ys[i] == xs[i] || ys[i] == 1);
        if (xs[i] == 1) continue;
        bool kept = ys[i] == xs[i];
        if (r > 0 && s->kept[r - 1] == kept) {
            s->n[r - 1] *= xs[i];
        } else {
            s->n[r] = xs[i];
            s->kept[r] = kept;
            r++;
        }
    }
    if (r == 0) { /* a single element */
        y[0] = x[0];
        return;
    }
    s->rank = r;
    long strx = 1, stry = 1;
    for (int i = r - 1; i >= 0; i--) {
        s->sx[i] = strx;
        strx *= s->n[i];
        s->sy[i] = s->kept[i] ? stry : 0;
        if (s->kept[i]) stry *= s->n[i];
    }
    int last = r - 1;
    long nout = 1;
    j.nredtuples = 1;
    for (int i = 0; i < last; i++) {
        if (s->kept[i]) {
            j.out[j.nout++] = i;
            nout *= s->n[i];
        } else {
            j.red[j.nred++] = i;
            j.nredtuples *= s->n[i];
        }
    }
    long items = nout;
    if (s->kept[last]) {
        j.nblocks = (s->n[last] + SUM_BLOCK - 1) / SUM_BLOCK;
        items *= j.nblocks;
    }
    double total = (double)strx;
    k_par_range(items, 0.7 * total / (double)items, sum_items, &j);
}

/* ---- row and batch reductions ---------------------------------------- */

typedef struct RowsJob {
    real *y;
    const real *x;
    long n;
} RowsJob;

static void rows_range(void *vj, long lo, long hi)
{
    const RowsJob *j = vj;
    for (long b = lo; b < hi; b++) j->y[b] = (real)k_sum_d(j->x + b * j->n, j->n);
}

void k_sum_rows(real *y, const real *x, int B, int n)
{
    RowsJob j = {y, x, n};
    k_par_range(B, 0.3 * n, rows_range, &j);
}

void k_mean_batch(real *y, const real *x, int B)
{
    y[0] = B > 0 ? (real)(k_sum_d(x, B) / B) : 0;
}
