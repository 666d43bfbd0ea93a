#ifndef MPISHIM_H
#define MPISHIM_H
// Open MPI, loaded at run time: the default build links nothing of MPI and needs no MPI
// headers, and a process not started by mpirun never touches libmpi. The header therefore
// shows no MPI types; every call returns 0 on success or an MPI error code.
#include <stddef.h>

/// Whether this process was started by Open MPI's mpirun (it sets OMPI_COMM_WORLD_SIZE or PMIX_RANK).
int mpishim_started_by_mpirun(void);
/// dlopen()s libmpi.so.40, looks up the calls and handles below, and runs MPI_Init_thread asking
/// for MPI_THREAD_MULTIPLE (a communication thread and a watchdog call MPI beside the main thread).
/// On failure writes a message into `error` and returns non-zero.
int mpishim_initialize(char *error, size_t capacity);
/// The thread level MPI granted (3: MPI_THREAD_MULTIPLE).
int mpishim_thread_level(void);
int mpishim_rank(void);
int mpishim_size(void);
/// A copy of MPI_COMM_WORLD (MPI_Comm_dup) for collectives issued from another thread: ranks
/// must call the collectives of one communicator in one order, which two threads cannot
/// promise. Returns the channel number the calls below take (0 is MPI_COMM_WORLD), or -1.
int mpishim_duplicate_world(void);
/// In-place sums over all ranks.
int mpishim_allreduce_sum_float(int channel, float *data, size_t count);
int mpishim_allreduce_sum_double(int channel, double *data, size_t count);
/// In-place maximum over all ranks.
int mpishim_allreduce_max_double(int channel, double *data, size_t count);
int mpishim_broadcast(int channel, void *data, size_t bytes, int root);
int mpishim_barrier(int channel);
int mpishim_finalize(void);
/// Ends every rank of the job (MPI_Abort); does not return.
void mpishim_abort(int code);
/// The MPI library's own version string ("Open MPI v4.1.4, ...").
const char *mpishim_library_version(void);
#endif
