#pragma once
// A small Prometheus registry (DESIGN §8): counters, gauges and fixed-bucket histograms in
// families with labels, rendered in the text exposition format 0.0.4.
//
// Hot path: Family::with() looks a child up under a mutex; keep the reference it returns (a
// child lives as long as its registry) and update it from any thread: updates are atomics, no
// lock. render() may run on any thread, concurrently with updates; a histogram's _count is the
// sum of its buckets, so the +Inf bucket and _count always agree within one scrape.
//
// Names: metric and label names must match Prometheus' grammar; a bad one is a programming
// error (std::invalid_argument at registration). Label values are free text, escaped on output.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace warren::metrics {

class Counter {
  public:
    // `v` must not be negative (a counter only goes up).
    void inc(double v = 1) { value_.fetch_add(v, std::memory_order_relaxed); }
    double value() const { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<double> value_{0};
};

class Gauge {
  public:
    void set(double v) { value_.store(v, std::memory_order_relaxed); }
    void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
    double value() const { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<double> value_{0};
};

class Histogram {
  public:
    // `upper_bounds`: strictly increasing, finite; the +Inf bucket is implicit.
    explicit Histogram(std::span<const double> upper_bounds);
    void observe(double v);

    struct Snapshot {
        std::vector<double> upper_bounds;
        std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
        double sum = 0;
        uint64_t count() const { return cumulative.empty() ? 0 : cumulative.back(); }
    };
    Snapshot snapshot() const;

  private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket (not cumulative), +Inf last
    std::atomic<double> sum_{0};
};

enum class Type { counter, gauge, histogram };

// The values of one family's children, by label values (in the family's label-name order).
template <class M>
class Family {
  public:
    Family(std::vector<std::string> label_names, std::vector<double> bounds = {})
        : label_names_(std::move(label_names)), bounds_(std::move(bounds)) {}
    // The child for these label values (as many as the family has label names), created at 0.
    M& with(const std::vector<std::string>& label_values);
    const std::vector<std::string>& label_names() const { return label_names_; }

    // Calls f(label_values, child) for each child, in label-value order, under the family's lock.
    template <class F>
    void each(F&& f) const {
        std::lock_guard lock(mu_);
        for (auto& [values, child] : children_) f(values, *child);
    }

  private:
    std::vector<std::string> label_names_;
    std::vector<double> bounds_;
    mutable std::mutex mu_;
    std::map<std::vector<std::string>, std::unique_ptr<M>> children_;
};

class Registry {
  public:
    Registry() = default;
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    // Registers a family; rendered in registration order. A name registered twice is an error.
    Family<Counter>& counter(std::string name, std::string help,
                             std::vector<std::string> labels = {});
    Family<Gauge>& gauge(std::string name, std::string help, std::vector<std::string> labels = {});
    Family<Histogram>& histogram(std::string name, std::string help,
                                 std::vector<std::string> labels, std::vector<double> upper_bounds);

    // Appends every family: # HELP, # TYPE, then its samples. A family with no child yet
    // (labelled and never used) renders only its HELP and TYPE lines.
    void render(std::string& out) const;
    std::string render() const {
        std::string out;
        render(out);
        return out;
    }

  private:
    struct Entry {
        std::string name, help;
        Type type;
        std::unique_ptr<Family<Counter>> counters;
        std::unique_ptr<Family<Gauge>> gauges;
        std::unique_ptr<Family<Histogram>> histograms;
    };
    Entry& add(std::string name, std::string help, Type type,
               const std::vector<std::string>& labels);

    mutable std::mutex mu_;
    std::vector<std::unique_ptr<Entry>> entries_;
};

// Text-format pieces, exposed for tests and for other renderers.
std::string escape_label_value(std::string_view v);  // \ " and newline
std::string escape_help(std::string_view v);         // \ and newline
std::string format_value(double v);                  // shortest round-trip; NaN, +Inf, -Inf
bool valid_metric_name(std::string_view n);
bool valid_label_name(std::string_view n);

}  // namespace warren::metrics
