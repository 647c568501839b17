/*
 * commands.h — every subcommand's entry point. Each lives next to the module
 * it drives (io/cmd_inspect.c, audit/cmd_audit.c, ...); main.c dispatches.
 */
#ifndef LA_COMMANDS_H
#define LA_COMMANDS_H

int cmd_inspect(int argc, char **argv);    /* io/cmd_inspect.c        */
int cmd_audit(int argc, char **argv);      /* audit/cmd_audit.c       */
int cmd_noise(int argc, char **argv);      /* audit/cmd_noise.c       */
int cmd_cv(int argc, char **argv);         /* cv/cmd_cv.c             */
int cmd_metrics(int argc, char **argv);    /* cv/cmd_metrics.c        */
int cmd_report(int argc, char **argv);     /* report/cmd_report.c     */
int cmd_serve(int argc, char **argv);      /* report/cmd_serve.c      */
int cmd_review(int argc, char **argv);     /* report/cmd_review.c     */
int cmd_decisions(int argc, char **argv);  /* db/cmd_decisions.c      */
int cmd_clean(int argc, char **argv);      /* cv/cmd_clean.c          */
int cmd_retrain(int argc, char **argv);    /* cv/cmd_retrain.c        */
int cmd_check(int argc, char **argv);      /* audit/cmd_check.c       */
int cmd_consensus(int argc, char **argv);  /* cli/cmd_consensus.c     */

#endif
