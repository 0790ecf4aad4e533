/* rewrite.h: numerically stable forms and common-subexpression elimination. */
#ifndef GENC_REWRITE_H
#define GENC_REWRITE_H

#include "ir/graph.h"

void rewrite_graph(Graph *g);

#endif
