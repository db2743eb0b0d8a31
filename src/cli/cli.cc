// Subcommand dispatch for `lifeline`.
#include "cli/cli.h"

namespace lifeline::cli {

int Main(int, char**) { return 0; }

}  // namespace lifeline::cli
