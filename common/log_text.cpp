#include "warren/log_text.hpp"

namespace warren {

std::string log_text(std::string_view s, size_t max_bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    const std::string_view shown = s.substr(0, max_bytes);
    std::string out;
    out.reserve(shown.size() + 16);
    for (char ch : shown) {
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += ch;
        } else if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        }
    }
    if (shown.size() < s.size())
        out += "...(" + std::to_string(s.size() - shown.size()) + " more bytes)";
    return out;
}

}  // namespace warren
