// The `store:` section (store_section.h): parsed here, opened by serve (store::OpenPostgres).
#include "config/store_section.h"

#include "config/yaml_read.h"

namespace lifeline::config {

using yaml::Field;
using yaml::Fields;

namespace {

const yaml::Keys kStoreKeys = {"url", "password", "connections", "lease_ttl"};

// postgresql://USER:PASSWORD@HOST... or ...?password=...: the user part holds a ':' only with a
// password.
bool UrlHasPassword(std::string_view url) {
  if (url.find("password=") != std::string_view::npos) return true;
  std::size_t start = url.find("://");
  if (start == std::string_view::npos) return false;
  std::string_view rest = url.substr(start + 3);
  std::size_t at = rest.find('@');
  std::size_t slash = rest.find_first_of("/?");
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) {
    return false;
  }
  return rest.substr(0, at).find(':') != std::string_view::npos;
}

}  // namespace

core::Result<StoreSettings> ReadStoreSection(const Config& config) {
  StoreSettings out;
  const PartSection* sec = config.Section("store");
  if (sec == nullptr) return out;
  const yaml::Doc& doc = sec->doc;
  LL_ASSIGN(Fields fields, yaml::ReadMap(doc, sec->node, sec->where, kStoreKeys,
                                         "store settings (url, password, connections, lease_ttl)"));
  const Field* url = fields.Find("url");
  if (url == nullptr) {
    return yaml::Fail(doc, sec->where,
                      "url is required (e.g. url: postgresql://lifeline@db.example:5432/lifeline); "
                      "leave out the whole store section to keep the SQLite file");
  }
  yaml::Where uw = yaml::At(url->where, url->value);
  LL_ASSIGN(out.url, yaml::GetNonEmpty(doc, url->value, url->where, "a postgresql:// URL"));
  if (!out.url.starts_with("postgresql://") && !out.url.starts_with("postgres://")) {
    // Not quoted: a mistyped URL may still hold a secret.
    return yaml::Fail(doc, uw,
                      "expected a postgresql:// URL (postgresql://USER@HOST:PORT/DATABASE); "
                      "SQLite is configured with serve.data_dir or serve.database instead");
  }
  if (UrlHasPassword(out.url)) {
    return yaml::Fail(doc, uw,
                      "the URL holds a password; URLs end up in logs and process lists: give it "
                      "as password: { env: NAME } or password: { file: PATH } instead");
  }
  if (!config.serve.database.empty()) {
    return yaml::Fail(doc, uw,
                      "serve.database is set too: lifeline keeps its state in one place; remove "
                      "serve.database or this url");
  }
  if (const Field* pw = fields.Find("password")) {
    LL_ASSIGN(out.password, yaml::GetSecret(doc, pw->value, pw->where, /*allow_plain=*/false));
  }
  if (const Field* n = fields.Find("connections")) {
    LL_ASSIGN(long long c, yaml::GetInt(doc, n->value, n->where, 1, 100));
    out.connections = static_cast<std::size_t>(c);
  }
  if (const Field* t = fields.Find("lease_ttl")) {
    LL_ASSIGN(out.lease_ttl, yaml::GetDuration(doc, t->value, t->where));
    if (out.lease_ttl < std::chrono::seconds(1) || out.lease_ttl > std::chrono::minutes(5)) {
      return yaml::Fail(doc, yaml::At(t->where, t->value),
                        "lease_ttl must be between 1s and 5m (how long a dead instance's "
                        "platforms wait to be taken over)");
    }
  }
  return out;
}

}  // namespace lifeline::config
