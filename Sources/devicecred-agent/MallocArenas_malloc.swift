internal import CDeviceCredentialMalloc
import Glibc

/// Keeps the agent's heap in one malloc arena. glibc gives threads that allocate at the same moment
/// arenas of their own (up to eight per core), and each arena keeps the memory freed into it; the agent's
/// handful of threads are idle between polls and never contend for the allocator, so the extra arenas
/// only cost resident memory: 0.7 MB of the agent's 4.7 MB private memory in `make bench`.
enum MallocArenas {
    /// Call before the first thread starts. An administrator's `MALLOC_ARENA_MAX` still wins.
    static func limitToOne() {
        guard getenv("MALLOC_ARENA_MAX") == nil else { return }
        _ = mallopt(M_ARENA_MAX, 1)
    }
}
