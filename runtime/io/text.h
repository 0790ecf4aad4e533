/* text.h: a UTF-8 text file as a dataset, for text("file", context: N).
 *
 * The characters are the file's Unicode code points (it must be valid
 * UTF-8); the vocabulary is the distinct ones of the whole file, in code
 * point order, character i the class i. The last `holdout` of the text
 * is the test split, the rest the training split. A training example is
 * the window of `context` characters from any position that leaves room
 * for its labels; a test example is one of the windows that tile the test
 * text, so that each of its characters is predicted at most once. The labels of a window are the characters that follow
 * each of its own. Errors as in data.h. */
#ifndef GENC_TEXT_H
#define GENC_TEXT_H

#include "io/data.h"
#include "core/limits.h"

/* Loads split ("train" or "test") of the text at path: ds->tokens, the
 * windows (ds->n, context, stride) and the vocabulary (ds->classes,
 * ds->class_names: each character as a UTF-8 string). */
int text_load(const char *path, const char *split, int context, double holdout, DataSet *ds,
              char err[DATA_ERR_LEN]);

#endif
