/* legacy.c: the model hash of genc 0.1.0, so that its checkpoints still
 * load (graph_hash_legacy, graph.h).
 *
 * genc 0.1.0 hashed each trained forward node as int32s: its op's number
 * in the op table of that day, its input count, its inputs, its shape and
 * six integer attribute slots, then two real slots as raw doubles; the
 * parameters as today. The slots meant different things per op; the
 * table below says, per op, which named attribute each slot held. Ops
 * added since then are not in the frozen list: a model that uses one has
 * no legacy hash. Nothing here changes when the op table grows. */
#include <stdlib.h>
#include <string.h>

#include "ir/graph.h"

/* The op table of genc 0.1.0, in its order. */
static const char *const legacy_ops[] = {
    "input", "noise", "param", "const", "neg", "exp", "log", "sqrt", "abs", "sign", "powc",
    "relu", "leaky_relu", "elu", "tanh", "sigmoid", "softplus", "gelu", "log_sigmoid", "add",
    "sub", "mul", "div", "bce", "bce_logits", "kl_normal", "sum", "mean", "batch_mean", "sum_to",
    "expand", "matmul", "conv2d", "deconv2d", "batchnorm", "layernorm", "dropout", "maxpool",
    "avgpool", "upsample", "reshape", "concat", "slice", "embedding", "onehot", "softmax",
    "log_softmax", "relu_grad", "leaky_relu_grad", "elu_grad", "tanh_grad", "sigmoid_grad",
    "gelu_grad", "bce_grad", "bce_logits_grad", "conv2d_wgrad", "batchnorm_grad",
    "layernorm_grad", "maxpool_grad", "avgpool_grad", "upsample_grad", "embedding_grad",
    "softmax_grad", "log_softmax_grad",
};

/* A slot's content: component k of attribute attr - 1, or (attr 0) the
 * number k itself; so a slot left out of the table is 0. */
typedef struct Slot {
    signed char attr, k;
} Slot;
#define S(name, k) {ATTR_##name + 1, k}
#define C(v) {0, v}

/* The slots of the ops a forward graph can hold that had any; every other
 * op's slots were zero. */
static const struct {
    const char *op;
    Slot ia[6], fa[2];
} legacy_slots[] = {
    {"input", {S(data, 0)}, {C(0)}},
    {"noise", {S(noise, 0)}, {C(0)}},
    {"param", {S(param, 0)}, {C(0)}},
    {"const", {C(0)}, {S(value, 0)}},
    {"powc", {C(0)}, {S(exponent, 0)}},
    {"leaky_relu", {C(0)}, {S(slope, 0)}},
    {"elu", {C(0)}, {S(alpha, 0)}},
    {"expand", {S(per_batch, 0)}, {S(scale, 0)}},
    {"matmul", {S(ta, 0), S(tb, 0)}, {C(0)}},
    {"conv2d", {S(stride, 0), S(stride, 1), S(pad, 0), S(pad, 1)}, {C(0)}},
    {"deconv2d", {S(stride, 0), S(stride, 1), S(pad, 0), S(pad, 1), S(outpad, 0), S(outpad, 1)},
     {C(0)}},
    {"batchnorm", {S(state, 0)}, {S(eps, 0), S(momentum, 0)}},
    /* lowering stored "no state" (-1) in a layernorm's first slot */
    {"layernorm", {C(-1)}, {S(eps, 0)}},
    {"dropout", {S(stream, 0)}, {S(p, 0)}},
    {"maxpool", {S(kernel, 0), S(stride, 0)}, {C(0)}},
    {"avgpool", {S(kernel, 0), S(stride, 0)}, {C(0)}},
    {"upsample", {S(factor, 0)}, {C(0)}},
    {"concat", {S(axis, 0)}, {C(0)}},
    {"onehot", {S(classes, 0)}, {C(0)}},
};

static double slot_value(const Node *n, Slot s)
{
    return s.attr == 0 ? s.k : attr_get(&n->attr, (AttrId)(s.attr - 1), s.k);
}

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 1099511628211ULL;
    return h;
}

uint64_t graph_hash_legacy(const Graph *g)
{
    uint64_t h = 1469598103934665603ULL;
    int nn = g->nforward > 0 ? g->nforward : g->nnodes;
    int *num = xmalloc(sizeof *num * ((size_t)nn + 1));
    int trained = graph_number_trained(g, nn, num);
    for (int i = 0; i < nn && h; i++) {
        if (num[i] >= trained) continue;
        const Node *n = &g->nodes[i];
        const char *name = op_info[n->op].name;
        int op = 0;
        while (op < (int)GENC_COUNT(legacy_ops) && strcmp(legacy_ops[op], name) != 0) op++;
        if (op == (int)GENC_COUNT(legacy_ops)) {
            h = 0; /* an op 0.1.0 did not have */
            break;
        }
        int32_t v[4 + GRAPH_MAXIN + GENC_MAX_DIMS + 6];
        double fa[2] = {0, 0};
        int k = 0;
        v[k++] = op;
        v[k++] = n->nin;
        for (int j = 0; j < n->nin; j++) v[k++] = num[n->in[j]];
        v[k++] = n->shape.nd;
        v[k++] = n->shape.batch;
        for (int j = 0; j < n->shape.nd; j++) v[k++] = n->shape.d[j];
        int row = 0;
        while (row < (int)GENC_COUNT(legacy_slots) && strcmp(legacy_slots[row].op, name) != 0) row++;
        for (int j = 0; j < 6; j++)
            v[k + j] = row < (int)GENC_COUNT(legacy_slots) ? (int32_t)slot_value(n, legacy_slots[row].ia[j]) : 0;
        k += 6;
        for (int j = 0; j < 2 && row < (int)GENC_COUNT(legacy_slots); j++)
            fa[j] = slot_value(n, legacy_slots[row].fa[j]);
        h = hash_bytes(h, v, sizeof v[0] * (size_t)k);
        h = hash_bytes(h, fa, sizeof fa);
    }
    free(num);
    for (int i = 0; i < g->nparams && h; i++) {
        const Shape *s = &g->params[i].shape;
        h = hash_bytes(h, g->params[i].path, strlen(g->params[i].path) + 1);
        h = hash_bytes(h, &s->nd, sizeof s->nd);
        h = hash_bytes(h, s->d, sizeof s->d[0] * (size_t)s->nd);
    }
    return h;
}
