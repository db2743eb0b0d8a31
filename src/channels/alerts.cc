// Incident alerts (alerts.h): config parsing and the sender thread.
#include "channels/alerts.h"

#include <algorithm>
#include <chrono>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "config/values.h"
#include "config/yaml_read.h"

namespace lifeline::channels {

namespace y = config::yaml;

core::Result<std::vector<AlertRule>> LoadAlertRules(const config::Config& config,
                                                    const Router& router) {
  std::vector<AlertRule> rules;
  const config::PartSection* section = config.Section("alerts");
  if (section == nullptr || section->node.IsNull()) return rules;
  const y::Doc& doc = section->doc;
  const YAML::Node& list = section->node;
  if (!list.IsSequence()) {
    return y::Fail(doc, section->where,
                   fmt::format("expected a list of rules (- contacts: [team]  opened: TEMPLATE), "
                               "got {}",
                               y::TypeName(list)));
  }
  std::vector<std::string> platform_ids;
  for (const auto& p : config.platforms) platform_ids.push_back(p.id);
  for (std::size_t i = 0; i < list.size(); ++i) {
    y::Where iw = section->where.Item(std::to_string(i), list[i].Mark());
    LL_ASSIGN(y::Fields fields,
              y::ReadMap(doc, list[i], iw, {"contacts", "opened", "closed", "only"}, "a rule"));
    AlertRule rule;
    const y::Field* contacts = fields.Find("contacts");
    if (contacts == nullptr) {
      return y::Fail(doc, iw, "needs 'contacts' (the contacts to tell, e.g. contacts: [team])");
    }
    LL_ASSIGN(rule.contacts,
              y::GetStringList(doc, contacts->value, contacts->where, "contact ids",
                               [&](const std::string& id, const y::Where& at) -> core::Status {
                                 if (router.FindContact(id) != nullptr) return core::Ok();
                                 std::vector<std::string> known;
                                 for (const auto& c : router.contacts()) known.push_back(c.id);
                                 if (auto near = config::Closest(id, known)) {
                                   return y::Fail(doc, at,
                                                  fmt::format("no contact '{}' (did you mean "
                                                              "'{}'?)",
                                                              id, *near));
                                 }
                                 return y::Fail(doc, at,
                                                fmt::format("no contact '{}' in contacts: "
                                                            "(contacts: {})",
                                                            id, y::Join(known)));
                               }));
    for (const char* key : {"opened", "closed"}) {
      const y::Field* f = fields.Find(key);
      if (f == nullptr) continue;
      LL_ASSIGN(std::string name, y::GetNonEmpty(doc, f->value, f->where, "a template's name"));
      if (router.FindTemplate(name) == nullptr) {
        return y::Fail(doc, y::At(f->where, f->value),
                       fmt::format("no template '{}' in templates:", name));
      }
      (std::string_view(key) == "opened" ? rule.opened : rule.closed) = name;
    }
    if (rule.opened.empty() && rule.closed.empty()) {
      return y::Fail(doc, iw,
                     "give 'opened' and/or 'closed': the templates to send when an incident "
                     "opens or closes");
    }
    if (const y::Field* only = fields.Find("only")) {
      LL_ASSIGN(rule.only,
                y::GetStringList(doc, only->value, only->where, "platform ids or failure domains",
                                 [&](const std::string&, const y::Where&) { return core::Ok(); }));
      for (const std::string& id : rule.only) {
        bool known = std::find(platform_ids.begin(), platform_ids.end(), id) != platform_ids.end();
        for (const auto& p : config.platforms) known = known || p.domain == id;
        if (!known) {
          return y::Fail(doc, only->where,
                         fmt::format("'{}' is neither a platform id nor a failure domain", id));
        }
      }
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

IncidentAlerts::IncidentAlerts(Router& router, std::vector<AlertRule> rules,
                               const config::Config& config,
                               std::function<void(std::string_view)> log)
    : router_(router), rules_(std::move(rules)), log_(std::move(log)) {
  for (const auto& p : config.platforms) {
    names_[p.id] = p.name;
    domains_[p.id] = p.domain;
  }
}

IncidentAlerts::~IncidentAlerts() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

namespace {

class AlertSubscription final : public core::IncidentFeed::Subscription {
 public:
  explicit AlertSubscription(std::unique_ptr<core::IncidentFeed::Subscription> inner)
      : inner_(std::move(inner)) {}

 private:
  std::unique_ptr<core::IncidentFeed::Subscription> inner_;
};

}  // namespace

std::unique_ptr<core::IncidentFeed::Subscription> IncidentAlerts::Watch(core::IncidentFeed& feed) {
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  return std::make_unique<AlertSubscription>(
      feed.SubscribeIncidents([this](const core::IncidentNotice& n) { OnIncident(n); }));
}

void IncidentAlerts::OnIncident(const core::IncidentNotice& notice) {
  if (!notice.here) return;  // another instance acts on it
  if (rules_.empty() || notice.change == core::IncidentNotice::Change::kUpdated) return;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(notice);
  }
  cv_.notify_one();
}

void IncidentAlerts::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    core::IncidentNotice n = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    Send(n);
    lock.lock();
  }
}

void IncidentAlerts::Send(const core::IncidentNotice& n) {
  const bool opened = n.change == core::IncidentNotice::Change::kOpened;
  TemplateVars vars;
  std::vector<std::string> names;
  for (const std::string& id : n.platforms) {
    auto it = names_.find(id);
    names.push_back(it == names_.end() ? id : it->second);
  }
  vars.platform = y::Join(names);
  vars.domain = n.domain;
  vars.time = fmt::format("{:%H:%M} UTC", std::chrono::floor<std::chrono::seconds>(n.opened_at));
  vars.incident = n.title;
  vars.incident_id = n.incident_id;
  for (const AlertRule& rule : rules_) {
    const std::string& tmpl = opened ? rule.opened : rule.closed;
    if (tmpl.empty()) continue;
    if (!rule.only.empty()) {
      bool match = std::find(rule.only.begin(), rule.only.end(), n.domain) != rule.only.end();
      for (const std::string& id : n.platforms) {
        match = match || std::find(rule.only.begin(), rule.only.end(), id) != rule.only.end();
        auto d = domains_.find(id);
        match = match || (d != domains_.end() && std::find(rule.only.begin(), rule.only.end(),
                                                           d->second) != rule.only.end());
      }
      if (!match) continue;
    }
    for (const std::string& contact : rule.contacts) {
      Outgoing out;
      out.contact = contact;
      out.template_name = tmpl;
      out.vars = vars;
      out.incident_id = n.incident_id;
      out.idempotency_key =
          fmt::format("alert/{}/{}/{}", n.incident_id, opened ? "opened" : "closed", contact);
      // The store failing, or no contact point able to take the text: say so, never silently.
      if (auto sent = router_.Send(out); !sent.ok() && log_) {
        log_(fmt::format("alert for incident {} to {} not sent: {}", n.incident_id, contact,
                         sent.error().message()));
      }
    }
  }
}

}  // namespace lifeline::channels
