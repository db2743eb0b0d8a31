// The `lifeline` command line: parses arguments and runs a subcommand. Returns the exit code.
#pragma once

namespace lifeline::cli {

int Main(int argc, char** argv);

}  // namespace lifeline::cli
