/* autodiff.h: reverse-mode differentiation as a graph-to-graph pass. */
#ifndef GENC_AUTODIFF_H
#define GENC_AUTODIFF_H

#include "ir/graph.h"

/* Appends, for every phase, the nodes computing the gradient of its loss
 * with respect to each of its parameters (Phase.grads). */
void autodiff_graph(Graph *g);

#endif
