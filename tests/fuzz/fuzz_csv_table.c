/*
 * fuzz_csv_table.c — libFuzzer target for CSV tables (io/csv_table.h): the
 * strict record reader, the header helper and the full table loader (type
 * inference, one-hot columns, missing values filled by mean). The input is
 * the CSV file itself.
 */
#include "fuzz_common.h"
#include "../../io/csv_table.h"
#include "../../io/dataset.h"

static int count_record(void *ctx, long line, size_t nf, char **fields, const size_t *lens, la_error *err)
{
    size_t *n = ctx;
    for (size_t i = 0; i < nf; i++) *n += lens[i] + (fields[i][0] != 0);
    return *n > (1u << 24) ? IO_CSV_STOP : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    fz_write("table.csv", data, size, path, sizeof path);
    la_error err;
    la_error_clear(&err);
    size_t total = 0;
    io_csv_read(path, count_record, &total, &err);

    char **names = NULL;
    size_t nn = 0;
    la_error_clear(&err);
    if (io_csv_header(path, &names, &nn, &err) == 0) {
        for (size_t i = 0; i < nn; i++) free(names[i]);
        free(names);
    }

    for (int mode = 0; mode < 2; mode++) {
        io_load_opts opts;
        io_load_opts_init(&opts);
        opts.missing = mode ? IO_MISSING_MEAN : IO_MISSING_ERROR;
        la_dataset ds;
        memset(&ds, 0, sizeof ds);
        la_error_clear(&err);
        opts.format = IO_FORMAT_CSV;
        if (io_dataset_load(path, &opts, &ds, &err) == 0) io_dataset_free(&ds);
    }
    return 0;
}
