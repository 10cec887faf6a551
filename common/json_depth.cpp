#include "warren/json_depth.hpp"

#include <string>

namespace warren {

// Strings are tracked exactly as a JSON lexer does (a backslash escapes the next byte), so a
// bracket inside a string is never counted, for any prefix a parser would accept.
Status check_json_depth(std::string_view text, size_t max_depth) {
    size_t depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth)
                return fail(Code::decode, "JSON nested deeper than " + std::to_string(max_depth) +
                                              " levels at byte " + std::to_string(i));
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return {};
}

}  // namespace warren
