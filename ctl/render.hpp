#pragma once
// Text for people: aligned tables, durations ("3m12s"), ages ("12s ago", "-" for never),
// wall-clock times, sizes. Pure functions of their inputs (the caller passes "now").
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace warren::ctl {

using nlohmann::json;

// Columns separated by two spaces, each as wide as its widest cell (the last is not padded),
// header row first. Widths count bytes: cells are expected to be ASCII.
class Table {
  public:
    explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    bool empty() const { return rows_.empty(); }
    std::string str() const;

  private:
    std::vector<std::string> header_;
    std::vector<std::vector<std::string>> rows_;
};

// "0s", "45s", "3m12s", "2h05m", "3d04h"; negative values count as 0.
std::string format_duration(int64_t seconds);
// "~45s", "~12m", "~3h", "~2d": the nearest whole unit, for forecasts.
std::string format_rough_duration(int64_t seconds);
// "12s ago" from wall-clock nanoseconds; "-" for 0 (never) or a negative time; "0s ago" for a
// time ahead of now.
std::string format_age(int64_t then_ns, int64_t now_ns);
// "2026-11-30 20:41:02 UTC"; "-" for 0.
std::string format_time(int64_t ns);
// "0.4 ms", "12 ms", "1.25 s".
std::string format_ms(double ms);
// "512 B", "56.8 KiB", "3.1 MiB".
std::string format_bytes(uint64_t bytes);
// "4.7%" of a 0..1 fraction.
std::string format_percent(double fraction);

// A JSON value as a cell: strings as they are, numbers and booleans as text, null or missing
// (j[key] absent) as "-", empty strings as "-".
std::string cell(const json& j);
std::string cell(const json& object, std::string_view key);
// `object`'s list or object member by reference (results can be large: no copies); an empty
// list or object when the member is missing or of another type.
const json& list(const json& object, std::string_view key);
const json& object_at(const json& object, std::string_view key);
// A container ID cut to 12 characters, as the tables show it (64 hex digits are usually
// unique in the first 12; `show` takes a unique prefix); "-" when empty or missing.
std::string short_id(const json& object, std::string_view key);
// A number (or a numeric string, as pool sizes above 2^53 are sent) as int64; 0 when neither
// or out of int64's range.
int64_t as_int(const json& object, std::string_view key);

// "label         value" lines under an indented block, labels padded to one width.
std::string fields(const std::vector<std::pair<std::string, std::string>>& rows,
                   std::string_view indent = "  ");

}  // namespace warren::ctl
