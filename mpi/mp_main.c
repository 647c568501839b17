/*
 * mp_main.c — the entry point of labelaudit-mpi (make mpi): MPI_Init, the
 * MPI collective registered as the process's la_coll_world(), then the same
 * command dispatcher as labelaudit (cli/main.c, compiled as la_cli_main).
 *
 * Rank 0 speaks: the other ranks' stdout goes to /dev/null and their stderr
 * to a temp file, shown (prefixed with the rank) only when that rank fails
 * on its own. A failure every rank agreed on (la_coll_agree) ends all ranks
 * with the same exit status and rank 0's message; a failure on one rank
 * alone (it could not reach the next collective) aborts the whole job with
 * MPI_Abort, so no rank waits forever. Outputs are written by rank 0 only,
 * with the stages' temp-file-and-rename commits: nothing is half-written.
 */
#include "mp_coll.h"

#include <mpi.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int la_cli_main(int argc, char **argv);

/* Non-root output: stdout to /dev/null, stderr to a temp file. Returns a
 * duplicate of the real stderr (or -1). */
static int mp_quiet(FILE **captured)
{
    int real = dup(2);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) { fflush(stdout); dup2(null, 1); close(null); }
    *captured = tmpfile();
    if (*captured) { fflush(stderr); dup2(fileno(*captured), 2); }
    return real;
}

/* This rank failed alone: its messages to the real stderr, then the job ends. */
static void mp_fail_alone(int rank, int size, int rc, FILE *captured, int real)
{
    fflush(stderr);
    if (captured && real >= 0) {
        char line[2048];
        rewind(captured);
        while (fgets(line, sizeof line, captured)) dprintf(real, "[rank %d] %s", rank, line);
    }
    dprintf(real >= 0 ? real : 2, "labelaudit-mpi: rank %d of %d failed (exit %d); ending every rank\n", rank, size, rc);
    MPI_Abort(MPI_COMM_WORLD, rc);
}

int main(int argc, char **argv)
{
    int provided;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "labelaudit-mpi: MPI_Init failed\n");
        return 3;
    }
    la_collective coll;
    mp_coll_init(&coll);
    la_coll_set_world(&coll);
    FILE *captured = NULL;
    int real = coll.rank == 0 ? dup(2) : mp_quiet(&captured);
    int rc = la_cli_main(argc, argv);
    fflush(stdout);
    fflush(stderr);
    if (rc != 0 && rc != 1 && !mp_coll_agreed_failure() && coll.size > 1)
        mp_fail_alone(coll.rank, coll.size, rc, coll.rank ? captured : NULL, real);
    if (captured) fclose(captured);
    la_coll_set_world(NULL);
    MPI_Finalize();
    return rc;
}
