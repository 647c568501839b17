/*
 * mp_coll.h — la_collective (util/la_coll.h) over MPI_COMM_WORLD: the only
 * code that includes mpi.h, compiled only by `make mpi` (-DLA_MPI). Not part
 * of the library: the stages see the function pointers, never MPI.
 */
#ifndef LA_MP_COLL_H
#define LA_MP_COLL_H

#include "../util/la_coll.h"

/* Fills *c for MPI_COMM_WORLD (MPI_Init must have run). Cannot fail. */
void mp_coll_init(la_collective *c);

/* 1 once a failure was agreed by every rank (la_coll_agree): the ranks end
 * together; 0 means a failure on this rank alone must abort the job. */
int mp_coll_agreed_failure(void);

#endif
