/*
 * serve_next.h — what a reviewer of a several-reviewer session sees next
 * (serve / review --next active-learning): cleanlab 2.9.0's
 * get_active_learning_scores(labels_multiannotator, pred_probs,
 * pred_probs_unlabeled) over the answers given so far, queue rows nobody
 * has labelled yet being the "unlabeled" examples. Lower score = less sure
 * of the true label = review first (cleanlab: "examples with the lowest
 * scores are those we should label next"). Scores are recomputed whenever an
 * answer is given or undone (db_reviews_stamp changes).
 * Not here: the hiding rule and the answers themselves (db/db_reviews.h).
 */
#ifndef LA_SERVE_NEXT_H
#define LA_SERVE_NEXT_H

#include <stddef.h>
#include <stdint.h>
#include "../db/db.h"
#include "../db/db_reviews.h"

/* get_active_learning_scores for n examples (labels n x m, CS_MISSING where
 * annotator j gave no label; probs n x k): a row with at least one label is
 * scored as a labelled example, a row without any as an unlabeled one
 * (pred_probs_unlabeled), in one call, as cleanlab does:
 *   no labelled row:        t = 1, w_model = 1, mean w = 1
 *   each labelled row has one label: majority vote, q_i = p_i[label],
 *                           t = 1, w_model = 1, every w_j = 1
 *   else:                   t = find_best_temp_scaler, P' = temp_scale(P, t),
 *                           CROWDLAB on P': q_i, w_model, w_j
 *   labelled:   s_i = (q_i W_i + (1/K) mean_j w_j) / (W_i + mean_j w_j),
 *               W_i = w_model + SUM_{j labelled i} w_j
 *   unlabeled:  s_i = (max_c P'_ic w_model + (1/K) mean_j w_j) / (w_model + mean_j w_j)
 * Columns with no label are ignored. score: n. Returns 0, or LA_EINTERNAL
 * (out of memory) / LA_EUSAGE (the consensus stage refused) with err. */
int srv_next_activelab(const int32_t *labels, size_t n, size_t m, const double *probs, size_t k, double *score,
                       la_error *err);

typedef struct srv_next srv_next;

/* Loads the probabilities of run `run` (probs_path, NULL = the run's own
 * file; rows matched to the run's ids when the file has ids, else one row
 * per example in order). LA_EUSAGE naming the file when it is missing, of
 * another shape, or not probabilities. Free with srv_next_close. */
int  srv_next_open(sqlite3 *db, const db_run *run, const char *probs_path, srv_next **out, la_error *err);
void srv_next_close(srv_next *nx);

/* Brings the scores of every queue row of the run up to date with the
 * answers in the database (recomputed only when they changed). 0 or a
 * status with err. */
int srv_next_refresh(srv_next *nx, sqlite3 *db, la_error *err);

/* The score of queue row qid after srv_next_refresh (NAN when unknown). */
double srv_next_score(const srv_next *nx, int64_t qid);

/* How many times the scores were computed (for tests and the banner). */
int64_t srv_next_computed(const srv_next *nx);

/* The order a reviewer works in, as indices into view->items: first the
 * rows still to answer (own status pending, fewer than per_item answers),
 * then own skips of such rows (later), each group by score when nx is not
 * NULL (lowest first, ties by rank), else by rank; the rest (answered by
 * this reviewer, or done) after them in rank order. *order malloc'd
 * (view->items.n entries), *todo = the size of the first group. */
int srv_next_order(const srv_next *nx, const db_review_view *view, int64_t per_item, size_t **order,
                   size_t *todo, la_error *err);

#endif
