/* ops.c: the op and attribute tables of ops.h, as data. */
#include "ir/ops.h"

#include <math.h>

#include "core/base.h"

#define NONE NULL, NULL, NULL, SHAPE_NONE
#define FN(lang, options, fold, shape) lang, options, fold, SHAPE_##shape
const OpInfo op_info[OP_COUNT] = {
#define GENC_OP_INFO(name, arity, attrs, entry, lang, doc)                                 \
    [OP_##name] = {#name, arity, OPK_KIND, attrs, doc, lang},
#define OPK_KIND OPK_LEAF
    GENC_LEAF_OPS(GENC_OP_INFO)
#undef OPK_KIND
#define OPK_KIND OPK_UNARY
    GENC_UNARY_OPS(GENC_OP_INFO)
#undef OPK_KIND
#define OPK_KIND OPK_BINARY
    GENC_BINARY_OPS(GENC_OP_INFO)
#undef OPK_KIND
#define OPK_KIND OPK_OTHER
    GENC_OTHER_OPS(GENC_OP_INFO)
#undef OPK_KIND
#define OPK_KIND OPK_GRAD
    GENC_GRAD_OPS(GENC_OP_INFO)
#undef OPK_KIND
#undef GENC_OP_INFO
};
#undef NONE
#undef FN

const AttrInfo attr_info[ATTR_COUNT] = {
#define GENC_ATTR_INFO(type, name, dims, print, lo, hi, doc)                                \
    [ATTR_##name] = {#name, sizeof(type) == sizeof(double),                                 \
                     (int)(sizeof(((Attrs *)0)->name) / sizeof(type)), offsetof(Attrs, name), \
                     print, lo, hi},
    GENC_ATTRS(GENC_ATTR_INFO)
#undef GENC_ATTR_INFO
};

double attr_get(const Attrs *x, AttrId a, int k)
{
    const AttrInfo *ai = &attr_info[a];
    GENC_ASSERT(k >= 0 && k < ai->count);
    const char *p = (const char *)x + ai->offset;
    return ai->real ? ((const double *)p)[k] : ((const int *)p)[k];
}

void attr_set(Attrs *x, AttrId a, int k, double v)
{
    const AttrInfo *ai = &attr_info[a];
    GENC_ASSERT(k >= 0 && k < ai->count);
    char *p = (char *)x + ai->offset;
    if (ai->real) ((double *)p)[k] = v;
    else ((int *)p)[k] = (int)v;
}
