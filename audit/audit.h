/*
 * audit.h — the audit stage: given labels and out-of-fold probabilities in,
 * confident-learning findings out, over plain structs (no argv, no printing).
 *
 *   au_opts o;  au_opts_init(&o);              // cleanlab's defaults
 *   au_input in = {.n = n, .k = k, .labels = y, .probs = p, ...};
 *   au_result r;
 *   if (au_run(&in, &o, &r, &err)) ... ;       // r is empty on failure
 *   if (au_write(&r, &in, &o, "out/", NULL, &err)) ... ;
 *   au_result_free(&r);
 *
 * au_run computes (cl_run, the bootstrap intervals, summary.json's text);
 * au_write writes the golden file set at once (temp files, then renames) or
 * nothing. au_load builds an au_input from the files `audit` takes; the
 * streamed .npy source reads ahead on a thread while cl_run works.
 * Errors: LA_EUSAGE for bad data (with file/line), LA_EINTERNAL otherwise.
 */
#ifndef LA_AUDIT_H
#define LA_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"
#include "../io/dataset.h"
#include "../io/labels.h"
#include "cl_run.h"

/* The stage's options (au_opts_init sets cleanlab's defaults). */
typedef struct au_opts {
    cl_filter      filter;            /* --filter-by (prune_by_noise_rate)          */
    cl_rank        rank;              /* --rank-by (self_confidence)                */
    double         frac_noise;        /* (0, 1] (1)                                 */
    const int64_t *remove;            /* num_to_remove_per_class: k counts or NULL;
                                         borrowed (au_remove_parse makes one)      */
    long           nmin;              /* min_examples_per_class (1)                 */
    int            corrected;         /* 1: fix reference quirks 5 and 6 (0)        */
    int            scores;            /* 1: also the five label_quality_*.csv files  */
    int            keep_rank_scores;  /* 1: r->cl.quality for every example (db)    */
    int            bootstrap;         /* resamples for the intervals, >= 1 (1000)   */
    double         confidence;        /* interval level in (0, 1) (0.95)            */
    uint64_t       seed;              /* bootstrap seed (0)                         */
    int            threads;           /* >= 1 (all cores); results do not depend on it */
    const la_collective *coll;        /* ranks sharing the rows (labelaudit-mpi), or
                                         NULL: every rank calls au_run; each reads
                                         only its rows of the probabilities; rank 0's
                                         result is one process's, byte for byte, the
                                         others' only the class-level fields, and
                                         only rank 0 writes score files          */
} au_opts;

void au_opts_init(au_opts *o);

/* A probability matrix in several .npy files (`--pred-probs 'DIR/part*.npy'`
 * or a comma-separated list): the shards concatenated in order are the
 * matrix, rows [start[s], start[s+1]) in shard s. Every shard is 2-D with
 * the same k columns. elem is the element size the reader hands cl_run:
 * numpy's np.concatenate dtype (4 when every shard is float32 or float16
 * and one is float32, else 8), so the audit equals the one on the
 * concatenated file. Owned; au_shards_free. */
typedef struct au_shards {
    size_t   n;                       /* shards, >= 1                               */
    char   **paths;                   /* n paths                                    */
    size_t  *start;                   /* n + 1 row offsets (start[n]: all rows)     */
    size_t   k;
    int      elem;                    /* 4 or 8                                     */
} au_shards;

/* Is spec a list of shards rather than one file: a glob pattern (* ? [)
 * or a comma-separated list, and not itself an existing file. */
int  au_shards_is_spec(const char *spec);
/* The paths of spec: a glob expanded with glob(3) and sorted byte-wise
 * (strcmp), or the comma-separated list in its order. *paths (n entries)
 * freed with io_free_strings. LA_EUSAGE when a glob matches nothing or a
 * list has an empty entry, naming the pattern. */
int  au_shards_paths(const char *spec, char ***paths, size_t *n, la_error *err);
/* The shards of spec as probabilities: every header read (2-D, one k, the
 * row offsets, the dtype rule above). 0 or LA_EUSAGE naming the shard. */
int  au_shards_open(const char *spec, au_shards *sh, la_error *err);
void au_shards_free(au_shards *sh);

/* What the audit reads. Everything is borrowed. Exactly one probability
 * source: probs (n x k float64 in memory, row-major), probs_npy (a 2-D
 * float32/float64 .npy of n x k, streamed in chunks with read-ahead) or
 * shards (the same over several .npy files). */
typedef struct au_input {
    size_t          n, k;
    const int32_t  *labels;           /* n given labels, each in [0, k)             */
    const double   *probs;            /* n x k, or NULL                             */
    const char     *probs_npy;        /* .npy path, or NULL                         */
    const au_shards *shards;          /* .npy shards, or NULL                       */
    char *const    *class_names;      /* k names, or NULL: "0".."k-1"               */
    char *const    *ids;              /* n ids, or NULL: the row numbers            */
    char *const    *image_paths;      /* n, or NULL (recorded in the database)      */
    /* for summary.json, the database and messages */
    const char     *probs_path;       /* pred_probs as given (required)             */
    char *const    *mean_of;          /* n_mean_of >= 2 files whose mean probs is,  */
    size_t          n_mean_of;        /* or NULL, 0; au_write then writes probs to  */
                                      /* AU_MEAN_FILE, which probs_path names       */
    const char     *labels_path;      /* label file, or NULL when from the dataset  */
    const char     *data_path;        /* dataset, or NULL                           */
    const io_load_opts *load;         /* loader options used for data_path, or NULL */
} au_input;

/* The score files, streamed during the run and committed by au_write. */
enum { AU_N_SCORES = 5 };
extern const char *const au_score_files[AU_N_SCORES];

/* The findings. Owned; free with au_result_free (safe on a zeroed struct). */
typedef struct au_result {
    cl_result      cl;                /* thresholds, joints, masks, ranking...      */
    double         ci[2];             /* error-rate interval (NAN when undefined)   */
    double        *class_ci;          /* k x 2 per-class intervals                  */
    char          *summary_json;      /* summary.json text (no final newline)       */
    char          *options_json;      /* its "options" object, one line             */
    double         seconds;           /* wall time of au_run                        */
    double         boot_seconds;      /* of which bootstrap and summary             */
    /* score files (o->scores): temp files in au_write's out_dir-to-be */
    la_atomic_file score_file[AU_N_SCORES];
    int            n_score_open;      /* score_file[0..n) are open                  */
} au_result;

/* Runs the audit. With o->scores the score files are streamed into temp
 * files under scores_dir (created if needed; normally au_write's out_dir).
 * Returns 0, or a status with err set (LA_EUSAGE: bad probabilities or
 * labels, fewer than 2 classes, a .npy not matching n x k...); on failure r
 * is freed and nothing is left on disk. */
int au_run(const au_input *in, const au_opts *o, const char *scores_dir, au_result *r, la_error *err);

/* Writes the output file set into out_dir (created if needed): thresholds,
 * confident joints, joint, priors, noise matrices (raw and converged),
 * off-diagonal and issue masks, counts and health (unless single_class),
 * class_label_quality, overlapping_classes, ranked.csv, label_issues.csv,
 * summary.json (and a copy at summary_path when not NULL), then the score
 * files (without confidence_weighted_entropy when r->cl.cwe_refused). All
 * appear together or none does (la_atomic_commit_all). 0 or a status. */
int au_write(au_result *r, const au_input *in, const au_opts *o, const char *out_dir,
             const char *summary_path, la_error *err);

void au_result_free(au_result *r);

/* --num-to-remove-per-class: "n0,n1,..." or a CSV file of K counts (header
 * `count`). *out: k malloc'd counts (caller frees). 0 or LA_EUSAGE. */
int au_remove_parse(const char *arg, size_t k, int64_t **out, la_error *err);

/* ---- inputs from files (au_source.c) ---------------------------------- */

/* The files of `labelaudit audit`. */
typedef struct au_files {
    const char *labels;               /* .npy of class indices or CSV, or NULL      */
    const char *probs;                /* .npy (streamed) or CSV (read into memory)  */
    char *const *probs_more;          /* further files to average with probs (read  */
    size_t      n_probs_more;         /* into memory), or NULL, 0                   */
    const char *mean_path;            /* with probs_more: where au_write will put   */
                                      /* the mean (OUT/AU_MEAN_FILE), the run's     */
                                      /* probability file from then on              */
    const char *data;                 /* dataset (ids, names, labels), or NULL      */
    const io_load_opts *load;         /* loader options (classes_file too)          */
} au_files;

/* An au_input read from files, owning what it points to. */
typedef struct au_loaded {
    au_input    in;
    int32_t    *y;
    io_probs    mem;
    la_dataset  ds;
    io_labels   lab;
    char      **cls_file;
    size_t      n_cls_file;
    au_shards   shards;               /* a sharded --pred-probs (in.shards)       */
    char      **mean_of;              /* averaged --pred-probs: the paths (the    */
                                      /* array owned, the strings borrowed)       */
    char      **warnings;             /* au_load's own warnings (a classes.txt    */
    size_t      n_warnings;           /* not used, rows matched by order, names    */
                                      /* trimmed in --classes); the readers' are  */
                                      /* in mem, lab and ds (.warnings)            */
} au_loaded;

/* The class list written beside probabilities (cv, retrain, audit) and read
 * from beside them when no --classes is given. */
#define AU_CLASSES_FILE "classes.txt"
/* The mean of several --pred-probs, written with the audit's files. */
#define AU_MEAN_FILE "pred_probs_mean.npy"

/* Reads the inputs like `audit` does. The class of each probability column:
 * --classes, else the probability CSV's header, else AU_CLASSES_FILE in the
 * probability file's directory (when it lists exactly k names; otherwise a
 * warning and it is not used), else the dataset's classes (when its k
 * matches: the order cv uses for it). Labels from f->labels or the dataset,
 * checked against the probabilities' shape; class names in a label file
 * against unnamed columns are refused (LA_EUSAGE saying how to give the
 * order). Dataset labels are mapped to the columns by name when the columns
 * are named. A probability CSV with ids (an `id` column) is reordered to the
 * labels' ids, else the dataset's (io_probs_reorder); with neither, rows go
 * by order, with a warning. With f->probs_more, the probabilities are the
 * element-wise mean of probs and every further file (each read into memory
 * as float64; shards are refused): all must have the same rows and k; rows
 * are matched by id when every file has ids (else by order; a mix is
 * refused), and columns by class name when a file's columns are named (its
 * CSV header or the classes.txt beside it) and the first file's are too, so
 * files written in another class order average correctly; different class
 * sets are refused. --classes names the columns of every file (no
 * matching). in.probs_path becomes f->mean_path. 0 or a status with err
 * set; free with au_loaded_free either way. */
int  au_load(const au_files *f, au_loaded *out, la_error *err);
void au_loaded_free(au_loaded *l);

/* The class list beside a probability file (AU_CLASSES_FILE in its
 * directory), when present: *names gets its *m names when it lists exactly
 * k (free with io_free_strings); a list of another length is not used and
 * gets a warning, appended (with the trim warning) to (*warnings,
 * *n_warnings). No file: 0 with *names NULL. Refused (LA_EUSAGE) as
 * io_class_names_load refuses. */
int au_classes_beside(const char *probs, size_t k, char ***names, size_t *m, char ***warnings,
                      size_t *n_warnings, la_error *err);

/* Class names from a --classes file for k columns of probs_path: *names
 * gets k malloc'd strings (io_free_strings). LA_EUSAGE when the count differs. */
int au_class_names_file(const char *path, size_t k, const char *probs_path, char ***names, la_error *err);

/* ---- synthetic noise (au_noise.c) -------------------------------------- */

typedef struct au_noise_opts {
    double   trace;                   /* trace of the noise matrix, in (1, k]       */
    double   frac_zero;               /* off-diagonal rates forced to 0, [0, 1]     */
    uint64_t seed;
    int      max_iter;                /* attempts at a valid matrix (10000)         */
} au_noise_opts;

/* Noise matrix P(given | true) with o->trace for the class priors of
 * true_labels (n in [0, k)), then noisy labels flipped by it (cl.h). nm:
 * k x k, noisy: n, both caller-allocated. *flipped: labels changed.
 * LA_EUSAGE when no valid matrix exists, LA_EINTERNAL on out of memory. */
int au_noise(const int64_t *true_labels, size_t n, size_t k, const au_noise_opts *o, const char *labels_path,
             double *nm, int64_t *noisy, size_t *flipped, la_error *err);

/* Writes noisy labels to out (.npy int64, or CSV "label" / "id,label" with
 * class names when names is not NULL), and nm to nm_path (CSV c0..ck-1)
 * when not NULL, each atomically. */
int au_noise_write(const char *out, const int64_t *noisy, size_t n, char *const *ids, char *const *names,
                   size_t n_names, const char *nm_path, const double *nm, size_t k, la_error *err);

#endif /* LA_AUDIT_H */
