// The prober settings a configuration asks for: one mapping shared by `lifeline agent`, `check`
// and `serve`, so a new probe setting in the config reaches all three.
#pragma once

#include "config/config.h"
#include "probe/probe.h"

namespace lifeline::agent {

probe::Options ProbeOptionsFor(const config::Config& config);

}  // namespace lifeline::agent
