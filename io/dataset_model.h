/*
 * dataset_model.h — the types of the dataset model every stage shares: the
 * loader options (io_load_opts), what a table column turned out to be, and
 * the loaded dataset itself (la_dataset). Types only: the loading entry point
 * and the functions over these types are in dataset.h; the format readers
 * include this header, not dataset.h, so the dispatcher can sit above them.
 */
#ifndef LA_IO_DATASET_MODEL_H
#define LA_IO_DATASET_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"

/* Default per-image pixel limit (--max-pixels): 64 megapixels, about an
 * 8000 x 8000 photo; refused before any pixel buffer is allocated. */
#define IO_MAX_PIXELS_DEFAULT 64000000LL

/* The id and label columns looked for when no --id-col / --label-col. */
#define IO_DEFAULT_ID_COL "id"
#define IO_DEFAULT_LABEL_COL "label"

typedef enum io_format {
    IO_FORMAT_AUTO = 0,   /* decided from the path (see io_dataset_load)      */
    IO_FORMAT_CSV,        /* CSV table: header, label column, feature columns */
    IO_FORMAT_MANIFEST,   /* CSV id,path,label with image paths               */
    IO_FORMAT_FOLDER,     /* root/<class>/<file> images                       */
    IO_FORMAT_IDX,        /* MNIST-style IDX images + labels (gz or plain)    */
    IO_FORMAT_NPY         /* features .npy (labels from --npy-labels)         */
} io_format;

typedef enum io_missing { IO_MISSING_ERROR = 0, IO_MISSING_MEAN, IO_MISSING_ZERO } io_missing;

/* Loader options, shared by every command that takes a dataset. */
typedef struct io_load_opts {
    io_format   format;          /* IO_FORMAT_AUTO unless --format-in given     */
    const char *label_col;       /* default "label"                             */
    const char *id_col;          /* default "id"; absent column = row number    */
    const char *features;        /* CSV list of columns, NULL = all others      */
    io_missing  missing;         /* --missing error|mean|zero                   */
    const char *classes_file;    /* --classes FILE: one class name per line     */
    const char *idx_labels;      /* --idx-labels FILE                           */
    int         image_w, image_h;/* --image-size WxH; 0 = native (must agree)   */
    int         channels;        /* 1 gray (default) or 3 rgb (--rgb)           */
    long long   max_pixels;      /* per image, checked before decoding          */
                                 /* (IO_MAX_PIXELS_DEFAULT)                     */
    int         allow_outside_root; /* manifests may point outside their dir    */
    int         no_features;     /* images: keep paths only, skip decoding      */
    const char *npy_labels;      /* --npy-labels FILE: labels of a .npy dataset */
    la_progress *progress;       /* optional: the loader sets ->total when it   */
                                 /* knows N and updates it per example; the     */
                                 /* command starts and finishes it (NULL = none) */
} io_load_opts;

/* What a table column turned out to be (CSV tables only). */
typedef enum io_col_type {
    IO_COL_NUMERIC = 0,   /* every non-missing value is a number: 1 feature */
    IO_COL_CATEGORICAL,   /* string values: one-hot, one feature per value  */
    IO_COL_ID,            /* the id column                                  */
    IO_COL_LABEL,         /* the label column                               */
    IO_COL_UNUSED         /* not in --features                              */
} io_col_type;

typedef struct io_column {
    char       *name;         /* header text                                */
    io_col_type type;
    size_t      n_missing;    /* empty cells                                */
    size_t      n_categories; /* categorical: distinct values               */
    char      **categories;   /* categorical: the values, sorted byte-wise; */
                              /* feature feat0 + j is "name=categories[j]"  */
    size_t      feat0;        /* first feature index of this column         */
} io_column;

/* One native image size met while loading, with how many images had it. */
typedef struct io_image_size { int w, h; size_t count; } io_image_size;

typedef struct la_dataset {
    char     *path;           /* what was loaded (as given)                     */
    io_format format;         /* the format actually used                       */
    size_t    n;              /* examples                                       */
    size_t    d;              /* feature columns (0 when no features)           */
    size_t    k;              /* classes                                        */
    char    **class_names;    /* k names, index = label                         */
    char    **ids;            /* n ids (strings; row number when none given)    */
    int32_t  *labels;         /* n given labels in 0..k-1                       */
    float    *features;       /* n x d row-major, one allocation, or NULL       */
    char    **feature_names;  /* d names (one-hot columns as "col=value")       */
    int32_t  *feature_source; /* d: index of the source column a feature came from */
    uint8_t  *feature_onehot; /* d: 1 when the feature is a one-hot indicator   */
    char    **image_paths;    /* n resolved image paths, or NULL                */
    char     *root;           /* directory image paths are relative to, or NULL */
    int       image_w, image_h, channels; /* feature image shape, 0 if not images */
    size_t    n_missing;      /* cells that were missing (filled by --missing)  */
    size_t    n_columns;      /* CSV tables: every header column, else 0        */
    io_column *columns;       /* n_columns entries, in file order               */
    size_t    n_image_sizes;  /* images: distinct native sizes seen             */
    io_image_size *image_sizes;
    size_t    n_warnings;     /* things the loader accepted but the user should */
    char    **warnings;       /* know (labels trimmed, a column taken as the id, */
                              /* a categorical column with very many levels):   */
                              /* one sentence each, "FILE: ..." without a final */
                              /* newline; commands print them (library code     */
                              /* never prints). Freed by io_dataset_free.       */
} la_dataset;

/* Every pointer in la_dataset is its own malloc block (ids[i], class_names[i],
 * feature_names[i] each separately), so code that builds or subsets a dataset
 * by hand can still release it with io_dataset_free (dataset.h). */

#endif
