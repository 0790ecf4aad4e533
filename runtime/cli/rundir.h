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
 * run may go on, with the message printed when not. Deletes nothing: a
 * --restart that may go on calls rundir_restart once the run is ready. */
int rundir_claim(Run *r, bool resume, bool restart);

/* Deletes genc's files in the claimed folder (--restart): 0, or -1 with a
 * message. */
int rundir_restart(const Run *r);

/* The settings a run's result depends on besides the model's weights, a
 * line each: the model's hash, the data (its files' folder, made absolute,
 * the split, the range and how many examples), the noise, batch, seed, and
 * each phase's optimizer, its step ratio and clipping. Not the epochs or
 * --steps (a run may be made longer), nor the threads. The caller frees. */
char *rundir_settings(const Run *r, const DataSet *ds);

/* --resume, before the model is compiled: the train settings the command
 * line of the checkpoint at r->ckpt gave (r->recalled) and its --data
 * (r->data_dir). Nothing when it cannot be read: loading it says why. */
void rundir_recall(Run *r);

/* What r's checkpoints record of the command line: the recalled settings,
 * then now[0..nnow), without those a later one replaces, and the data
 * folder, made absolute. */
void rundir_record(Run *r, const char *const *now, int nnow);

/* Frees what the functions here gave r. */
void rundir_free(Run *r);

/* --resume, with the folder claimed (so that no other run writes the
 * checkpoint meanwhile): an exit status, 0 when the checkpoint's settings
 * are the run's (r->settings), but for a player's optimizer numbers and
 * clipping, which a resume may change (each change printed as a note);
 * else the first line that differs, both ways, in a message. A checkpoint
 * of genc 0.1.0 has no settings and passes; one that cannot be read
 * passes too, for loading it to say why. */
int rundir_check_resume(const Run *r);

/* The command line that continues this run: genc's own, shell-quoted,
 * with --resume instead of --restart. The caller frees. */
char *rundir_continue_command(const RunOpts *o);

#endif
