// glibc's allocator statistics (mallinfo2), which Swift's Glibc module leaves out: poll-memory-probe
// reads the bytes the process has allocated, exactly, to tell a leak from allocator noise.
#ifndef C_DEVICE_CREDENTIAL_MALLOC_SHIM_H
#define C_DEVICE_CREDENTIAL_MALLOC_SHIM_H

#include <malloc.h>

#endif
