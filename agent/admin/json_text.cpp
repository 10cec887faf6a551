#include "admin/json_text.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

namespace warren::admin {

void append_json_string(std::string& out, std::string_view s) {
    bool ascii = true;
    for (unsigned char c : s)
        if (c >= 0x80) {
            ascii = false;
            break;
        }
    if (!ascii) {  // rare: let nlohmann check the UTF-8
        out += nlohmann::json(std::string(s))
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        return;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (unsigned char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out += kHex[c >> 4];
                    out += kHex[c & 0xf];
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += '"';
}

void ObjectWriter::key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += k;  // keys are ours: plain ASCII
    out_ += "\":";
}

ObjectWriter& ObjectWriter::str(std::string_view k, std::string_view v) {
    key(k);
    append_json_string(out_, v);
    return *this;
}

namespace {
template <class T>
void append_number(std::string& out, T v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}
}  // namespace

ObjectWriter& ObjectWriter::num(std::string_view k, int64_t v) {
    key(k);
    append_number(out_, v);
    return *this;
}

ObjectWriter& ObjectWriter::num(std::string_view k, uint64_t v) {
    key(k);
    append_number(out_, v);
    return *this;
}

}  // namespace warren::admin
