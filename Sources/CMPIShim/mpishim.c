#include "mpishim.h"
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Open MPI's handles are pointers to its predefined objects: MPI_COMM_WORLD is
// &ompi_mpi_comm_world, MPI_FLOAT is &ompi_mpi_float, and so on (mpi.h's OMPI_PREDEFINED_GLOBAL).
// So dlsym() of those symbols yields the handles without the header. This is Open MPI's ABI
// (libmpi.so.40, stable across 3.x-4.x); other MPI libraries spell handles differently.
typedef void *handle;
typedef int (*init_thread_fn)(int *, char ***, int, int *);
typedef int (*comm_int_fn)(handle, int *);
typedef int (*allreduce_fn)(const void *, void *, int, handle, handle, handle);
typedef int (*bcast_fn)(void *, int, handle, int, handle);
typedef int (*barrier_fn)(handle);
typedef int (*dup_fn)(handle, handle *);
typedef int (*void_fn)(void);
typedef int (*abort_fn)(handle, int);
typedef int (*version_fn)(char *, int *);

static struct {
    init_thread_fn init_thread;
    comm_int_fn rank, size;
    allreduce_fn allreduce;
    bcast_fn bcast;
    barrier_fn barrier;
    dup_fn dup;
    void_fn finalize;
    abort_fn abort;
    version_fn version;
    handle world, in_place, float_type, double_type, byte_type, sum, max;
    int thread_level;
    handle channels[8];
    int channel_count;
    char version_text[256];
} mpi;

int mpishim_started_by_mpirun(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL || getenv("PMIX_RANK") != NULL;
}

static int lookup(void *library, const char *name, void **into, char *error, size_t capacity) {
    *into = dlsym(library, name);
    if (*into == NULL) {
        snprintf(error, capacity, "libmpi.so.40 has no symbol %s: is this Open MPI 3.x-4.x?", name);
        return 1;
    }
    return 0;
}

int mpishim_initialize(char *error, size_t capacity) {
    // hwloc's GL plugin probes X displays :0, :1, ... down to TCP ports 6000 + n, and waits for
    // ever on a server there that is not X (TensorBoard listens on 6006). No rank needs GPUs' X.
    setenv("HWLOC_COMPONENTS", "-gl", 0);
    // RTLD_GLOBAL: Open MPI dlopen()s its own components, which expect libmpi's symbols global.
    void *library = dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL);
    if (library == NULL) {
        snprintf(error, capacity, "started by mpirun, but Open MPI's library cannot be loaded (%s); "
                 "install it with: apt-get install openmpi-bin", dlerror());
        return 1;
    }
    struct { const char *name; void **into; } symbols[] = {
        {"MPI_Init_thread", (void **)&mpi.init_thread}, {"MPI_Comm_rank", (void **)&mpi.rank},
        {"MPI_Comm_size", (void **)&mpi.size}, {"MPI_Allreduce", (void **)&mpi.allreduce},
        {"MPI_Bcast", (void **)&mpi.bcast}, {"MPI_Barrier", (void **)&mpi.barrier},
        {"MPI_Finalize", (void **)&mpi.finalize}, {"MPI_Abort", (void **)&mpi.abort},
        {"MPI_Get_library_version", (void **)&mpi.version}, {"MPI_Comm_dup", (void **)&mpi.dup},
        {"ompi_mpi_comm_world", &mpi.world}, {"ompi_mpi_float", &mpi.float_type},
        {"ompi_mpi_double", &mpi.double_type}, {"ompi_mpi_byte", &mpi.byte_type},
        {"ompi_mpi_op_sum", &mpi.sum}, {"ompi_mpi_op_max", &mpi.max},
    };
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        if (lookup(library, symbols[i].name, symbols[i].into, error, capacity)) return 1;
    }
    mpi.in_place = (handle)1;  // MPI_IN_PLACE is ((void *) 1) in Open MPI's mpi.h
    int rc = mpi.init_thread(NULL, NULL, 3 /* MPI_THREAD_MULTIPLE */, &mpi.thread_level);
    if (rc != 0) {
        snprintf(error, capacity, "MPI_Init_thread failed with error %d", rc);
        return rc;
    }
    int length = 0;
    mpi.version(mpi.version_text, &length);
    mpi.channels[0] = mpi.world;
    mpi.channel_count = 1;
    return 0;
}

int mpishim_thread_level(void) { return mpi.thread_level; }

int mpishim_rank(void) {
    int r = 0;
    mpi.rank(mpi.world, &r);
    return r;
}

int mpishim_size(void) {
    int n = 1;
    mpi.size(mpi.world, &n);
    return n;
}

int mpishim_duplicate_world(void) {
    if (mpi.channel_count == sizeof mpi.channels / sizeof mpi.channels[0]) return -1;
    if (mpi.dup(mpi.world, &mpi.channels[mpi.channel_count]) != 0) return -1;
    return mpi.channel_count++;
}

// MPI counts are int: longer buffers go in chunks of at most 2^30 elements.
static int allreduce_chunks(int channel, char *data, size_t count, size_t element, handle type, handle op) {
    const size_t chunk = (size_t)1 << 30;
    for (size_t done = 0; done < count; done += chunk) {
        size_t n = count - done < chunk ? count - done : chunk;
        int rc = mpi.allreduce(mpi.in_place, data + done * element, (int)n, type, op, mpi.channels[channel]);
        if (rc != 0) return rc;
    }
    return 0;
}

int mpishim_allreduce_sum_float(int channel, float *data, size_t count) {
    return allreduce_chunks(channel, (char *)data, count, sizeof(float), mpi.float_type, mpi.sum);
}

int mpishim_allreduce_sum_double(int channel, double *data, size_t count) {
    return allreduce_chunks(channel, (char *)data, count, sizeof(double), mpi.double_type, mpi.sum);
}

int mpishim_allreduce_max_double(int channel, double *data, size_t count) {
    return allreduce_chunks(channel, (char *)data, count, sizeof(double), mpi.double_type, mpi.max);
}

int mpishim_broadcast(int channel, void *data, size_t bytes, int root) {
    const size_t chunk = (size_t)1 << 30;
    for (size_t done = 0; done < bytes; done += chunk) {
        size_t n = bytes - done < chunk ? bytes - done : chunk;
        int rc = mpi.bcast((char *)data + done, (int)n, mpi.byte_type, root, mpi.channels[channel]);
        if (rc != 0) return rc;
    }
    return 0;
}

int mpishim_barrier(int channel) { return mpi.barrier(mpi.channels[channel]); }
int mpishim_finalize(void) { return mpi.finalize(); }
void mpishim_abort(int code) {
    mpi.abort(mpi.world, code);
    _Exit(code);
}
const char *mpishim_library_version(void) { return mpi.version_text; }
