/* lower.h: the checked model -> the graph IR (one phase per player side). */
#ifndef GENC_LOWER_H
#define GENC_LOWER_H

#include "ir/graph.h"
#include "grammar/sema.h"

Graph *lower_model(Model *m);

#endif
