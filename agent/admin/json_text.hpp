#pragma once
// Writing JSON text directly, for answers too large to build as nlohmann::json values first
// ("list" over 10,000 allocations: one string instead of 140,000 map nodes).
#include <cstdint>
#include <string>
#include <string_view>

namespace warren::admin {

// `s` as a JSON string literal; bytes that are not valid UTF-8 become U+FFFD, as
// nlohmann::json's dump with error_handler_t::replace writes them.
void append_json_string(std::string& out, std::string_view s);

// Writes one JSON object member by member: {"key":value,...}; close() ends it.
class ObjectWriter {
  public:
    explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
    ObjectWriter& str(std::string_view key, std::string_view value);
    ObjectWriter& num(std::string_view key, int64_t value);
    ObjectWriter& num(std::string_view key, uint64_t value);
    void close() { out_ += '}'; }

  private:
    void key(std::string_view k);
    std::string& out_;
    bool first_ = true;
};

}  // namespace warren::admin
