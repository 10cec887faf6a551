#pragma once
// The real Source over an ApiConfig already loaded: what make_api_source() builds, and the seam
// tests use to run it against a configuration of their own (e.g. load_in_cluster with a fake
// environment).
#include <memory>

#include "kube/config.hpp"
#include "kube/source.hpp"

namespace warren::kube {

// The watch's idle limit: the server ends every watch after timeoutSeconds
// (settings.watch_timeout_seconds), so silence beyond that plus request_timeout_ms means the
// server or the path to it hangs. (request_timeout_ms alone bounds the wait for the header.)
std::chrono::milliseconds watch_idle_limit(const Settings& settings);

// Code::invalid_config when the CA or client certificate is unusable.
Result<std::unique_ptr<Source>> make_api_source(const Settings& settings, ApiConfig config);

}  // namespace warren::kube
