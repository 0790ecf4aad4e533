/* autodiff.h: reverse-mode differentiation as a graph-to-graph pass. */
#ifndef GENC_AUTODIFF_H
#define GENC_AUTODIFF_H

#include "grammar/diag.h"
#include "ir/graph.h"

/* Replaces each grad(y, x) an objective computes by the nodes of dy/dx.
 * The number of errors (a grad with no gradient to take), reported to d. */
int autodiff_grads(Graph *g, Diag *d);

/* autodiff_grads, then appends, for every phase, the nodes computing the gradient of its
 * loss with respect to each of its parameters (Phase.grads). The number
 * of errors (a grad with no gradient to take), reported to d. */
int autodiff_graph(Graph *g, Diag *d);

#endif
