// GET /v1/incidents/{id}/report (routes.h): builds the report from the store on each request (it
// reads only) and answers it as JSON (default), Markdown or a self-contained HTML page.
#include "report/routes.h"

#include <utility>

#include "report/render.h"

namespace lifeline::report {

ReportRoutes::ReportRoutes(store::Store& store, std::function<store::Time()> now,
                           ReportOptions options)
    : store_(store), now_(std::move(now)), options_(std::move(options)) {}

std::vector<api::PartRoute> ReportRoutes::Routes() {
  return {{"GET",
           "/v1/incidents/{id}/report",
           api::Role::kViewer,
           {"format"},
           api::PartBody::kNone,
           [this](const api::PartRequest& r) { return Get(r); }}};
}

core::Result<api::PartResponse> ReportRoutes::Get(const api::PartRequest& r) {
  std::string format = "json";
  if (const std::string* f = r.Query("format")) format = *f;
  if (format != "json" && format != "md" && format != "html") {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "format must be one of json, md, html");
  }
  ReportOptions options = options_;
  if (now_) options.now = now_();
  auto report = BuildReport(store_, r.Param("id"), options);
  if (!report.ok()) return report.error();
  api::PartResponse out;
  if (format == "json") {
    out.body = ReportJson(*report);
  } else if (format == "md") {
    out.content_type = "text/markdown; charset=utf-8";
    out.raw_body = RenderMarkdown(*report);
  } else {
    out.content_type = "text/html; charset=utf-8";
    out.raw_body = RenderHtml(*report);
  }
  return out;
}

}  // namespace lifeline::report
