#include "render.hpp"

#include <time.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>

namespace warren::ctl {

std::string Table::str() const {
    std::vector<size_t> width(header_.size(), 0);
    auto measure = [&](const std::vector<std::string>& row) {
        if (row.size() > width.size()) width.resize(row.size(), 0);
        for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    };
    measure(header_);
    for (auto& r : rows_) measure(r);
    auto line = [&](const std::vector<std::string>& row) {
        std::string out;
        for (size_t i = 0; i < row.size(); ++i) {
            out += row[i];
            if (i + 1 < row.size()) out.append(width[i] - row[i].size() + 2, ' ');
        }
        while (!out.empty() && out.back() == ' ') out.pop_back();
        return out + "\n";
    };
    std::string out = line(header_);
    for (auto& r : rows_) out += line(r);
    return out;
}

std::string format_duration(int64_t s) {
    if (s < 0) s = 0;
    char buf[32];
    if (s < 60) {
        std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
    } else if (s < 3600) {
        std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60),
                      static_cast<long long>(s % 60));
    } else if (s < 86400) {
        std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600),
                      static_cast<long long>(s % 3600 / 60));
    } else {
        std::snprintf(buf, sizeof buf, "%lldd%02lldh", static_cast<long long>(s / 86400),
                      static_cast<long long>(s % 86400 / 3600));
    }
    return buf;
}

std::string format_rough_duration(int64_t s) {
    if (s < 0) s = 0;
    auto round_div = [](int64_t v, int64_t unit) { return (v + unit / 2) / unit; };
    if (s < 90) return "~" + std::to_string(s) + "s";
    if (s < 90 * 60) return "~" + std::to_string(round_div(s, 60)) + "m";
    if (s < 48 * 3600) return "~" + std::to_string(round_div(s, 3600)) + "h";
    return "~" + std::to_string(round_div(s, 86400)) + "d";
}

std::string format_age(int64_t then_ns, int64_t now_ns) {
    if (then_ns <= 0) return "-";
    return format_duration((now_ns - then_ns) / 1'000'000'000) + " ago";
}

std::string format_time(int64_t ns) {
    if (ns == 0) return "-";
    time_t t = static_cast<time_t>(ns / 1'000'000'000);
    tm utc{};
    ::gmtime_r(&t, &utc);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &utc);
    return buf;
}

std::string format_ms(double ms) {
    char buf[32];
    if (ms < 10)
        std::snprintf(buf, sizeof buf, "%.1f ms", ms);
    else if (ms < 1000)
        std::snprintf(buf, sizeof buf, "%.0f ms", ms);
    else
        std::snprintf(buf, sizeof buf, "%.2f s", ms / 1000);
    return buf;
}

std::string format_bytes(uint64_t bytes) {
    if (bytes < 1024) return std::to_string(bytes) + " B";
    const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes);
    int u = -1;
    while (v >= 1024 && u < 3) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
    return buf;
}

std::string format_percent(double fraction) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", fraction * 100);
    return buf;
}

std::string cell(const json& j) {
    if (j.is_string()) {
        const auto& s = j.get_ref<const std::string&>();
        return s.empty() ? "-" : s;
    }
    if (j.is_null()) return "-";
    if (j.is_number_float()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", j.get<double>());
        return buf;
    }
    return j.dump();
}

std::string cell(const json& object, std::string_view key) {
    if (!object.is_object()) return "-";
    auto it = object.find(key);
    return it == object.end() ? "-" : cell(*it);
}

const json& list(const json& object, std::string_view key) {
    static const json empty = json::array();
    if (!object.is_object()) return empty;
    auto it = object.find(key);
    return it != object.end() && it->is_array() ? *it : empty;
}

const json& object_at(const json& object, std::string_view key) {
    static const json empty = json::object();
    if (!object.is_object()) return empty;
    auto it = object.find(key);
    return it != object.end() && it->is_object() ? *it : empty;
}

std::string short_id(const json& object, std::string_view key) {
    std::string id = cell(object, key);
    return id.size() > 12 ? id.substr(0, 12) : id;
}

int64_t as_int(const json& object, std::string_view key) {
    if (!object.is_object()) return 0;
    auto it = object.find(key);
    if (it == object.end()) return 0;
    if (it->is_number_unsigned()) {
        const auto v = it->get<uint64_t>();
        return v <= static_cast<uint64_t>(INT64_MAX) ? static_cast<int64_t>(v) : 0;
    }
    if (it->is_number_integer()) return it->get<int64_t>();
    if (it->is_number()) {
        // Outside int64's range the cast is undefined; such a value is no count or time.
        const double d = it->get<double>();
        return d > -9.2e18 && d < 9.2e18 ? static_cast<int64_t>(d) : 0;
    }
    if (it->is_string()) {
        const auto& s = it->get_ref<const std::string&>();
        int64_t v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        return ec == std::errc{} && end == s.data() + s.size() ? v : 0;
    }
    return 0;
}

std::string fields(const std::vector<std::pair<std::string, std::string>>& rows,
                   std::string_view indent) {
    size_t width = 0;
    for (auto& [label, _] : rows) width = std::max(width, label.size());
    std::string out;
    for (auto& [label, value] : rows) {
        out += std::string(indent) + label;
        out.append(width - label.size() + 2, ' ');
        out += value + "\n";
    }
    return out;
}

}  // namespace warren::ctl
