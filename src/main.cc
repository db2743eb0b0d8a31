// The `lifeline` binary: wiring only; everything else lives in the libraries.
#include "cli/cli.h"

int main(int argc, char** argv) { return lifeline::cli::Main(argc, argv); }
