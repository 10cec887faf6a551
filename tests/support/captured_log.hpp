#pragma once
// Sends spdlog's default logger to a string as "<level>|<message>" lines while it lives.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>

namespace warren::testing {

class CapturedLog {
  public:
    CapturedLog() : saved_(spdlog::default_logger()) {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
        auto logger = std::make_shared<spdlog::logger>("capture", sink);
        logger->set_pattern("%l|%v");
        logger->set_level(spdlog::level::trace);
        spdlog::set_default_logger(logger);
    }
    ~CapturedLog() { spdlog::set_default_logger(saved_); }
    CapturedLog(const CapturedLog&) = delete;
    CapturedLog& operator=(const CapturedLog&) = delete;

    std::string text() const { return out_.str(); }
    // How many times `needle` occurs in the log.
    size_t count(const std::string& needle) const {
        const std::string t = text();
        size_t n = 0;
        for (size_t at = t.find(needle); at != std::string::npos; at = t.find(needle, at + 1)) ++n;
        return n;
    }

  private:
    std::shared_ptr<spdlog::logger> saved_;
    std::ostringstream out_;
};

}  // namespace warren::testing
