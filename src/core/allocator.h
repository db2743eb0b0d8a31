// The process's allocator settings for a long-running service (`lifeline serve`, the agent).
#pragma once

namespace lifeline::core {

// glibc gives freed heap back to the kernel as soon as more than 128 KiB sits free at the top of
// an arena (M_TRIM_THRESHOLD). The relay's step loop and workers allocate and free a batch's
// messages hundreds of times a second, so every step paid an madvise, a TLB shootdown across
// cores (expensive in a VM) and the page faults to get the memory back: bench/relay_load measured
// the relay 2-5x slower with the default. Keeping up to 64 MiB free per arena (and serving
// blocks up to 4 MiB from the heap rather than fresh mmaps) removes that churn; the memory stays
// reusable by the process, and RSS stays bounded by the peak of live data plus that slack.
// Call once, first thing in main. Does nothing on a C library without mallopt.
void TuneAllocatorForService();

}  // namespace lifeline::core
