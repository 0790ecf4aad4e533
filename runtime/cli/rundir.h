/* rundir.h: a run folder belongs to one run, and a run resumes exactly
 * what it was or not at all.
 *
 * `genc run` claims its folder before it trains: an advisory lock held for
 * the run's life (a second run on the folder is refused, naming the
 * process that holds it), the folder's parts checked (a checkpoint or
 * log.csv that is not a regular file, `samples` that is not a directory),
 * and a folder that holds a checkpoint is trained again only with
 * --resume (continue it) or --restart (delete genc's files in it and start
 * over). A checkpoint records, as text, everything the run's result
 * depends on besides its weights (rundir_settings), and the train settings
 * and data folder its command line gave; --resume gives the run those back
 * before its own options (which may make it longer: more --epochs), then
 * compares the settings with the checkpoint's and refuses a difference,
 * naming it, but for the numbers of a player's optimizer (a learning rate
 * lowered by hand), which it notes. */
#ifndef GENC_RUNDIR_H
#define GENC_RUNDIR_H

#include <stddef.h>

#include "cli/run.h"

/* Claims r's folder for a run (creating it): an exit status, 0 when the
 * run may go on, with the message printed when not. */
int rundir_claim(Run *r, bool resume, bool restart);

/* The settings a run's result depends on besides the model's weights, a
 * line each: the model's hash, the data (its files' folder, made absolute,
 * the split, the range and how many examples), the noise, batch, seed, and
 * each phase's optimizer, its step ratio and clipping. Not the epochs or
 * --steps (a run may be made longer), nor the threads. The caller frees. */
char *rundir_settings(const Run *r, const DataSet *ds);

/* --resume, before the model is compiled: the settings the checkpoint at
 * r->ckpt was made with (r->made_with), the train settings its command line
 * gave (r->recalled) and its --data (r->data_dir). Nothing when it cannot
 * be read: loading it says why. */
void rundir_recall(Run *r);

/* What r's checkpoints record of the command line: the recalled settings,
 * then now[0..nnow), without those a later one replaces, and the data
 * folder, made absolute. */
void rundir_record(Run *r, const char *const *now, int nnow);

/* Frees what the functions here gave r. */
void rundir_free(Run *r);

/* 0 when a checkpoint's settings are the run's, but for a player's
 * optimizer options and clipping, which a resume may change (each change
 * is printed as a note); else the first line that differs, both ways, in a
 * message (-1). */
int rundir_check_settings(const Run *r, const char *saved, const char *now);

/* The command line that continues this run: genc's own, shell-quoted,
 * with --resume instead of --restart. */
void rundir_continue_command(const RunOpts *o, char *buf, size_t n);

#endif
