"""Give back to the operating system what a step's libraries allocated and no longer use.

`cdp run` executes every step in one process, and dbt's build runs in a child of it: whatever the
in-process steps keep resident adds to the build's own peak. Ingestion leaves most of its
memory behind after it returns: dlt's pipeline objects sit in reference cycles until the next
garbage collection, holding Arrow buffers (400 MB at M), and both Arrow's allocator (mimalloc)
and glibc's arenas keep freed pages mapped for reuse. None of that is reused by the later steps,
which run in DuckDB or in the dbt child.
"""

import ctypes
import ctypes.util
import gc


def release_unused_memory() -> None:
    """Collect unreachable objects, then return the freed pages of Arrow's pool and of glibc's
    heap (malloc_trim exists on glibc only; elsewhere that part is skipped)."""
    import pyarrow

    gc.collect()
    pyarrow.default_memory_pool().release_unused()
    libc_name = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(libc_name), "malloc_trim", None) if libc_name else None
    if trim is not None:
        trim(0)
