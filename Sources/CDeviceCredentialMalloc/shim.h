// glibc's allocator statistics (mallinfo2) and tuning (mallopt), which Swift's Glibc module leaves out:
// poll-memory-probe reads the bytes the process has allocated, exactly, to tell a leak from allocator
// noise; the agent keeps its heap in one arena.
#ifndef C_DEVICE_CREDENTIAL_MALLOC_SHIM_H
#define C_DEVICE_CREDENTIAL_MALLOC_SHIM_H

#include <malloc.h>

#endif
