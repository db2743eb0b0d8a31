// The `lifeline` binary: wiring only; everything else lives in the libraries.
#include "cli/cli.h"
#include "core/allocator.h"

int main(int argc, char** argv) {
  lifeline::core::TuneAllocatorForService();
  return lifeline::cli::Main(argc, argv);
}
