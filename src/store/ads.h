// The ads guard's slice of the store (Store::Ads()): every campaign Lifeline changed, with its
// state before the change, and every call made to an ad platform with its answer. A change is
// keyed by (incident, account, campaign), so the guard records a campaign's prior state once per
// incident however often a restart runs it again, and never pauses it twice.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "store/records.h"

namespace lifeline::store {

// What became of a campaign Lifeline set out to pause.
enum class AdChangeState {
  kPausing,   // prior state recorded; the pause call is under way (or must be retried)
  kPaused,    // paused by Lifeline; waits for the resume
  kResuming,  // the resume is due or under way
  kResumed,   // resumed by Lifeline: done
  kKept,      // left paused on purpose (changed by someone, shows issues, resume: manual): done
  kFailed,    // the platform refused for good (unknown campaign, no permission): done
  kDryRun,    // dry run: what would have been paused; nothing changed
};
std::string_view AdChangeStateName(AdChangeState s);
std::optional<AdChangeState> ParseAdChangeState(std::string_view s);
// Done: the guard has nothing left to do for this change.
bool IsFinal(AdChangeState s);

struct AdChange {
  std::int64_t id = 0;      // assigned by the store
  std::string incident_id;  // "" for a pause by hand outside any incident
  std::string account;      // ads.accounts NAME
  std::string platform;     // meta, google, tiktok
  std::string campaign_id;
  std::string campaign_name;
  std::string policy;  // the guard policy, "plan:<response>" for a plan step, "hand" by a person
  std::string by;      // who asked: "lifeline", "plan", "cli:ana", "api:ana"
  AdChangeState state = AdChangeState::kPausing;
  // Before Lifeline touched it.
  std::string prior_status;     // the platform's word: ACTIVE, ENABLED, ENABLE
  std::string prior_effective;  // effective_status / serving status
  std::optional<std::int64_t> prior_budget_micros;
  std::string prior_budget_kind;  // daily, lifetime, ""
  std::string currency;
  std::string prior_updated;  // the platform's last-modified stamp before the pause
  // The platform's last-modified stamp right after Lifeline's pause; a different one later means
  // someone changed the campaign since.
  std::string marker;
  std::string note;  // the last thing that happened, for people
  std::optional<Time> paused_at;
  std::optional<Time> resume_due;
  std::optional<Time> resumed_at;
  Time created_at;
  Time updated_at;
};

struct AdChangeQuery {
  std::string incident_id;  // "" = any
  std::string account;      // "" = any
  std::optional<AdChangeState> state;
  bool open_only = false;  // states that are not final
  std::size_t limit = 1000;
};

// One call to an ad platform and its answer.
struct AdCallRecord {
  std::int64_t id = 0;
  std::string incident_id;  // "" when made outside an incident (a listing)
  std::string account;
  std::string op;  // "list", "pause", "resume", "read", "budget", "insights"
  std::string method;
  std::string path;  // never a credential
  std::string request;
  int status = 0;
  std::string answer;
  std::string usage;
  std::int64_t took_ms = 0;
  std::string failure;  // FailureKind name, "" when it worked
  Time at;
};

// What became of a budget transfer (ads.transfers in the config): the daily budget of urgent
// campaigns paused for an incident, added to a campaign on another platform for the outage.
enum class AdTransferState {
  kProposed,  // waits for a person's approval
  kApproved,  // approved (or needs none): the move is due or under way
  kMoved,     // the receiving campaign's budget was raised; waits for the platform's return
  kReturned,  // moved back after the outage: done
  kRefused,   // a person refused it: done
  kExpired,   // the outage ended before it was approved or made: done
  kSkipped,   // nothing to move (cap reached, lifetime budgets, nothing paused): done
  kFailed,    // the platform refused for good; what it says is in note: done
  kDryRun,    // dry run: what would have been moved; nothing changed
};
std::string_view AdTransferStateName(AdTransferState s);
std::optional<AdTransferState> ParseAdTransferState(std::string_view s);
bool IsFinal(AdTransferState s);

struct AdTransfer {
  std::int64_t id = 0;      // assigned by the store
  std::string incident_id;  // required
  std::string name;         // ads.transfers NAME
  std::string from_account;
  std::vector<std::string> campaigns;  // the paused urgent campaigns whose budget moves
  std::string to_account;
  std::string to_campaign;
  std::string to_campaign_name;
  std::string currency;
  std::int64_t amount_micros = 0;  // what the paused campaigns' daily budgets add up to (x share)
  AdTransferState state = AdTransferState::kProposed;
  std::string by;          // who set it off: "lifeline", "plan", "api:ana"
  std::string decided_by;  // who approved or refused it ("config" when it needs no approval)
  std::optional<std::int64_t> prior_budget_micros;     // the receiving campaign's before the move
  std::optional<std::int64_t> set_budget_micros;       // what Lifeline set it to
  std::optional<std::int64_t> returned_budget_micros;  // what Lifeline set it back to
  std::string note;                                    // the last thing that happened, for people
  std::optional<Time> moved_at;
  std::optional<Time> return_due;
  std::optional<Time> returned_at;
  Time created_at;
  Time updated_at;
};

struct AdTransferQuery {
  std::string incident_id;  // "" = any
  bool open_only = false;   // proposed, approved, moved
  std::size_t limit = 1000;
};

// Same contract as Store (store.h): thread-safe, atomic, durable (synchronous=FULL: a recorded
// prior state survives power loss before the pause call leaves), errors only for the store
// failing or bad input.
class AdsStore {
 public:
  virtual ~AdsStore() = default;

  // Inserts `change` unless its (incident_id, account, campaign_id) exists; returns the stored row
  // and true when it was inserted, the existing row and false otherwise (nothing is changed).
  [[nodiscard]] virtual core::Result<std::pair<AdChange, bool>> Record(const AdChange& change) = 0;
  // Updates a recorded change by id: everything but its key (incident, account, campaign) and
  // created_at. kNotFound for an unknown id.
  [[nodiscard]] virtual core::Result<AdChange> Update(const AdChange& change) = 0;
  [[nodiscard]] virtual core::Result<AdChange> Get(std::string_view incident_id,
                                                   std::string_view account,
                                                   std::string_view campaign_id) = 0;
  // The newest `limit` matches, oldest first.
  [[nodiscard]] virtual core::Result<std::vector<AdChange>> List(const AdChangeQuery& query) = 0;

  [[nodiscard]] virtual core::Status AddCalls(std::span<const AdCallRecord> calls) = 0;
  // Inserts `transfer` unless (incident_id, name) exists; the stored row and whether it was
  // inserted, as Record.
  [[nodiscard]] virtual core::Result<std::pair<AdTransfer, bool>> RecordTransfer(
      const AdTransfer& transfer) = 0;
  // Updates a transfer by id: everything but its key (incident, name) and created_at. kNotFound
  // for an unknown id.
  [[nodiscard]] virtual core::Result<AdTransfer> UpdateTransfer(const AdTransfer& transfer) = 0;
  [[nodiscard]] virtual core::Result<AdTransfer> GetTransfer(std::int64_t id) = 0;
  // Newest first.
  [[nodiscard]] virtual core::Result<std::vector<AdTransfer>> ListTransfers(
      const AdTransferQuery& query) = 0;

  // An incident's calls ("" = those outside incidents), oldest first, after id `after`.
  [[nodiscard]] virtual core::Result<std::vector<AdCallRecord>> ListCalls(
      std::string_view incident_id, std::int64_t after, std::size_t limit) = 0;
};

}  // namespace lifeline::store
