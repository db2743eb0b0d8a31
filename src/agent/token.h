// The agent's bearer token: read from a file on both sides of the protocol and compared in
// constant time by the agent. Token values never appear in messages or logs.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace lifeline::agent {

// Reads the token in `path`, without trailing whitespace (the newline editors add). Errors:
// "cannot read token file PATH: No such file or directory", "token file PATH is empty", or a
// token with whitespace or control characters inside (it must fit in one header line).
core::Result<std::string> ReadTokenFile(const std::string& path);

// True when `given` equals `expected`. Takes the same time for every `given` of any length: the
// comparison always runs over expected.size() bytes and the length check does not exit early.
bool TokenEquals(std::string_view expected, std::string_view given);

}  // namespace lifeline::agent
