// Listening's slice of the store (Store::Listening()): the posts its sources brought, each stored
// once under its cross-source key with its sentiment and the queries it belongs to, the counts of
// each query per UTC hour, the hours in which collection ran, each source's polling state and the
// spike decisions judged per query and hour.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/records.h"

namespace lifeline::store {

struct ListenPost {
  std::string key;  // listen::DedupKey: one row per key whichever source brought it
  std::string source;
  std::string source_id;
  std::string url;
  std::string author;
  std::string text;
  Time posted_at;  // the platform's time: the hour it counts in
  Time fetched_at;
  std::int64_t shares = 0;
  double compound = 0;               // VADER's compound score
  std::vector<std::string> queries;  // the queries it belongs to (listen::Query::id)
};

struct ListenPostQuery {
  std::string query;             // "" = any
  std::string source;            // "" = any
  std::optional<Time> from, to;  // posted_at in [from, to)
  std::size_t limit = 100;
};

struct ListenHourCount {
  std::string query;
  Time hour;  // the start of a UTC hour
  std::int64_t count = 0;
};

// Where a source stands with one term: its cursor, its last poll and what its API said.
struct ListenSourceState {
  std::string source;  // the source's config name
  std::string term;
  std::string cursor;  // where the next poll resumes ("" = never polled successfully)
  std::optional<Time> last_poll;
  std::optional<Time> last_ok;
  std::string outcome;           // listen::PollOutcomeName of the last poll
  std::string error;             // of the last poll ("" when it went well)
  std::string rate_limit;        // what the API said of its limit last
  std::optional<Time> retry_at;  // rate limited: not before
  std::int64_t polls = 0;
  std::int64_t posts = 0;  // new posts this source brought (after dedup)
};

// One hour of one query as the spike detector judged it.
struct ListenSpike {
  std::string query;
  std::string platform;  // for outage chatter: the catalog platform; "" otherwise
  Time hour;             // the hour judged
  Time judged_at;
  double fraction = 1;  // < 1: the hour in progress
  std::int64_t observed = 0;
  double expected = 0;
  double usual = 0;
  std::vector<std::int64_t> weeks;
  double p_value = 1;
  int run = 0;
  bool spiking = false;
  bool fired = false;
  std::string reason;    // listen::SpikeReasonName
  std::string evidence;  // the detector's line
};

struct ListenSpikeQuery {
  std::string query;             // "" = any
  std::string platform;          // "" = any
  std::optional<Time> from, to;  // hour in [from, to)
  bool spiking_only = false;
  std::size_t limit = 200;
};

struct ListenAddResult {
  std::int64_t new_posts = 0;  // keys not stored before
  std::int64_t new_links = 0;  // (post, query) pairs not stored before: what the counts gained
};

// Same contract as Store (store.h): thread-safe, atomic, errors only for the store failing or bad
// input (kInvalidArgument naming the field).
class ListeningStore {
 public:
  virtual ~ListeningStore() = default;

  // In one transaction, all or none: posts whose key is new are stored; a key already stored keeps
  // its row, with the larger share count and the earlier posted_at (its counts move to that hour);
  // each post is linked to its queries, and each new link adds one to its query's hour. `state`
  // (when given) is stored in the same transaction, and `covered` hours marked as collected.
  [[nodiscard]] virtual core::Result<ListenAddResult> AddPosts(std::span<const ListenPost> posts,
                                                               const ListenSourceState* state,
                                                               std::span<const Time> covered) = 0;
  // Newest first.
  [[nodiscard]] virtual core::Result<std::vector<ListenPost>> ListPosts(
      const ListenPostQuery& query) = 0;
  // Counts of `query` ("" = every query) with hour in [from, to), by query then hour; hours
  // without posts are absent.
  [[nodiscard]] virtual core::Result<std::vector<ListenHourCount>> HourCounts(
      std::string_view query, Time from, Time to) = 0;
  // The hours in [from, to) in which collection ran, ascending.
  [[nodiscard]] virtual core::Result<std::vector<Time>> CoveredHours(Time from, Time to) = 0;

  [[nodiscard]] virtual core::Status PutSourceState(const ListenSourceState& state) = 0;
  [[nodiscard]] virtual core::Result<std::vector<ListenSourceState>> SourceStates() = 0;

  // Stores the decision for (query, hour), replacing an earlier one of the same hour.
  [[nodiscard]] virtual core::Status PutSpike(const ListenSpike& spike) = 0;
  // Newest hour first.
  [[nodiscard]] virtual core::Result<std::vector<ListenSpike>> ListSpikes(
      const ListenSpikeQuery& query) = 0;
  // When `query` last fired; nullopt: never.
  [[nodiscard]] virtual core::Result<std::optional<Time>> LastFired(std::string_view query) = 0;
};

}  // namespace lifeline::store
