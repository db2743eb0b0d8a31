// Turns one round of per-platform transitions into incident actions: one incident per failure
// domain when its platforms fail together, flapping incidents, maintenance windows and silences.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"
#include "core/types.h"
#include "watch/silence.h"
#include "watch/state_machine.h"

namespace lifeline::watch {

enum class IncidentKind { kPlatform, kDomain, kFlapping };
std::string_view IncidentKindName(IncidentKind kind);  // "platform", "domain", "flapping"

// Stable keys the caller maps to store ids. A key names at most one open incident at a time;
// once closed, the same key may open again as a new incident.
std::string PlatformKey(std::string_view platform);  // "platform:instagram"
std::string DomainKey(std::string_view domain);      // "domain:meta"
std::string FlappingKey(std::string_view platform);  // "flapping:instagram"

struct OpenIncident {
  std::string key;
  IncidentKind kind = IncidentKind::kPlatform;
  std::string domain;
  std::vector<std::string> platforms;               // ids, failing now
  core::Verdict verdict = core::Verdict::kUnknown;  // the worst of its platforms
  std::string title;                  // "meta: outage of Facebook, Instagram and WhatsApp"
  std::vector<std::string> evidence;  // lines a person can read
  TimePoint started;                  // when the first of its platforms started failing
  TimePoint at;                       // the round that opened it
};

struct UpdateIncident {
  std::string key;
  // Set when the incident was renamed (a platform incident that became its domain's incident
  // because another platform of the domain failed): the caller moves its id from `key` to
  // `new_key`; later actions use `new_key`.
  std::string new_key;
  IncidentKind kind = IncidentKind::kPlatform;
  std::string domain;
  std::vector<std::string> platforms;  // failing now
  core::Verdict verdict = core::Verdict::kUnknown;
  std::string title;
  std::vector<std::string> evidence;  // what changed this round
  TimePoint at;
};

struct CloseIncident {
  std::string key;
  IncidentKind kind = IncidentKind::kPlatform;
  std::string domain;
  std::vector<std::string> platforms;  // every platform that took part
  std::string reason;                  // "recovered", "superseded by flapping:x", ...
  TimePoint started;
  TimePoint ended;  // when the last of its platforms came back
  std::chrono::seconds duration{0};
  std::vector<std::string> evidence;  // what changed this round
  TimePoint at;
};

// A transition that opened no incident because a maintenance window or silence applies. The
// caller records it on the platform's timeline; the board shows `message`.
struct Suppressed {
  std::string platform;
  std::string domain;
  std::string silence;  // its name
  SilenceKind kind = SilenceKind::kMaintenance;
  TimePoint until;
  std::string message;                   // "suppressed: maintenance window 'X' until T"
  std::vector<std::string> transitions;  // Describe() of each suppressed transition; empty
                                         // when a still-failing platform's silence changed
  TimePoint at;
};

using IncidentAction = std::variant<OpenIncident, UpdateIncident, CloseIncident, Suppressed>;

struct IncidentView {
  std::string key;
  IncidentKind kind = IncidentKind::kPlatform;
  std::string domain;
  std::vector<std::string> platforms;      // failing now
  std::vector<std::string> all_platforms;  // every platform that took part
  core::Verdict verdict = core::Verdict::kUnknown;
  std::string title;
  TimePoint started;
};

// The open incidents and what each platform's state machine last said. Not thread-safe.
//
// Per round: a platform that opens joins its domain's open incident if there is one; two or more
// platforms of a domain failing at once (newly opened this round, or one of them already in a
// platform incident, which is then renamed to the domain's) make one domain incident; otherwise
// it gets a platform incident. A platform without a domain is always on its own. A domain
// incident closes when the last of its platforms closes. A flapping platform leaves its incident
// (closing it if it was the last) and gets its own flapping incident until flapping ends.
// A domain incident whose last platform recovers in the round another of its platforms fails
// carries on with that platform. A silence only stops incidents from opening: an open incident
// still updates and closes. A platform kept out by a silence that is still failing when the silence
// ends gets its incident then, so call Apply every round, even with no transitions.
class IncidentTracker {
 public:
  // Replaces the silences; all must be valid, else nothing changes and the first error returns.
  [[nodiscard]] core::Status SetSilences(std::vector<Silence> silences);
  const std::vector<Silence>& silences() const { return silences_; }

  // All platforms' transitions of one round at `at`, in any platform order (each platform's own
  // in the order its state machine gave them). Returns the actions in the order to apply them.
  std::vector<IncidentAction> Apply(TimePoint at, const std::vector<Transition>& round);

  std::vector<IncidentView> open() const;  // by key

  // Lets go of `platform_ids` without any action (another instance watches them now): they leave
  // what the tracker knows and the incidents they were in; an incident left without a platform is
  // dropped, still open in the store for whoever adopts it. Returns the keys of the dropped
  // incidents. Unknown ids are ignored.
  std::vector<std::string> Forget(const std::vector<std::string>& platform_ids);

 private:
  struct PlatformStatus {
    PlatformRef ref;
    bool flapping = false;  // else failing
    RoundEvidence evidence;
    core::Verdict worst = core::Verdict::kDegraded;  // of a flapping platform's failing rounds
    TimePoint since;
    std::string incident;       // key of the incident it is in; empty when none
    std::string suppressed_by;  // the silence that kept it out, while one does
  };
  struct Incident {
    std::string key;
    IncidentKind kind = IncidentKind::kPlatform;
    std::string domain;
    std::vector<std::string> members;  // failing now
    std::vector<std::string> all;      // every platform that took part
    TimePoint started;
    TimePoint ended;
  };
  // What happened to one incident during the round being applied.
  struct Touch {
    bool opened = false;
    std::string renamed_from;
    std::vector<std::string> notes;
    std::string close_reason;
  };

  core::Verdict VerdictOf(const Incident& inc) const;
  std::string TitleOf(const Incident& inc) const;
  std::string NameOf(const std::string& id) const;
  std::vector<std::string> OpeningEvidence(const Incident& inc) const;

  std::map<std::string, PlatformStatus> platforms_;  // failing or flapping, by id
  std::map<std::string, Incident> incidents_;        // open, by key
  std::map<std::string, std::string> names_;         // id -> display name, for titles
  std::vector<Silence> silences_;
};

}  // namespace lifeline::watch
