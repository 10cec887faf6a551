#include "metrics/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace warren::metrics {

namespace {

bool name_char(char c, bool first, bool colon) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
    if (colon && c == ':') return true;
    return !first && c >= '0' && c <= '9';
}

bool valid_name(std::string_view n, bool colon) {
    if (n.empty()) return false;
    for (size_t i = 0; i < n.size(); ++i)
        if (!name_char(n[i], i == 0, colon)) return false;
    return true;
}

void append_labels(std::string& out, const std::vector<std::string>& names,
                   const std::vector<std::string>& values, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
    if (names.empty() && extra_name.empty()) return;
    out += '{';
    for (size_t i = 0; i < names.size(); ++i) {
        if (i) out += ',';
        out += names[i];
        out += "=\"";
        out += escape_label_value(values[i]);
        out += '"';
    }
    if (!extra_name.empty()) {
        if (!names.empty()) out += ',';
        out += extra_name;
        out += "=\"";
        out += extra_value;
        out += '"';
    }
    out += '}';
}

void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                   const std::vector<std::string>& names, const std::vector<std::string>& values,
                   double v, std::string_view extra_name = {}, std::string_view extra_value = {}) {
    out += name;
    out += suffix;
    append_labels(out, names, values, extra_name, extra_value);
    out += ' ';
    out += format_value(v);
    out += '\n';
}

std::string_view type_name(Type t) {
    switch (t) {
        case Type::counter:
            return "counter";
        case Type::gauge:
            return "gauge";
        case Type::histogram:
            return "histogram";
    }
    return "untyped";
}

}  // namespace

std::string escape_label_value(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string escape_help(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string format_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", v);
}

bool valid_metric_name(std::string_view n) {
    return valid_name(n, true);
}
bool valid_label_name(std::string_view n) {
    return valid_name(n, false) && !n.starts_with("__");
}

Histogram::Histogram(std::span<const double> upper_bounds)
    : bounds_(upper_bounds.begin(), upper_bounds.end()),
      counts_(new std::atomic<uint64_t>[upper_bounds.size() + 1]) {
    for (size_t i = 0; i < bounds_.size(); ++i)
        if (!std::isfinite(bounds_[i]) || (i && bounds_[i] <= bounds_[i - 1]))
            throw std::invalid_argument("histogram bounds must be finite and strictly increasing");
    for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
    // le is inclusive: v == bound counts in that bucket.
    const size_t i =
        std::isnan(v)
            ? bounds_.size()
            : size_t(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot s;
    s.upper_bounds = bounds_;
    s.cumulative.resize(bounds_.size() + 1);
    uint64_t total = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
        total += counts_[i].load(std::memory_order_relaxed);
        s.cumulative[i] = total;
    }
    s.sum = sum_.load(std::memory_order_relaxed);
    return s;
}

template <class M>
M& Family<M>::with(const std::vector<std::string>& label_values) {
    if (label_values.size() != label_names_.size())
        throw std::invalid_argument(fmt::format("{} label value(s) given for {} label name(s)",
                                                label_values.size(), label_names_.size()));
    std::lock_guard lock(mu_);
    auto& slot = children_[label_values];
    if (!slot) {
        if constexpr (std::is_same_v<M, Histogram>)
            slot = std::make_unique<Histogram>(bounds_);
        else
            slot = std::make_unique<M>();
    }
    return *slot;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Registry::Entry& Registry::add(std::string name, std::string help, Type type,
                               const std::vector<std::string>& labels) {
    if (!valid_metric_name(name)) throw std::invalid_argument("invalid metric name '" + name + "'");
    for (auto& l : labels)
        if (!valid_label_name(l) || (type == Type::histogram && l == "le"))
            throw std::invalid_argument("invalid label name '" + l + "' for " + name);
    std::lock_guard lock(mu_);
    for (auto& e : entries_)
        if (e->name == name) throw std::invalid_argument("metric '" + name + "' registered twice");
    entries_.push_back(
        std::make_unique<Entry>(Entry{std::move(name), std::move(help), type, {}, {}, {}}));
    return *entries_.back();
}

Family<Counter>& Registry::counter(std::string name, std::string help,
                                   std::vector<std::string> labels) {
    auto& e = add(std::move(name), std::move(help), Type::counter, labels);
    e.counters = std::make_unique<Family<Counter>>(std::move(labels));
    return *e.counters;
}

Family<Gauge>& Registry::gauge(std::string name, std::string help,
                               std::vector<std::string> labels) {
    auto& e = add(std::move(name), std::move(help), Type::gauge, labels);
    e.gauges = std::make_unique<Family<Gauge>>(std::move(labels));
    return *e.gauges;
}

Family<Histogram>& Registry::histogram(std::string name, std::string help,
                                       std::vector<std::string> labels,
                                       std::vector<double> upper_bounds) {
    Histogram check(upper_bounds);  // throws on bad bounds before anything is registered
    auto& e = add(std::move(name), std::move(help), Type::histogram, labels);
    e.histograms = std::make_unique<Family<Histogram>>(std::move(labels), std::move(upper_bounds));
    return *e.histograms;
}

void Registry::render(std::string& out) const {
    std::lock_guard lock(mu_);
    for (auto& e : entries_) {
        out += "# HELP ";
        out += e->name;
        out += ' ';
        out += escape_help(e->help);
        out += "\n# TYPE ";
        out += e->name;
        out += ' ';
        out += type_name(e->type);
        out += '\n';
        if (e->counters) {
            // The text format 0.0.4 has no _total convention of its own: the name is the series.
            e->counters->each([&](auto& values, const Counter& c) {
                append_sample(out, e->name, "", e->counters->label_names(), values, c.value());
            });
        } else if (e->gauges) {
            e->gauges->each([&](auto& values, const Gauge& g) {
                append_sample(out, e->name, "", e->gauges->label_names(), values, g.value());
            });
        } else if (e->histograms) {
            auto& names = e->histograms->label_names();
            e->histograms->each([&](auto& values, const Histogram& h) {
                const auto s = h.snapshot();
                for (size_t i = 0; i < s.upper_bounds.size(); ++i)
                    append_sample(out, e->name, "_bucket", names, values, double(s.cumulative[i]),
                                  "le", format_value(s.upper_bounds[i]));
                append_sample(out, e->name, "_bucket", names, values, double(s.count()), "le",
                              "+Inf");
                append_sample(out, e->name, "_sum", names, values, s.sum);
                append_sample(out, e->name, "_count", names, values, double(s.count()));
            });
        }
    }
}

}  // namespace warren::metrics
