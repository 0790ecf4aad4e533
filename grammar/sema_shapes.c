/* sema_shapes.c: what each layer and function of the language makes of
 * its inputs: its checks, its output shape, its TExpr. */
#include "grammar/sema_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* "G.deconv2": the next name for a layer of this kind in the current net */
const char *sema_layer_path(Sema *s, const char *kind)
{
    PathCtx *p = s->path;
    int i = 0;
    while (i < p->nnames && strcmp(p->names[i], kind) != 0) i++;
    if (i == p->nnames && i < 32) p->names[p->nnames++] = kind, p->counts[i] = 0;
    int n = i < 32 ? ++p->counts[i] : 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s.%s%d", p->prefix, kind, n);
    return sema_str(s, buf);
}

static TExpr *new_layer(Sema *s, LayerKind lk, const char *kind, SrcLoc loc, Shape out, TExpr *in)
{
    TExpr *t = sema_tx_new(s, TX_LAYER, loc, out);
    t->layer = lk;
    sema_tx_kid(t, in);
    Model *m = s->m;
    m->layers = xgrow(m->layers, sizeof *m->layers, (size_t)m->nlayers);
    t->path = sema_layer_path(s, kind);
    m->layers[m->nlayers] = (Layer){xstrdup(t->path), s->net};
    t->layer_id = m->nlayers++;
    s->m->nets[s->net].nlayers++;
    return t;
}

/* An axis of a tensor of shape sh, given as v: 0 .. nd-1 of its
 * per-example axes, or -nd .. -1 from the last. */
static bool axis_of(Sema *s, const char *fn, Val v, Shape sh, int *out)
{
    char b1[64];
    if (v.kind != V_NUM || !v.is_int) {
        if (!sema_kind_reported(s, v))
            diag_error(s->diag, v.loc, "'%s' takes an axis as a whole number, got %s", fn,
                       v.kind == V_NUM ? "a fraction" : sema_vkind_name(v.kind));
        return false;
    }
    if (sh.nd == 0) {
        diag_error(s->diag, v.loc, "'%s' along an axis needs axes per example, got %s", fn,
                   shp(sh, b1));
        return false;
    }
    double a = v.num < 0 ? v.num + sh.nd : v.num;
    if (!(a >= 0 && a < sh.nd)) {
        diag_error(s->diag, v.loc, "'%s' axis %g is out of range for %s (axes 0 to %d, or %d to "
                   "-1)", fn, v.num, shp(sh, b1), sh.nd - 1, -sh.nd);
        return false;
    }
    *out = (int)a;
    return true;
}

/* positions from .. to-1 of x's axis (x itself when that is all of it) */
static TExpr *slice_of(Sema *s, TExpr *x, int axis, int from, int to, SrcLoc loc)
{
    if (to - from == x->shape.d[axis]) return x;
    Shape out = x->shape;
    out.d[axis] = to - from;
    TExpr *t = sema_tx_op(s, OP_slice, loc, out, x, NULL);
    t->attr.axis = axis;
    t->attr.from = from;
    return t;
}

/* x with axes i and j swapped (x itself when they are the same) */
static TExpr *swap_axes(Sema *s, TExpr *x, int i, int j, SrcLoc loc)
{
    if (i == j) return x;
    Shape out = x->shape;
    out.d[i] = x->shape.d[j], out.d[j] = x->shape.d[i];
    TExpr *t = sema_tx_op(s, OP_permute, loc, out, x, NULL);
    for (int k = 0; k < out.nd; k++) t->attr.perm[k] = k == i ? j : k == j ? i : k;
    return t;
}

/* A position along an axis of len: 0 .. len (end_ok) or len - 1, or
 * counting back from the end when negative, as Python does. */
static bool position_of(Sema *s, const char *fn, const char *what, Val v, Shape sh, int axis,
                        bool end_ok, int *out)
{
    char b1[64];
    int len = sh.d[axis];
    if (v.kind != V_NUM || !v.is_int) {
        if (!sema_kind_reported(s, v))
            diag_error(s->diag, v.loc, "'%s' takes '%s' as a whole number, got %s", fn, what,
                       v.kind == V_NUM ? "a fraction" : sema_vkind_name(v.kind));
        return false;
    }
    double p = v.num < 0 ? v.num + len : v.num;
    if (!(p >= 0 && p <= len - !end_ok)) {
        diag_error(s->diag, v.loc, "'%s' %s %g is outside axis %d of %s", fn, what, v.num, axis,
                   shp(sh, b1));
        return false;
    }
    *out = (int)p;
    return true;
}

/* x with an axis of 1 inserted before axis (0 .. nd) */
static TExpr *insert_axis(Sema *s, TExpr *x, int axis, SrcLoc loc)
{
    Shape o = x->shape;
    memmove(o.d + axis + 1, o.d + axis, sizeof(int) * (size_t)(o.nd - axis));
    o.d[axis] = 1;
    o.nd++;
    return sema_tx_op(s, OP_reshape, loc, o, x, NULL);
}

/* x without its axis (of size 1) */
static TExpr *drop_axis(Sema *s, TExpr *x, int axis, SrcLoc loc)
{
    Shape o = x->shape;
    o.nd--;
    memmove(o.d + axis, o.d + axis + 1, sizeof(int) * (size_t)(o.nd - axis));
    return sema_tx_op(s, OP_reshape, loc, o, x, NULL);
}

/* a and b joined along axis (their other sizes equal) */
static TExpr *join(Sema *s, TExpr *a, TExpr *b, int axis, SrcLoc loc)
{
    Shape o = a->shape;
    o.d[axis] += b->shape.d[axis];
    TExpr *t = sema_tx_op(s, OP_concat, loc, o, a, b);
    t->attr.axis = axis;
    return t;
}

/* a batched tensor of shape sh, every value v */
static TExpr *filled(Sema *s, double v, Shape sh, SrcLoc loc)
{
    TExpr *t = sema_tx_op(s, OP_expand, loc, sh, sema_as_tensor(s, val_num(v, false, loc)), NULL);
    t->attr.scale = 1;
    return t;
}

/* matmul(a, b): a product of the last two axes, for each index of the axes
 * before them, which broadcast (graph.h); an operand that broadcasts is
 * expanded, except an unbatched matrix, which the op shares. */
static Val apply_matmul(Sema *s, TExpr *a, TExpr *b, SrcLoc loc)
{
    char b1[64], b2[64], b3[64], b4[64];
    Shape sa = a->shape, sb = b->shape;
    if (sa.nd < 2 || sb.nd < 2) {
        Shape v = sa.nd < 2 ? sa : sb;
        diag_error(s->diag, loc, "'matmul' multiplies matrices, the last two axes of each "
                   "operand; %s has %s (reshape it, e.g. to [1, n])", shp(v, b1),
                   v.nd ? "one" : "none");
        return val_err;
    }
    int M = sa.d[sa.nd - 2], K = sa.d[sa.nd - 1], K2 = sb.d[sb.nd - 2], N = sb.d[sb.nd - 1];
    if (K != K2) {
        diag_error(s->diag, loc, "matmul of %s and %s: inner sizes %d and %d differ", shp(sa, b1),
                   shp(sb, b2), K, K2);
        return val_err;
    }
    Shape la = sa, lb = sb, lo;
    la.nd -= 2, lb.nd -= 2;
    if (!shape_broadcast(la, lb, &lo)) {
        diag_error(s->diag, loc, "matmul of %s and %s: the axes before the last two, %s and %s, "
                   "do not broadcast", shp(sa, b1), shp(sb, b2), shp(la, b3), shp(lb, b4));
        return val_err;
    }
    Shape out = lo;
    out.d[out.nd++] = M;
    out.d[out.nd++] = N;
    if (!sema_shape_fits(s, out, loc)) return val_err;
    TExpr *op[2] = {a, b};
    Shape lead[2] = {la, lb};
    for (int k = 0; k < 2; k++) {
        bool shared = !lead[k].batch && lead[k].nd == 0;
        if (shared || shape_eq(lead[k], lo)) continue;
        Shape e = lo;
        e.d[e.nd++] = op[k]->shape.d[op[k]->shape.nd - 2];
        e.d[e.nd++] = op[k]->shape.d[op[k]->shape.nd - 1];
        op[k] = sema_tx_op(s, OP_expand, loc, e, op[k], NULL);
        op[k]->attr.scale = 1;
    }
    return val_tensor(sema_tx_op(s, OP_batch_matmul, loc, out, op[0], op[1]), loc);
}

/* A convolution's size option: one whole number for both axes, or a pair
 * [height, width] (a 1-D convolution: one number, its length's; the
 * height's is fixed). */
static bool pair_of(Sema *s, Args *ar, const char *name, bool one_d, int fixed, int out[2],
                    bool zero_ok)
{
    Val *v = sema_opt(ar, name);
    char what[64];
    snprintf(what, sizeof what, "'%s'", name);
    if (v->kind == V_LIST) {
        if (one_d || v->nitems != 2) {
            diag_error(s->diag, v->loc, one_d ? "%s of a 1-D convolution is one number, got a "
                       "list" : "%s is one number or a pair [height, width], got a list of %d",
                       what, v->nitems);
            return false;
        }
        for (int i = 0; i < 2; i++)
            if (!sema_size_ok(s, val_num(v->items[i], v->items[i] == floor(v->items[i]), v->loc),
                              what, v->loc, &out[i], zero_ok))
                return false;
        return true;
    }
    if (!sema_size_ok(s, *v, what, v->loc, &out[1], zero_ok)) return false;
    out[0] = one_d ? fixed : out[1];
    return true;
}

/* "3", or "3x5" for a pair that differs; a 1-D convolution's: its width */
static const char *pair_str(const int p[2], bool one_d, char *buf)
{
    if (one_d || p[0] == p[1]) sprintf(buf, "%d", p[1]);
    else sprintf(buf, "%dx%d", p[0], p[1]);
    return buf;
}

/* conv, deconv and their 1-D forms, which are the 2-D ones on [C, 1, L]
 * with a kernel of height 1 */
static Val apply_conv(Sema *s, int id, Args *ar, SrcLoc loc, TExpr *x, Init init)
{
    const char *name = sema_builtin(id).name;
    bool conv = id == B_CONV || id == B_CONV1D, one_d = id == B_CONV1D || id == B_DECONV1D;
    Shape in = x->shape;
    char b1[64], b2[16], b3[16], b4[16], b5[16];
    int f, k[2], st[2], dil[2], span[2], pad[2] = {0, 0}, op[2] = {0, 0};
    bool same = false;
    if (!sema_opt_int(s, ar, "filters", &f, false) || !pair_of(s, ar, "kernel", one_d, 1, k, false) ||
        !pair_of(s, ar, "stride", one_d, 1, st, false) ||
        !pair_of(s, ar, "dilation", one_d, 1, dil, false))
        return val_err;
    for (int i = 0; i < 2; i++) { /* the rows and columns the kernel's taps span */
        int64_t v = (int64_t)dil[i] * (k[i] - 1) + 1;
        span[i] = v > GENC_MAX_SIZE ? GENC_MAX_SIZE : (int)v;
    }
    Val *pv = sema_opt(ar, "padding");
    if (pv->kind == V_WORD && strcmp(pv->str, "same") == 0) same = true;
    else if (pv->kind == V_WORD && strcmp(pv->str, "valid") == 0) (void)0;
    else if (pv->kind == V_NUM || pv->kind == V_LIST) {
        if (!pair_of(s, ar, "padding", one_d, 0, pad, true)) return val_err;
    } else {
        diag_error(s->diag, pv->loc, one_d ? "'padding' must be same, valid or a number"
                   : "'padding' must be same, valid, a number or a pair [height, width]");
        return val_err;
    }
    if (in.nd != (one_d ? 2 : 3)) {
        diag_error(s->diag, loc, one_d ? "'%s' expects [channels, length], got %s"
                   : "'%s' expects [channels, height, width], got %s", name, shp(in, b1));
        return val_err;
    }
    int hw[2] = {one_d ? 1 : in.d[1], in.d[in.nd - 1]}, o[2];
    if (conv) {
        for (int i = 0; i < 2 && same; i++) {
            /* output ceil(size / stride), with the same padding on both
             * sides of each dimension (rounded up; the floor of the
             * output formula absorbs the extra row when stride > 1) */
            int want = (hw[i] + st[i] - 1) / st[i], tot = (want - 1) * st[i] + span[i] - hw[i];
            pad[i] = tot > 0 ? (tot + 1) / 2 : 0;
            if ((hw[i] + 2 * pad[i] - span[i]) / st[i] + 1 != want) {
                diag_error(s->diag, loc, "'%s' cannot keep the size (padding: same) with an "
                           "even kernel (%d) and stride 1: the padding would differ between "
                           "the sides; use an odd kernel or a padding number", name, k[i]);
                return val_err;
            }
        }
        for (int i = 0; i < 2; i++) {
            int64_t num = (int64_t)hw[i] + 2 * (int64_t)pad[i] - span[i];
            o[i] = num < 0 ? 0 : (int)(num / st[i] + 1);
        }
    } else {
        for (int i = 0; i < 2 && same; i++) {
            /* output size * stride: 2 pad - output_padding = span - stride */
            pad[i] = span[i] > st[i] ? (span[i] - st[i] + 1) / 2 : 0;
            op[i] = 2 * pad[i] - (span[i] - st[i]);
        }
        if (sema_given(ar, "output_padding") &&
            !pair_of(s, ar, "output_padding", one_d, 0, op, true))
            return val_err;
        for (int i = 0; i < 2; i++)
            if (op[i] >= st[i] && op[i] > 0) {
                if (sema_given(ar, "output_padding"))
                    diag_error(s->diag, sema_opt(ar, "output_padding")->loc,
                               "'output_padding' must be smaller than the stride (%d), got %d",
                               st[i], op[i]);
                else /* computed for padding: same, which the user did not write */
                    diag_error(s->diag, loc, "'%s' cannot keep the size (padding: same) with "
                               "an even kernel (%d) and stride 1; use an odd kernel or a "
                               "padding number", name, k[i]);
                return val_err;
            }
        for (int i = 0; i < 2; i++) {
            int64_t v = ((int64_t)hw[i] - 1) * st[i] - 2 * (int64_t)pad[i] + span[i] + op[i];
            o[i] = v > GENC_MAX_SIZE ? -1 : (int)v;
        }
    }
    if (o[0] <= 0 || o[1] <= 0) {
        char insz[32];
        if (one_d) snprintf(insz, sizeof insz, "%d", hw[1]);
        else snprintf(insz, sizeof insz, "%dx%d", hw[0], hw[1]);
        char dilsz[32] = "";
        if (dil[0] != 1 || dil[1] != 1) snprintf(dilsz, sizeof dilsz, ", dilation %s",
                                                 pair_str(dil, one_d, b5));
        diag_error(s->diag, loc, conv ? "'%s' output would be empty: input %s, kernel %s, stride "
                   "%s, padding %s%s" : "'%s' output size is not positive: input %s, kernel %s, "
                   "stride %s, padding %s%s", name, insz, pair_str(k, one_d, b2),
                   pair_str(st, one_d, b3), pair_str(pad, one_d, b4), dilsz);
        return val_err;
    }
    Shape out = one_d ? (Shape){.nd = 2, .d = {f, o[1]}, .batch = true}
                      : (Shape){.nd = 3, .d = {f, o[0], o[1]}, .batch = true};
    if (!sema_shape_fits(s, out, loc)) return val_err;
    if (!sema_weights_fit(s, name, loc, 4, (int[]){f, in.d[0], k[0], k[1]})) return val_err;
    TExpr *t = new_layer(s, conv ? LAYER_CONV : LAYER_DECONV, name, loc, out, x);
    t->spec.units = f;
    t->spec.bias = sema_opt(ar, "bias")->num != 0;
    t->spec.spectral_norm = sema_opt(ar, "spectral_norm")->num != 0;
    t->spec.one_d = one_d;
    for (int i = 0; i < 2; i++) {
        t->spec.kernel[i] = k[i];
        t->attr.stride[i] = st[i];
        t->attr.pad[i] = pad[i];
        t->attr.dilation[i] = dil[i];
        if (!conv) t->attr.outpad[i] = op[i];
    }
    t->init = init;
    return val_tensor(t, loc);
}

Val sema_apply_layer(Sema *s, int id, Args *ar, SrcLoc loc, Ast *call)
{
    Builtin this = sema_builtin(id), *bi = &this;
    char b1[64], b2[64];
    if (s->net < 0 && (id == B_DENSE || id == B_CONV || id == B_DECONV || id == B_CONV1D ||
                       id == B_DECONV1D || id == B_BATCHNORM || id == B_LAYERNORM ||
                       id == B_GROUPNORM || id == B_INSTANCENORM || id == B_EMBEDDING ||
                       id == B_SCALE)) {
        diag_error(s->diag, loc, "'%s' has weights, so it belongs inside a net", bi->name);
        return val_err;
    }
    TExpr *x = ar->tensors[0].t; /* match_args gives a layer tensors only */
    Shape in = x->shape, out = in;
    Init init = {INIT_DEFAULT, 0, 0};
    Ast *init_ast = NULL;
    for (int i = 0; call && i < call->nkids; i++)
        if (call->kids[i]->kind == AST_KW && strcmp(call->kids[i]->name, "init") == 0)
            init_ast = call->kids[i]->kids[0];
    if (init_ast && !sema_init_of(s, init_ast, &init)) return val_err;
    if (init.kind == INIT_ZEROS && sema_given(ar, "spectral_norm") &&
        sema_opt(ar, "spectral_norm")->num != 0) {
        diag_error(s->diag, init_ast->loc, "'%s' with spectral_norm cannot start from zeros: its "
                   "weight is divided by its largest singular value, 0; to start a branch at "
                   "zero, follow it with scale(init: zeros)", bi->name);
        return val_err;
    }
    if (!in.batch && id != B_CONCAT && id != B_MATMUL) {
        diag_error(s->diag, loc, "'%s' needs a batched tensor (one value per example), got %s",
                   bi->name, shp(in, b1));
        return val_err;
    }
    switch ((BuiltinId)id) {
    case B_DENSE: {
        int units;
        if (!sema_opt_int(s, ar, "units", &units, false)) return val_err;
        if (in.nd != 1 && in.nd != 2) {
            diag_error(s->diag, loc, "'dense' takes features [n] or a sequence of them [length, "
                       "n], got %s; add flatten before it", shp(in, b1));
            return val_err;
        }
        out.d[in.nd - 1] = units; /* on a sequence, each of its vectors */
        if (!sema_weights_fit(s, "dense", loc, 2, (int[]){units, in.d[in.nd - 1]})) return val_err;
        TExpr *t = new_layer(s, LAYER_DENSE, "dense", loc, out, x);
        t->spec.units = units;
        t->spec.bias = sema_opt(ar, "bias")->num != 0;
        t->spec.spectral_norm = sema_opt(ar, "spectral_norm")->num != 0;
        t->init = init;
        return val_tensor(t, loc);
    }
    case B_CONV:
    case B_DECONV:
    case B_CONV1D:
    case B_DECONV1D: return apply_conv(s, id, ar, loc, x, init);
    case B_BATCHNORM:
    case B_LAYERNORM: {
        double eps, mom = 0;
        if (!sema_opt_real(s, ar, "eps", 0, 1, &eps)) return val_err;
        if (id == B_BATCHNORM && !sema_opt_real(s, ar, "momentum", 0, 1, &mom)) return val_err;
        if (in.nd == 0) {
            diag_error(s->diag, loc, "'%s' needs features to normalise, got %s", bi->name,
                       shp(in, b1));
            return val_err;
        }
        bool bn = id == B_BATCHNORM;
        int axis = 0; /* layernorm: over the axes from this one to the last */
        if (!bn && !axis_of(s, "layernorm", *sema_opt(ar, "axis"), in, &axis)) return val_err;
        TExpr *t = new_layer(s, bn ? LAYER_BATCHNORM : LAYER_LAYERNORM, bi->name, loc, in, x);
        t->attr.eps = eps;
        t->attr.momentum = mom;
        t->spec.groups = 1; /* the rows normalised alone: those of the axes before axis */
        for (int i = 0; i < axis; i++) t->spec.groups *= in.d[i];
        return val_tensor(t, loc);
    }
    case B_EMBEDDING: {
        int v, d;
        if (!sema_opt_int(s, ar, "vocabulary", &v, false) || !sema_opt_int(s, ar, "dimension", &d, false))
            return val_err;
        /* a row of the table for each index: one per example, or each of
         * a sequence's */
        if (in.nd + 1 > GENC_MAX_DIMS) {
            diag_error(s->diag, loc, "'embedding' of %s would make %d axes per example (the "
                       "limit is %d)", shp(in, b1), in.nd + 1, GENC_MAX_DIMS);
            return val_err;
        }
        out.d[out.nd++] = d;
        if (!sema_shape_fits(s, out, loc)) return val_err;
        if (!sema_weights_fit(s, "embedding", loc, 2, (int[]){v, d})) return val_err;
        TExpr *t = new_layer(s, LAYER_EMBEDDING, "embedding", loc, out, x);
        t->spec.vocabulary = v;
        t->spec.dimension = d;
        t->init = init;
        return val_tensor(t, loc);
    }
    case B_DROPOUT: {
        double p;
        if (!sema_opt_real(s, ar, "p", 0, 0.999, &p)) return val_err;
        TExpr *t = sema_tx_op(s, OP_dropout, loc, in, x, NULL);
        t->attr.p = p;
        /* each dropout written draws its own mask: the site number keeps
         * CSE from merging two of them on the same input (rewrite.c then
         * numbers the masks by node) */
        t->attr.stream = ++s->dropouts;
        return val_tensor(t, loc);
    }
    case B_FLATTEN:
    case B_RESHAPE: {
        out = (Shape){.batch = true};
        if (id == B_FLATTEN) {
            out.nd = 1;
            out.d[0] = (int)shape_count(in);
        } else {
            if (ar->nrest == 1 && ar->rest[0].kind == V_LIST) {
                if (!sema_shape_of(s, ar->rest[0], &out, true)) return val_err;
            } else {
                if (ar->nrest == 0) {
                    diag_error(s->diag, loc, "'reshape' needs the new shape, e.g. reshape(256, 7, 7)");
                    return val_err;
                }
                int infer = -1; /* the axis of a size -1, found from the others */
                for (int i = 0; i < ar->nrest; i++) {
                    Val v = ar->rest[i];
                    if (v.kind == V_NUM && v.num == -1 && infer >= 0) {
                        diag_error(s->diag, v.loc, "'reshape' infers one size (-1), not two");
                        return val_err;
                    }
                    if (v.kind == V_NUM && v.num == -1) {
                        infer = i;
                        out.d[out.nd++] = 1;
                    } else if (!sema_size_ok(s, v, "a size", v.loc, &out.d[out.nd++], false))
                        return val_err;
                }
                if (infer >= 0) {
                    int64_t rest = shape_count(out), all = shape_count(in);
                    if (all % rest) {
                        out.d[infer] = 0;
                        diag_error(s->diag, ar->rest[infer].loc, "'reshape' cannot find the size "
                                   "-1 stands for: %lld values per example are not a multiple of "
                                   "%lld", (long long)all, (long long)rest);
                        return val_err;
                    }
                    out.d[infer] = (int)(all / rest);
                }
                if (!sema_shape_fits(s, out, loc)) return val_err;
            }
            if (shape_count(out) != shape_count(in)) {
                diag_error(s->diag, loc, "'reshape' to %s needs %lld values per example, but its "
                           "input %s has %lld",
                           shp(out, b1), (long long)shape_count(out), shp(in, b2),
                           (long long)shape_count(in));
                return val_err;
            }
        }
        return val_tensor(sema_tx_op(s, OP_reshape, loc, out, x, NULL), loc);
    }
    case B_UPSAMPLE: {
        int f;
        if (!sema_opt_int(s, ar, "factor", &f, false)) return val_err;
        if (in.nd != 3) {
            diag_error(s->diag, loc, "'upsample' expects [channels, height, width], got %s",
                       shp(in, b1));
            return val_err;
        }
        out.d[1] = (int)fmin((double)in.d[1] * f, GENC_MAX_SIZE);
        out.d[2] = (int)fmin((double)in.d[2] * f, GENC_MAX_SIZE);
        if (!sema_shape_fits(s, out, loc)) return val_err;
        Val *mode = sema_opt(ar, "mode");
        bool bilinear = mode->kind == V_WORD && strcmp(mode->str, "bilinear") == 0;
        if (!bilinear && !(mode->kind == V_WORD && strcmp(mode->str, "nearest") == 0)) {
            if (mode->kind != V_ERR)
                diag_error(s->diag, mode->loc, "'mode' of 'upsample' is nearest or bilinear");
            return val_err;
        }
        TExpr *t = sema_tx_op(s, bilinear ? OP_upsample_bilinear : OP_upsample, loc, out, x, NULL);
        t->attr.factor = f;
        return val_tensor(t, loc);
    }
    case B_MAXPOOL:
    case B_AVGPOOL: {
        int k, st;
        if (!sema_opt_int(s, ar, "kernel", &k, false)) return val_err;
        st = k;
        if (sema_given(ar, "stride") && !sema_opt_int(s, ar, "stride", &st, false)) return val_err;
        if (in.nd != 3) {
            diag_error(s->diag, loc, "'%s' expects [channels, height, width], got %s", bi->name,
                       shp(in, b1));
            return val_err;
        }
        if (in.d[1] < k || in.d[2] < k) {
            diag_error(s->diag, loc, "'%s' kernel %d is larger than its input %dx%d", bi->name, k,
                       in.d[1], in.d[2]);
            return val_err;
        }
        out.d[1] = (in.d[1] - k) / st + 1;
        out.d[2] = (in.d[2] - k) / st + 1;
        TExpr *t = sema_tx_op(s, id == B_MAXPOOL ? OP_maxpool : OP_avgpool, loc, out, x, NULL);
        t->attr.kernel = k;
        t->attr.stride[0] = t->attr.stride[1] = st;
        return val_tensor(t, loc);
    }
    case B_CONCAT: {
        int axis;
        if (!sema_opt_int(s, ar, "axis", &axis, true)) return val_err;
        TExpr *acc = x;
        for (int i = 1; i < ar->ntensors; i++) {
            Shape a = acc->shape, b = ar->tensors[i].t->shape;
            if (shape_count(b) == 1 && axis < a.nd) {
                /* one value (one per example, or one for all) joins as
                 * a slice of 1 along the axis, filled with it */
                Shape e = a;
                e.d[axis] = 1;
                ar->tensors[i].t = sema_tx_op(s, OP_expand, loc, e, ar->tensors[i].t, NULL);
                ar->tensors[i].t->attr.scale = 1;
                b = e;
            }
            bool ok = a.batch && b.batch && a.nd == b.nd && axis < a.nd;
            for (int d = 0; ok && d < a.nd; d++)
                if (d != axis && a.d[d] != b.d[d]) ok = false;
            if (!ok) {
                diag_error(s->diag, ar->tensors[i].loc,
                           "'concat' along axis %d cannot join %s and %s", axis, shp(a, b1),
                           shp(b, b2));
                return val_err;
            }
            Shape o = a;
            int64_t joined = (int64_t)a.d[axis] + b.d[axis];
            if (joined > GENC_MAX_SIZE) {
                diag_error(s->diag, loc, "'concat' would make axis %d %lld long (the limit is %d)",
                           axis, (long long)joined, GENC_MAX_SIZE);
                return val_err;
            }
            o.d[axis] = (int)joined;
            if (!sema_shape_fits(s, o, loc)) return val_err;
            acc = sema_tx_op(s, OP_concat, loc, o, acc, ar->tensors[i].t);
            acc->attr.axis = axis;
        }
        return val_tensor(acc, loc);
    }
    case B_MATMUL: return apply_matmul(s, x, ar->tensors[1].t, loc);
    case B_TRANSPOSE: {
        int i, j;
        if (!axis_of(s, "transpose", *sema_opt(ar, "axis1"), in, &i) ||
            !axis_of(s, "transpose", *sema_opt(ar, "axis2"), in, &j))
            return val_err;
        return val_tensor(swap_axes(s, x, i, j, loc), loc);
    }
    case B_PERMUTE: {
        int perm[GENC_MAX_DIMS];
        bool seen[GENC_MAX_DIMS] = {0}, ok = ar->nrest == in.nd;
        for (int i = 0; ok && i < ar->nrest; i++) {
            if (!axis_of(s, "permute", ar->rest[i], in, &perm[i])) return val_err;
            if (seen[perm[i]]) ok = false;
            seen[perm[i]] = true;
        }
        if (!ok) {
            char axes[64] = "";
            for (int i = 0; i < ar->nrest; i++)
                snprintf(axes + strlen(axes), sizeof axes - strlen(axes), "%s%g", i ? ", " : "",
                         ar->rest[i].kind == V_NUM ? ar->rest[i].num : NAN);
            diag_error(s->diag, loc, "'permute' needs each of the %d axes of %s once, got (%s)",
                       in.nd, shp(in, b1), axes);
            return val_err;
        }
        for (int i = 0; i < in.nd; i++) out.d[i] = in.d[perm[i]];
        TExpr *t = sema_tx_op(s, OP_permute, loc, out, x, NULL);
        memcpy(t->attr.perm, perm, sizeof perm);
        return val_tensor(t, loc);
    }
    case B_GROUPNORM:
    case B_INSTANCENORM: {
        /* each example's channels in groups, each group normalised over
         * its values (instancenorm: a group per channel) */
        double eps;
        int groups = 0;
        if (!sema_opt_real(s, ar, "eps", 0, 1, &eps) ||
            (id == B_GROUPNORM && !sema_opt_int(s, ar, "groups", &groups, false)))
            return val_err;
        if (in.nd < 2) {
            diag_error(s->diag, loc, "'%s' needs channels and values in each, [channels, ...], "
                       "got %s", bi->name, shp(in, b1));
            return val_err;
        }
        if (id == B_INSTANCENORM) groups = in.d[0];
        if (in.d[0] % groups) {
            diag_error(s->diag, loc, "'groupnorm' cannot split %d channels into %d groups",
                       in.d[0], groups);
            return val_err;
        }
        TExpr *t = new_layer(s, LAYER_GROUPNORM, bi->name, loc, in, x);
        t->spec.groups = groups;
        t->spec.affine = id == B_GROUPNORM || sema_opt(ar, "affine")->num != 0;
        t->attr.eps = eps;
        return val_tensor(t, loc);
    }
    case B_SCALE: {
        /* x times one learned number (SAGAN's gamma), from 1 by default */
        TExpr *t = new_layer(s, LAYER_SCALE, "scale", loc, in, x);
        t->init = init;
        return val_tensor(t, loc);
    }
    case B_SLICE:
    case B_INDEX: {
        const char *fn = bi->name;
        int axis, from, to;
        if (!axis_of(s, fn, *sema_opt(ar, "axis"), in, &axis)) return val_err;
        int len = in.d[axis];
        if (id == B_INDEX) {
            if (!position_of(s, fn, "at", *sema_opt(ar, "at"), in, axis, false, &from)) return val_err;
            to = from + 1;
        } else {
            to = len;
            if (!position_of(s, fn, "from", *sema_opt(ar, "from"), in, axis, true, &from) ||
                (sema_given(ar, "to") && !position_of(s, fn, "to", *sema_opt(ar, "to"), in, axis, true, &to)))
                return val_err;
            if (to <= from) {
                diag_error(s->diag, loc, "'slice' from %d to %d of axis %d of %s is empty", from,
                           to, axis, shp(in, b1));
                return val_err;
            }
        }
        TExpr *t = slice_of(s, x, axis, from, to, loc);
        return val_tensor(id == B_INDEX ? drop_axis(s, t, axis, loc) : t, loc);
    }
    case B_SPLIT: /* unpacked by the statement (sema_split); anywhere else: */
        diag_error(s->diag, loc, "'split' gives several tensors: name each, as in "
                   "a, b = split(x, 0, 2)");
        return val_err;
    case B_STACK: {
        /* the new axis is axis of the result: 0 .. nd, or -1 the last */
        Val av = *sema_opt(ar, "axis");
        int axis = (int)av.num + (av.num < 0 ? in.nd + 1 : 0);
        if (av.kind != V_NUM || !av.is_int || axis < 0 || axis > in.nd) {
            if (!sema_kind_reported(s, av))
                diag_error(s->diag, av.loc, "'stack' makes a new axis of %s: 0 to %d, or %d to "
                           "-1", shp(in, b1), in.nd, -in.nd - 1);
            return val_err;
        }
        if (in.nd + 1 > GENC_MAX_DIMS) {
            diag_error(s->diag, loc, "'stack' would make %d axes per example (the limit is %d)",
                       in.nd + 1, GENC_MAX_DIMS);
            return val_err;
        }
        TExpr *acc = NULL;
        for (int i = 0; i < ar->ntensors; i++) {
            TExpr *t = ar->tensors[i].t;
            if (!shape_eq(t->shape, in)) {
                diag_error(s->diag, ar->tensors[i].loc, "'stack' needs tensors of one shape, got "
                           "%s and %s", shp(in, b1), shp(t->shape, b2));
                return val_err;
            }
            t = insert_axis(s, t, axis, loc);
            acc = acc ? join(s, acc, t, axis, loc) : t;
        }
        return val_tensor(acc, loc);
    }
    case B_PAD: {
        int axis, before, after;
        double value;
        if (!axis_of(s, "pad", *sema_opt(ar, "axis"), in, &axis) ||
            !sema_opt_int(s, ar, "before", &before, true) ||
            !sema_opt_real(s, ar, "value", -1e30, 1e30, &value))
            return val_err;
        after = before;
        if (sema_given(ar, "after") && !sema_opt_int(s, ar, "after", &after, true)) return val_err;
        out.d[axis] = (int)fmin((double)in.d[axis] + before + after, GENC_MAX_SIZE + 1.0);
        if (!sema_shape_fits(s, out, loc)) return val_err;
        TExpr *t = x;
        Shape part = in;
        if (before) {
            part.d[axis] = before;
            t = join(s, filled(s, value, part, loc), t, axis, loc);
        }
        if (after) {
            part.d[axis] = after;
            t = join(s, t, filled(s, value, part, loc), axis, loc);
        }
        return val_tensor(t, loc);
    }
    case B_TRIL: {
        double fill;
        if (!sema_opt_real(s, ar, "fill", -1e30, 1e30, &fill)) return val_err;
        if (in.nd < 2) {
            diag_error(s->diag, loc, "'tril' keeps the lower triangle of the last two axes; %s "
                       "has %s", shp(in, b1), in.nd ? "one" : "none");
            return val_err;
        }
        TExpr *t = sema_tx_op(s, OP_tril, loc, in, x, NULL);
        t->attr.value = fill;
        return val_tensor(t, loc);
    }
    default:
        GENC_ASSERT(!"not a layer");
    }
}

/* sum over each example's elements; a batched result has shape [] */
static TExpr *per_example(Sema *s, Op op, TExpr *x, SrcLoc loc)
{
    return sema_tx_op(s, op, loc, (Shape){.batch = x->shape.batch}, x, NULL);
}

TExpr *sema_binop(Sema *s, Op op, TExpr *a, TExpr *b, SrcLoc loc)
{
    Shape out;
    if (!sema_broadcast(s, a->shape, b->shape, &out, loc)) return NULL;
    return sema_tx_op(s, op, loc, out, a, b);
}

/* A call of an op of the table by its name (ops.h, FN): the options are
 * the attributes of the same names; a number is folded when the op says
 * how; the shape follows the op's rule. */
Val sema_apply_op(Sema *s, Op op, Args *ar, SrcLoc loc)
{
    const OpInfo *oi = &op_info[op];
    if (ar->ntensors == 1 && ar->tensors[0].kind == V_NUM && oi->fold) {
        double v = ar->tensors[0].num, r = oi->fold(v);
        if (!isfinite(r)) {
            diag_error(s->diag, loc, "%s(%g) is not a finite number", oi->lang, v);
            return val_err;
        }
        return val_num(r, false, loc);
    }
    Attrs at = {0};
    for (int i = 0; i < ar->n; i++) {
        int a = 0;
        while (a < ATTR_COUNT && strcmp(attr_info[a].name, ar->name[i]) != 0) a++;
        GENC_ASSERT(a < ATTR_COUNT && (oi->attrs & (1u << a))); /* the table's promise */
        const AttrInfo *ai = &attr_info[a];
        double v;
        int n;
        if (ai->real ? !sema_opt_real(s, ar, ai->name, ai->lo, ai->hi, &v)
                     : !sema_opt_int(s, ar, ai->name, &n, false))
            return val_err;
        attr_set(&at, (AttrId)a, 0, ai->real ? v : n);
    }
    TExpr *x = sema_as_tensor(s, ar->tensors[0]);
    Shape in = x->shape, out = in;
    char b1[64];
    switch (oi->shape) {
    case SHAPE_NONE: GENC_ASSERT(!"not a function of the language");
    case SHAPE_SAME: break;
    case SHAPE_ONEHOT:
        if (in.nd != 0 || !in.batch) {
            diag_error(s->diag, loc, "'%s' takes one class index per example, got %s", oi->lang,
                       shp(in, b1));
            return val_err;
        }
        out = (Shape){.nd = 1, .d = {at.classes}, .batch = true};
        break;
    }
    TExpr *t = sema_tx_op(s, op, loc, out, x, NULL);
    t->attr = at;
    return val_tensor(t, loc);
}

/* 'keep' given without 'axis', said to be an error (true) */
static bool keep_without_axis(Sema *s, Args *ar, const char *fn)
{
    if (!sema_given(ar, "keep")) return false;
    diag_error(s->diag, sema_opt(ar, "keep")->loc, "'keep' needs 'axis': without one, '%s' "
               "takes all of each example's values", fn);
    return true;
}

/* a reduction's result e, its axis of 1 dropped unless 'keep' */
static TExpr *kept_or_dropped(Sema *s, Args *ar, TExpr *e, int axis, SrcLoc loc)
{
    return sema_opt(ar, "keep")->num != 0 ? e : drop_axis(s, e, axis, loc);
}

/* op of the last axis (its result len long there) along axis: that axis
 * swapped with the last around it */
static TExpr *along_axis(Sema *s, Op op, TExpr *x, int axis, int len, SrcLoc loc)
{
    int last = x->shape.nd - 1;
    x = swap_axes(s, x, axis, last, loc);
    Shape o = x->shape;
    o.d[last] = len;
    return swap_axes(s, sema_tx_op(s, op, loc, o, x, NULL), axis, last, loc);
}

/* The functions made of several ops: the losses. */
Val sema_apply_func(Sema *s, int id, Args *ar, SrcLoc loc)
{
    TExpr *t[3]; /* match_args gives a function tensors and numbers only */
    for (int i = 0; i < ar->ntensors; i++) t[i] = sema_as_tensor(s, ar->tensors[i]);
    Builtin this = sema_builtin(id), *bi = &this;
    char b1[64], b2[64], b3[64];
    switch ((BuiltinId)id) {
    case B_BCE:
    case B_MSE:
    case B_L1:
    case B_KL_NORMAL: {
        Op op = id == B_BCE ? OP_bce : id == B_KL_NORMAL ? OP_kl_normal : OP_sub;
        if (op != OP_sub) {
            /* the loss kernels take equal shapes: broadcast explicitly */
            Shape o;
            if (!sema_broadcast(s, t[0]->shape, t[1]->shape, &o, loc)) return val_err;
            for (int i = 0; i < 2; i++)
                if (!shape_eq(t[i]->shape, o)) {
                    t[i] = sema_tx_op(s, OP_expand, loc, o, t[i], NULL);
                    t[i]->attr.scale = 1;
                }
        }
        TExpr *e = sema_binop(s, op, t[0], t[1], loc);
        if (!e) return val_err;
        if (id == B_MSE) {
            e = sema_tx_op(s, OP_powc, loc, e->shape, e, NULL);
            e->attr.exponent = 2;
        } else if (id == B_L1) {
            e = sema_tx_op(s, OP_abs, loc, e->shape, e, NULL);
        }
        return val_tensor(per_example(s, OP_sum, e, loc), loc);
    }
    case B_CROSS_ENTROPY: {
        /* -sum(t * log(p)), over the classes (the last axis), averaged over
         * the positions of a sequence; class indices become one-hot rows */
        TExpr *p = t[0], *y = t[1];
        if (p->shape.nd < 1 || p->shape.nd > 2 || !p->shape.batch) {
            diag_error(s->diag, loc, "'cross_entropy' needs class probabilities [classes] (or "
                       "[positions, classes]) per example, got %s", shp(p->shape, b1));
            return val_err;
        }
        Shape ids = p->shape;
        int classes = ids.d[--ids.nd];
        if (shape_eq(y->shape, ids)) {
            y = sema_tx_op(s, OP_onehot, loc, p->shape, y, NULL);
            y->attr.classes = classes;
        } else if (!shape_eq(y->shape, p->shape)) {
            diag_error(s->diag, loc, "'cross_entropy' targets must be class indices %s or %s, got "
                       "%s", shp(ids, b3), shp(p->shape, b1), shp(y->shape, b2));
            return val_err;
        }
        /* only at the top level: inside a net body p is made of the net's
         * inputs, which have no value outside a call */
        if (!s->m->judge && s->net < 0 && p->shape.nd == 1) s->m->judge = p;
        TExpr *lp = sema_tx_op(s, OP_log, loc, p->shape, p, NULL);
        TExpr *e = sema_tx_op(s, OP_mul, loc, p->shape, y, lp);
        e = per_example(s, OP_sum, e, loc);
        double positions = (double)shape_count(ids);
        if (positions > 1)
            e = sema_tx_op(s, OP_mul, loc, e->shape, e, sema_as_tensor(s, val_num(1 / positions, false, loc)));
        return val_tensor(sema_tx_op(s, OP_neg, loc, e->shape, e, NULL), loc);
    }
    case B_GRAD: {
        /* dy/dx, x's shape; autodiff builds its nodes (autodiff_grads) */
        TExpr *y = t[0], *x = t[1];
        if (y->kind == TX_NUM) {
            diag_error(s->diag, loc, "'grad' differentiates a value of the model, not a number");
            return val_err;
        }
        if (shape_count(y->shape) != 1) {
            diag_error(s->diag, loc, "'grad' differentiates one value per example (or a scalar), "
                       "got %s", shp(y->shape, b1));
            return val_err;
        }
        if (x->kind == TX_NUM) {
            diag_error(s->diag, loc, "'grad' takes the gradient with respect to a value of the "
                       "model, not a number");
            return val_err;
        }
        return val_tensor(sema_tx_op(s, OP_grad, loc, x->shape, y, x), loc);
    }
    case B_SUM:
    case B_MEAN: {
        /* along an axis: sum_to keeps it as an axis of 1 */
        TExpr *x = t[0];
        int axis;
        if (!sema_given(ar, "axis")) {
            if (keep_without_axis(s, ar, bi->name)) return val_err;
            return val_tensor(per_example(s, id == B_SUM ? OP_sum : OP_mean, x, loc), loc);
        }
        if (!axis_of(s, bi->name, *sema_opt(ar, "axis"), x->shape, &axis)) return val_err;
        Shape kept = x->shape;
        int len = kept.d[axis];
        kept.d[axis] = 1;
        TExpr *e = sema_tx_op(s, OP_sum_to, loc, kept, x, NULL);
        if (id == B_MEAN)
            e = sema_binop(s, OP_mul, e, sema_as_tensor(s, val_num(1.0 / len, false, loc)), loc);
        return val_tensor(kept_or_dropped(s, ar, e, axis, loc), loc);
    }
    case B_SOFTMAX:
    case B_LOG_SOFTMAX: {
        TExpr *x = t[0];
        int axis;
        if (x->shape.nd == 0) {
            diag_error(s->diag, loc, "'%s' needs a vector per example, got %s", bi->name,
                       shp(x->shape, b1));
            return val_err;
        }
        if (!axis_of(s, bi->name, *sema_opt(ar, "axis"), x->shape, &axis)) return val_err;
        Op op = id == B_SOFTMAX ? OP_softmax : OP_log_softmax;
        return val_tensor(along_axis(s, op, x, axis, x->shape.d[axis], loc), loc);
    }
    case B_MAX:
    case B_MIN: {
        /* min is -max(-x); without an axis, over each example's values */
        TExpr *x = t[0];
        int axis = 0;
        if (!sema_given(ar, "axis")) {
            if (keep_without_axis(s, ar, bi->name)) return val_err;
            if (x->shape.nd == 0) {
                diag_error(s->diag, loc, "'%s' needs values to compare per example, got %s",
                           bi->name, shp(x->shape, b1));
                return val_err;
            }
            Shape flat = {.nd = 1, .d = {(int)shape_count(x->shape)}, .batch = x->shape.batch};
            x = sema_tx_op(s, OP_reshape, loc, flat, x, NULL);
        } else if (!axis_of(s, bi->name, *sema_opt(ar, "axis"), x->shape, &axis)) {
            return val_err;
        }
        if (id == B_MIN) x = sema_tx_op(s, OP_neg, loc, x->shape, x, NULL);
        x = along_axis(s, OP_max_last, x, axis, 1, loc);
        if (id == B_MIN) x = sema_tx_op(s, OP_neg, loc, x->shape, x, NULL);
        if (!sema_given(ar, "axis")) return val_tensor(drop_axis(s, x, 0, loc), loc);
        return val_tensor(kept_or_dropped(s, ar, x, axis, loc), loc);
    }
    case B_WHERE: {
        /* a where c > 0, else b: b + step(c) (a - b), step(c) =
         * relu(sign(c)), through which no gradient flows */
        TExpr *step = sema_tx_op(s, OP_sign, loc, t[0]->shape, t[0], NULL);
        step = sema_tx_op(s, OP_relu, loc, step->shape, step, NULL);
        TExpr *d = sema_binop(s, OP_sub, t[1], t[2], loc);
        TExpr *e = d ? sema_binop(s, OP_mul, step, d, loc) : NULL;
        e = e ? sema_binop(s, OP_add, t[2], e, loc) : NULL;
        return e ? val_tensor(e, loc) : val_err;
    }
    case B_SIZE: {
        /* a number the compiler knows: the length of an axis */
        int axis;
        if (!axis_of(s, "size", *sema_opt(ar, "axis"), t[0]->shape, &axis)) return val_err;
        return val_num(t[0]->shape.d[axis], true, loc);
    }
    case B_NORM: {
        /* the L2 norm of each example: sqrt(sum(v^2)) */
        TExpr *e = sema_tx_op(s, OP_powc, loc, t[0]->shape, t[0], NULL);
        e->attr.exponent = 2;
        e = per_example(s, OP_sum, e, loc);
        return val_tensor(sema_tx_op(s, OP_sqrt, loc, e->shape, e, NULL), loc);
    }
    default: break;
    }
    GENC_ASSERT(!"not a function");
}

bool sema_split(Sema *s, Ast *call, Flow flow, Val *in, SrcLoc loc, int want, Val *parts)
{
    Args ar;
    char b1[64];
    if (!sema_match_args(s, B_SPLIT, call, flow, in, &ar, loc) || ar.tensors[0].kind == V_ERR)
        return false;
    TExpr *x = ar.tensors[0].t;
    Shape sh = x->shape;
    int axis;
    if (!sh.batch) {
        diag_error(s->diag, loc, "'split' needs a batched tensor (one value per example), got %s",
                   shp(sh, b1));
        return false;
    }
    if (!axis_of(s, "split", *sema_opt(&ar, "axis"), sh, &axis)) return false;
    /* parts: a number of equal parts, or a list of sizes */
    Val *pv = sema_opt(&ar, "parts");
    int n = pv->kind == V_LIST ? pv->nitems : 0, len = sh.d[axis];
    if (pv->kind != V_LIST && !sema_size_ok(s, *pv, "'parts'", pv->loc, &n, false)) return false;
    if (n != want) {
        diag_error(s->diag, loc, "'split' gives %d part%s, but %d names are given", n,
                   n == 1 ? "" : "s", want);
        return false;
    }
    int *size = xcalloc((size_t)n, sizeof *size), total = 0;
    bool ok = true;
    for (int i = 0; ok && i < n; i++) {
        if (pv->kind == V_LIST)
            ok = sema_size_ok(s, val_num(pv->items[i], pv->items[i] == floor(pv->items[i]), pv->loc),
                              "'split' sizes", pv->loc, &size[i], false);
        else
            size[i] = len / n;
        total += ok ? size[i] : 0;
        if (total > GENC_MAX_SIZE) total = GENC_MAX_SIZE + 1;
    }
    if (ok && pv->kind != V_LIST && len % n) {
        diag_error(s->diag, pv->loc, "'split' cannot cut axis %d of %s (%d long) into %d equal "
                   "parts; give the sizes as a list", axis, shp(sh, b1), len, n);
        ok = false;
    } else if (ok && total != len) {
        diag_error(s->diag, pv->loc, "'split' sizes add up to %d, but axis %d of %s is %d long",
                   total, axis, shp(sh, b1), len);
        ok = false;
    }
    for (int i = 0, from = 0; ok && i < n; from += size[i++])
        parts[i] = val_tensor(slice_of(s, x, axis, from, from + size[i], loc), loc);
    free(size);
    return ok;
}
