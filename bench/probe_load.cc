// Drives the prober the way `lifeline check` and `serve` do, for the figures in bench/RESULTS.md:
// CPU seconds per probe (getrusage after start-up) and peak RSS for N probes of one or more URLs.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "probe/probe.h"

namespace {

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

long MaxRssKb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

int Usage() {
  std::fprintf(stderr,
               "usage: probe_load --url URL [--url URL...] --count N [--concurrency C] "
               "[--ca-file F] [--rounds R] [--tls-resumption on|off]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> urls;
  std::size_t count = 1000, concurrency = 64, rounds = 1;
  std::string ca_file;
  bool tls_resumption = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return Usage();
    std::string v = argv[++i];
    if (a == "--url") {
      urls.push_back(v);
    } else if (a == "--count") {
      count = std::stoul(v);
    } else if (a == "--concurrency") {
      concurrency = std::stoul(v);
    } else if (a == "--ca-file") {
      ca_file = v;
    } else if (a == "--rounds") {
      rounds = std::stoul(v);
    } else if (a == "--tls-resumption" && (v == "on" || v == "off")) {
      tls_resumption = v == "on";
    } else {
      return Usage();
    }
  }
  if (urls.empty() || count == 0) return Usage();

  lifeline::probe::Options options;
  options.concurrency = concurrency;
  options.ca_file = ca_file;
  options.tls_resumption = tls_resumption;
  options.timeout = std::chrono::seconds(10);
  std::vector<lifeline::core::ProbeSpec> specs(count);
  for (std::size_t i = 0; i < count; ++i) {
    specs[i].id = "t" + std::to_string(i);
    specs[i].url = urls[i % urls.size()];
  }

  std::size_t ok = 0, total = 0;
  double cpu = 0, wall = 0;
  for (std::size_t r = 0; r < rounds; ++r) {
    double cpu0 = CpuSeconds();
    auto t0 = std::chrono::steady_clock::now();
    auto results = lifeline::probe::RunBlocking(specs, options);
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    cpu += CpuSeconds() - cpu0;
    if (!results.ok()) {
      std::fprintf(stderr, "probe_load: %s\n", results.error().ToString().c_str());
      return 1;
    }
    for (const auto& res : *results) ok += res.ok;
    total += results->size();
  }
  std::printf(
      "probes=%zu ok=%zu cpu_s=%.4f cpu_ms_per_probe=%.4f wall_s=%.3f probes_per_s=%.0f "
      "max_rss_mb=%.1f\n",
      total, ok, cpu, cpu * 1000 / static_cast<double>(total), wall,
      static_cast<double>(total) / wall, static_cast<double>(MaxRssKb()) / 1024);
  return ok == total ? 0 : 1;
}
