#pragma once
// The nesting limit for every JSON document warren reads: request frames, queued DELs, the
// agent's answers, CNI network configs and the agent's config file.
//
// nlohmann's parser keeps its own stack, but copying, comparing, dumping and most conversions
// of a value recurse once per level: a document 100,000 levels deep overflows the thread's
// stack. check_json_depth() scans the text once, without recursion, before it is parsed.
#include <cstddef>
#include <string_view>

#include "warren/error.hpp"

namespace warren {

// Legitimate inputs stay far below: host-local `ranges` nest 3 levels, a CNI config with a
// prevResult about 5.
inline constexpr size_t kMaxJsonDepth = 64;

// Counts '[' and '{' outside strings. Errors (Code::decode): "JSON nested deeper than 64 levels
// at byte N", N the offset (from 0) of the bracket that opens one level too many. Says nothing
// else about the text; malformed JSON is left to the parser.
Status check_json_depth(std::string_view text, size_t max_depth = kMaxJsonDepth);

}  // namespace warren
