// The PostgreSQL ads-guard store (store/ads.h): all of its SQL. Changes and transfers are
// committed with synchronous_commit on (Sync::kFull): a recorded prior state survives a server
// crash and power loss before the pause call leaves. Calls are a log, written with Sync::kNormal.
#include "store/pg/ads.h"

#include <fmt/format.h>

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/ads_common.h"

namespace lifeline::store::pg {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using Sync = Pool::Sync;

// Rows per INSERT of a batch of calls: one round trip per chunk instead of one per call.
constexpr std::size_t kCallChunk = 100;

constexpr std::string_view kColumns =
    "id, incident_id, account, platform, campaign_id, campaign_name, policy, by_whom, state, "
    "prior_status, prior_effective, prior_budget_micros, prior_budget_kind, currency, "
    "prior_updated, marker, note, paused_at, resume_due, resumed_at, created_at, updated_at";

AdChange FromRow(const Row& s) {
  AdChange c;
  c.id = s.ColInt(0);
  c.incident_id = s.ColText(1);
  c.account = s.ColText(2);
  c.platform = s.ColText(3);
  c.campaign_id = s.ColText(4);
  c.campaign_name = s.ColText(5);
  c.policy = s.ColText(6);
  c.by = s.ColText(7);
  c.state = ParseAdChangeState(s.ColText(8)).value_or(AdChangeState::kFailed);
  c.prior_status = s.ColText(9);
  c.prior_effective = s.ColText(10);
  c.prior_budget_micros = s.ColOptInt(11);
  c.prior_budget_kind = s.ColText(12);
  c.currency = s.ColText(13);
  c.prior_updated = s.ColText(14);
  c.marker = s.ColText(15);
  c.note = s.ColText(16);
  c.paused_at = s.ColOptTime(17);
  c.resume_due = s.ColOptTime(18);
  c.resumed_at = s.ColOptTime(19);
  c.created_at = s.ColTime(20);
  c.updated_at = s.ColTime(21);
  return c;
}

constexpr std::string_view kTransferColumns =
    "id, incident_id, name, from_account, campaigns_json, to_account, to_campaign, "
    "to_campaign_name, currency, amount_micros, state, by_whom, decided_by, prior_budget_micros, "
    "set_budget_micros, returned_budget_micros, note, moved_at, return_due, returned_at, "
    "created_at, updated_at";

AdTransfer TransferFromRow(const Row& s) {
  AdTransfer t;
  t.id = s.ColInt(0);
  t.incident_id = s.ColText(1);
  t.name = s.ColText(2);
  t.from_account = s.ColText(3);
  auto campaigns = nlohmann::json::parse(s.ColText(4), nullptr, false);
  if (campaigns.is_array()) {
    for (const auto& c : campaigns) {
      if (c.is_string()) t.campaigns.push_back(c.get<std::string>());
    }
  }
  t.to_account = s.ColText(5);
  t.to_campaign = s.ColText(6);
  t.to_campaign_name = s.ColText(7);
  t.currency = s.ColText(8);
  t.amount_micros = s.ColInt(9);
  t.state = ParseAdTransferState(s.ColText(10)).value_or(AdTransferState::kFailed);
  t.by = s.ColText(11);
  t.decided_by = s.ColText(12);
  t.prior_budget_micros = s.ColOptInt(13);
  t.set_budget_micros = s.ColOptInt(14);
  t.returned_budget_micros = s.ColOptInt(15);
  t.note = s.ColText(16);
  t.moved_at = s.ColOptTime(17);
  t.return_due = s.ColOptTime(18);
  t.returned_at = s.ColOptTime(19);
  t.created_at = s.ColTime(20);
  t.updated_at = s.ColTime(21);
  return t;
}

Params& OptInt(Params& p, const std::optional<std::int64_t>& v) { return v ? p.Int(*v) : p.Null(); }

// Every column but id, the key (incident, name) and created_at, in kTransferColumns' order: the
// parameters after the ones a statement puts first. Then updated_at.
void AddTransferValues(Params& p, const AdTransfer& t) {
  p.Text(t.from_account)
      .Text(nlohmann::json(t.campaigns).dump())
      .Text(t.to_account)
      .Text(t.to_campaign)
      .Text(t.to_campaign_name)
      .Text(t.currency)
      .Int(t.amount_micros)
      .Text(AdTransferStateName(t.state))
      .Text(t.by)
      .Text(t.decided_by);
  OptInt(p, t.prior_budget_micros);
  OptInt(p, t.set_budget_micros);
  OptInt(p, t.returned_budget_micros);
  p.Text(t.note)
      .OptTime(t.moved_at)
      .OptTime(t.return_due)
      .OptTime(t.returned_at)
      .Time(t.updated_at);
}

Result<AdChange> GetIn(Conn& c, std::string_view incident, std::string_view account,
                       std::string_view campaign) {
  LL_ASSIGN(Rows r, c.Exec(Cat("SELECT ", kColumns,
                               " FROM ads_changes WHERE incident_id = $1::text AND account = "
                               "$2::text AND campaign_id = $3::text"),
                           Params().Text(incident).Text(account).Text(campaign),
                           "reading a campaign change"));
  if (r.empty()) {
    return MakeError(ErrorCode::kNotFound, "no change of campaign {} ({}) for incident '{}'",
                     campaign, account, incident);
  }
  return FromRow(r[0]);
}

Result<AdTransfer> GetTransferIn(Conn& c, std::int64_t id) {
  LL_ASSIGN(Rows r,
            c.Exec(Cat("SELECT ", kTransferColumns, " FROM ads_transfers WHERE id = $1::bigint"),
                   Params().Int(id), "reading a budget transfer"));
  if (r.empty()) return MakeError(ErrorCode::kNotFound, "no budget transfer {}", id);
  return TransferFromRow(r[0]);
}

std::int64_t LimitOr(std::size_t limit, std::int64_t otherwise) {
  return limit == 0 ? otherwise : static_cast<std::int64_t>(limit);
}

class PgAds final : public AdsStore {
 public:
  explicit PgAds(Pool* pool) : pool_(pool) {}

  Result<std::pair<AdChange, bool>> Record(const AdChange& ch) override {
    LL_TRY(internal::ValidateAdChange(ch));
    Params p;
    p.Text(ch.incident_id)
        .Text(ch.account)
        .Text(ch.platform)
        .Text(ch.campaign_id)
        .Text(ch.campaign_name)
        .Text(ch.policy)
        .Text(ch.by)
        .Text(AdChangeStateName(ch.state))
        .Text(ch.prior_status)
        .Text(ch.prior_effective);
    OptInt(p, ch.prior_budget_micros);
    p.Text(ch.prior_budget_kind)
        .Text(ch.currency)
        .Text(ch.prior_updated)
        .Text(ch.marker)
        .Text(ch.note)
        .OptTime(ch.paused_at)
        .OptTime(ch.resume_due)
        .OptTime(ch.resumed_at)
        .Time(ch.created_at)
        .Time(ch.updated_at);
    return pool_->Write(
        Sync::kFull, "recording a campaign's prior state",
        [&](Conn& c) -> Result<std::pair<AdChange, bool>> {
          // Of two instances recording the same campaign for the same incident, the second waits
          // for the first's insert and then stores nothing: it reads the first's row.
          LL_ASSIGN(Rows ins,
                    c.Exec("INSERT INTO ads_changes (incident_id, account, platform, campaign_id, "
                           "campaign_name, policy, by_whom, state, prior_status, "
                           "prior_effective, prior_budget_micros, prior_budget_kind, currency, "
                           "prior_updated, marker, note, paused_at, resume_due, resumed_at, "
                           "created_at, updated_at) VALUES ($1::text, $2::text, $3::text, "
                           "$4::text, $5::text, $6::text, $7::text, $8::text, $9::text, "
                           "$10::text, $11::bigint, $12::text, $13::text, $14::text, $15::text, "
                           "$16::text, $17::bigint, $18::bigint, $19::bigint, $20::bigint, "
                           "$21::bigint) ON CONFLICT (incident_id, account, campaign_id) "
                           "DO NOTHING",
                           p, "recording a campaign's prior state"));
          const bool inserted = ins.affected() > 0;
          LL_ASSIGN(AdChange row, GetIn(c, ch.incident_id, ch.account, ch.campaign_id));
          return std::pair<AdChange, bool>(std::move(row), inserted);
        });
  }

  Result<AdChange> Update(const AdChange& ch) override {
    Params p;
    p.Int(ch.id)
        .Text(AdChangeStateName(ch.state))
        .Text(ch.marker)
        .Text(ch.note)
        .OptTime(ch.paused_at)
        .OptTime(ch.resume_due)
        .OptTime(ch.resumed_at)
        .Time(ch.updated_at)
        .Text(ch.campaign_name)
        .Text(ch.policy)
        .Text(ch.by)
        .Text(ch.prior_status)
        .Text(ch.prior_effective);
    OptInt(p, ch.prior_budget_micros);
    p.Text(ch.prior_budget_kind).Text(ch.currency).Text(ch.prior_updated);
    return pool_->Write(
        Sync::kFull, "updating a campaign change", [&](Conn& c) -> Result<AdChange> {
          LL_ASSIGN(Rows up,
                    c.Exec(Cat("UPDATE ads_changes SET state = $2::text, marker = $3::text, "
                               "note = $4::text, paused_at = $5::bigint, resume_due = $6::bigint, "
                               "resumed_at = $7::bigint, updated_at = $8::bigint, "
                               "campaign_name = $9::text, policy = $10::text, by_whom = $11::text, "
                               "prior_status = $12::text, prior_effective = $13::text, "
                               "prior_budget_micros = $14::bigint, prior_budget_kind = $15::text, "
                               "currency = $16::text, prior_updated = $17::text "
                               "WHERE id = $1::bigint RETURNING ",
                               kColumns),
                           p, "updating a campaign change"));
          if (up.empty()) {
            return MakeError(ErrorCode::kNotFound, "no recorded campaign change {}", ch.id);
          }
          return FromRow(up[0]);
        });
  }

  Result<AdChange> Get(std::string_view incident, std::string_view account,
                       std::string_view campaign) override {
    return pool_->Read("reading a campaign change", [&](Conn& c) -> Result<AdChange> {
      return GetIn(c, incident, account, campaign);
    });
  }

  Result<std::vector<AdChange>> List(const AdChangeQuery& q) override {
    return pool_->Read("listing campaign changes", [&](Conn& c) -> Result<std::vector<AdChange>> {
      // The newest `limit` matches, answered oldest first.
      LL_ASSIGN(Rows r,
                c.Exec(Cat("SELECT * FROM (SELECT ", kColumns,
                           " FROM ads_changes WHERE ($1::text = '' OR incident_id = $1::text) "
                           "AND ($2::text = '' OR account = $2::text) AND ($3::text = '' OR "
                           "state = $3::text) AND (NOT $4::boolean OR state IN ('pausing', "
                           "'paused', 'resuming')) ORDER BY id DESC LIMIT $5::bigint) AS newest "
                           "ORDER BY id"),
                       Params()
                           .Text(q.incident_id)
                           .Text(q.account)
                           .Text(q.state ? AdChangeStateName(*q.state) : "")
                           .Bool(q.open_only)
                           .Int(LimitOr(q.limit, 1000)),
                       "listing campaign changes"));
      std::vector<AdChange> out;
      out.reserve(static_cast<std::size_t>(r.size()));
      for (int i = 0; i < r.size(); ++i) out.push_back(FromRow(r[i]));
      return out;
    });
  }

  Result<std::pair<AdTransfer, bool>> RecordTransfer(const AdTransfer& t) override {
    LL_TRY(internal::ValidateAdTransfer(t));
    Params p;
    p.Text(t.incident_id).Text(t.name).Time(t.created_at);
    AddTransferValues(p, t);
    return pool_->Write(
        Sync::kFull, "recording a budget transfer",
        [&](Conn& c) -> Result<std::pair<AdTransfer, bool>> {
          LL_ASSIGN(Rows ins,
                    c.Exec("INSERT INTO ads_transfers (incident_id, name, created_at, "
                           "from_account, campaigns_json, to_account, to_campaign, "
                           "to_campaign_name, currency, amount_micros, state, by_whom, "
                           "decided_by, prior_budget_micros, set_budget_micros, "
                           "returned_budget_micros, note, moved_at, return_due, returned_at, "
                           "updated_at) VALUES ($1::text, $2::text, $3::bigint, $4::text, "
                           "$5::text, $6::text, $7::text, $8::text, $9::text, $10::bigint, "
                           "$11::text, $12::text, $13::text, $14::bigint, $15::bigint, "
                           "$16::bigint, $17::text, $18::bigint, $19::bigint, $20::bigint, "
                           "$21::bigint) ON CONFLICT (incident_id, name) DO NOTHING",
                           p, "recording a budget transfer"));
          const bool inserted = ins.affected() > 0;
          LL_ASSIGN(Rows r, c.Exec(Cat("SELECT ", kTransferColumns,
                                       " FROM ads_transfers WHERE incident_id = $1::text AND "
                                       "name = $2::text"),
                                   Params().Text(t.incident_id).Text(t.name),
                                   "recording a budget transfer"));
          if (r.empty()) {
            return MakeError(ErrorCode::kInternal, "budget transfer {} vanished", t.name);
          }
          return std::pair<AdTransfer, bool>(TransferFromRow(r[0]), inserted);
        });
  }

  Result<AdTransfer> UpdateTransfer(const AdTransfer& t) override {
    Params p;
    p.Int(t.id);
    AddTransferValues(p, t);
    return pool_->Write(
        Sync::kFull, "updating a budget transfer", [&](Conn& c) -> Result<AdTransfer> {
          // The key (incident, name) and created_at never change.
          LL_ASSIGN(Rows up,
                    c.Exec(Cat("UPDATE ads_transfers SET from_account = $2::text, "
                               "campaigns_json = $3::text, to_account = $4::text, "
                               "to_campaign = $5::text, to_campaign_name = $6::text, "
                               "currency = $7::text, amount_micros = $8::bigint, "
                               "state = $9::text, by_whom = $10::text, decided_by = $11::text, "
                               "prior_budget_micros = $12::bigint, set_budget_micros = "
                               "$13::bigint, returned_budget_micros = $14::bigint, note = "
                               "$15::text, moved_at = $16::bigint, return_due = $17::bigint, "
                               "returned_at = $18::bigint, updated_at = $19::bigint "
                               "WHERE id = $1::bigint RETURNING ",
                               kTransferColumns),
                           p, "updating a budget transfer"));
          if (up.empty()) return MakeError(ErrorCode::kNotFound, "no budget transfer {}", t.id);
          return TransferFromRow(up[0]);
        });
  }

  Result<AdTransfer> GetTransfer(std::int64_t id) override {
    return pool_->Read("reading a budget transfer",
                       [&](Conn& c) -> Result<AdTransfer> { return GetTransferIn(c, id); });
  }

  Result<std::vector<AdTransfer>> ListTransfers(const AdTransferQuery& q) override {
    return pool_->Read("listing budget transfers", [&](Conn& c) -> Result<std::vector<AdTransfer>> {
      LL_ASSIGN(Rows r,
                c.Exec(Cat("SELECT ", kTransferColumns,
                           " FROM ads_transfers WHERE ($1::text = '' OR incident_id = "
                           "$1::text) AND (NOT $2::boolean OR state IN ('proposed', "
                           "'approved', 'moved')) ORDER BY id DESC LIMIT $3::bigint"),
                       Params().Text(q.incident_id).Bool(q.open_only).Int(LimitOr(q.limit, 1000)),
                       "listing budget transfers"));
      std::vector<AdTransfer> out;
      out.reserve(static_cast<std::size_t>(r.size()));
      for (int i = 0; i < r.size(); ++i) out.push_back(TransferFromRow(r[i]));
      return out;
    });
  }

  Status AddCalls(std::span<const AdCallRecord> calls) override {
    if (calls.empty()) return core::Ok();
    return pool_->Write(Sync::kNormal, "recording ad platform calls", [&](Conn& c) -> Status {
      for (std::size_t from = 0; from < calls.size(); from += kCallChunk) {
        const std::size_t n = std::min(kCallChunk, calls.size() - from);
        std::string sql =
            "INSERT INTO ads_calls (incident_id, account, op, method, path, request, status, "
            "answer, usage, took_ms, failure, at) VALUES ";
        Params p;
        for (std::size_t i = 0; i < n; ++i) {
          const AdCallRecord& a = calls[from + i];
          const int b = static_cast<int>(i) * 12;
          sql += fmt::format(
              "{}(${}::text, ${}::text, ${}::text, ${}::text, ${}::text, ${}::text, ${}::integer, "
              "${}::text, ${}::text, ${}::bigint, ${}::text, ${}::bigint)",
              i == 0 ? "" : ", ", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9,
              b + 10, b + 11, b + 12);
          p.Text(a.incident_id)
              .Text(a.account)
              .Text(a.op)
              .Text(a.method)
              .Text(a.path)
              .Text(a.request)
              .Int(a.status)
              .Text(a.answer)
              .Text(a.usage)
              .Int(a.took_ms)
              .Text(a.failure)
              .Time(a.at);
        }
        // Rows keep the batch's order: a multi-row VALUES inserts (and draws ids) in order.
        LL_ASSIGN(Rows r, c.ExecOnce(sql, p, "recording ad platform calls"));
        (void)r;
      }
      return core::Ok();
    });
  }

  Result<std::vector<AdCallRecord>> ListCalls(std::string_view incident, std::int64_t after,
                                              std::size_t limit) override {
    return pool_->Read(
        "listing ad platform calls", [&](Conn& c) -> Result<std::vector<AdCallRecord>> {
          LL_ASSIGN(Rows r,
                    c.Exec("SELECT id, incident_id, account, op, method, path, request, status, "
                           "answer, usage, took_ms, failure, at FROM ads_calls WHERE "
                           "incident_id = $1::text AND id > $2::bigint ORDER BY id "
                           "LIMIT $3::bigint",
                           Params().Text(incident).Int(after).Int(LimitOr(limit, 1000)),
                           "listing ad platform calls"));
          std::vector<AdCallRecord> out;
          out.reserve(static_cast<std::size_t>(r.size()));
          for (int i = 0; i < r.size(); ++i) {
            Row s = r[i];
            AdCallRecord a;
            a.id = s.ColInt(0);
            a.incident_id = s.ColText(1);
            a.account = s.ColText(2);
            a.op = s.ColText(3);
            a.method = s.ColText(4);
            a.path = s.ColText(5);
            a.request = s.ColText(6);
            a.status = static_cast<int>(s.ColInt(7));
            a.answer = s.ColText(8);
            a.usage = s.ColText(9);
            a.took_ms = s.ColInt(10);
            a.failure = s.ColText(11);
            a.at = s.ColTime(12);
            out.push_back(std::move(a));
          }
          return out;
        });
  }

 private:
  Pool* pool_;  // owned by the PgStore; its own mutex guards the idle sessions
};

}  // namespace

std::unique_ptr<AdsStore> NewPgAds(Pool* pool) { return std::make_unique<PgAds>(pool); }

}  // namespace lifeline::store::pg
