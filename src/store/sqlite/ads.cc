// The SQLite ads-guard store (store/ads.h): all of its SQL.
#include "store/sqlite/ads.h"

#include <nlohmann/json.hpp>

#include "store/ads_common.h"

namespace lifeline::store::sqlite {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using Sync = Connections::Sync;

constexpr const char* kColumns =
    "id, incident_id, account, platform, campaign_id, campaign_name, policy, by_whom, state, "
    "prior_status, prior_effective, prior_budget_micros, prior_budget_kind, currency, "
    "prior_updated, marker, note, paused_at, resume_due, resumed_at, created_at, updated_at";

AdChange FromRow(const Stmt& s) {
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
  if (!s.ColNull(11)) c.prior_budget_micros = s.ColInt(11);
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

constexpr const char* kTransferColumns =
    "id, incident_id, name, from_account, campaigns_json, to_account, to_campaign, "
    "to_campaign_name, currency, amount_micros, state, by_whom, decided_by, prior_budget_micros, "
    "set_budget_micros, returned_budget_micros, note, moved_at, return_due, returned_at, "
    "created_at, updated_at";

AdTransfer TransferFromRow(const Stmt& s) {
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

// Binds every column but id (1) and the key (2, 3) from ?4 on, in kTransferColumns' order.
void BindTransfer(Stmt& s, const AdTransfer& t) {
  s.Text(4, t.from_account)
      .Text(5, nlohmann::json(t.campaigns).dump())
      .Text(6, t.to_account)
      .Text(7, t.to_campaign)
      .Text(8, t.to_campaign_name)
      .Text(9, t.currency)
      .Int(10, t.amount_micros)
      .Text(11, AdTransferStateName(t.state))
      .Text(12, t.by)
      .Text(13, t.decided_by)
      .OptInt(14, t.prior_budget_micros)
      .OptInt(15, t.set_budget_micros)
      .OptInt(16, t.returned_budget_micros)
      .Text(17, t.note)
      .OptTime(18, t.moved_at)
      .OptTime(19, t.return_due)
      .OptTime(20, t.returned_at)
      .Time(21, t.created_at)
      .Time(22, t.updated_at);
}

class SqliteAds final : public AdsStore {
 public:
  explicit SqliteAds(Connections* conns) : conns_(conns) {}

  Result<std::pair<AdChange, bool>> Record(const AdChange& c) override {
    if (auto v = internal::ValidateAdChange(c); !v) return v.error();
    return conns_->Write(
        Sync::kFull, "recording a campaign's prior state",
        [&](Db& db) -> Result<std::pair<AdChange, bool>> {
          auto ins = db.Prepare(
              "INSERT INTO ads_changes (incident_id, account, platform, campaign_id, "
              "campaign_name, policy, by_whom, state, prior_status, prior_effective, "
              "prior_budget_micros, prior_budget_kind, currency, prior_updated, marker, note, "
              "paused_at, resume_due, resumed_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, "
              "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21) "
              "ON CONFLICT (incident_id, account, campaign_id) DO NOTHING");
          if (!ins) return ins.error();
          ins->Text(1, c.incident_id)
              .Text(2, c.account)
              .Text(3, c.platform)
              .Text(4, c.campaign_id)
              .Text(5, c.campaign_name)
              .Text(6, c.policy)
              .Text(7, c.by)
              .Text(8, AdChangeStateName(c.state))
              .Text(9, c.prior_status)
              .Text(10, c.prior_effective);
          if (c.prior_budget_micros) {
            ins->Int(11, *c.prior_budget_micros);
          } else {
            ins->Null(11);
          }
          ins->Text(12, c.prior_budget_kind)
              .Text(13, c.currency)
              .Text(14, c.prior_updated)
              .Text(15, c.marker)
              .Text(16, c.note)
              .OptTime(17, c.paused_at)
              .OptTime(18, c.resume_due)
              .OptTime(19, c.resumed_at)
              .Time(20, c.created_at)
              .Time(21, c.updated_at);
          if (auto s = ins->Run(); !s) return s.error();
          const bool inserted = db.Changes() > 0;
          LL_ASSIGN(AdChange row, GetIn(db, c.incident_id, c.account, c.campaign_id));
          return std::pair<AdChange, bool>(std::move(row), inserted);
        });
  }

  Result<AdChange> Update(const AdChange& c) override {
    return conns_->Write(
        Sync::kFull, "updating a campaign change", [&](Db& db) -> Result<AdChange> {
          auto up = db.Prepare(
              "UPDATE ads_changes SET state = ?2, marker = ?3, note = ?4, paused_at = ?5, "
              "resume_due = ?6, resumed_at = ?7, updated_at = ?8, campaign_name = ?9, policy = "
              "?10, "
              "by_whom = ?11, prior_status = ?12, prior_effective = ?13, prior_budget_micros = "
              "?14, "
              "prior_budget_kind = ?15, currency = ?16, prior_updated = ?17 WHERE id = ?1");
          if (!up) return up.error();
          up->Int(1, c.id)
              .Text(2, AdChangeStateName(c.state))
              .Text(3, c.marker)
              .Text(4, c.note)
              .OptTime(5, c.paused_at)
              .OptTime(6, c.resume_due)
              .OptTime(7, c.resumed_at)
              .Time(8, c.updated_at)
              .Text(9, c.campaign_name)
              .Text(10, c.policy)
              .Text(11, c.by)
              .Text(12, c.prior_status)
              .Text(13, c.prior_effective);
          if (c.prior_budget_micros) {
            up->Int(14, *c.prior_budget_micros);
          } else {
            up->Null(14);
          }
          up->Text(15, c.prior_budget_kind).Text(16, c.currency).Text(17, c.prior_updated);
          if (auto s = up->Run(); !s) return s.error();
          if (db.Changes() == 0) {
            return MakeError(ErrorCode::kNotFound, "no recorded campaign change {}", c.id);
          }
          auto sel =
              db.Prepare(std::string("SELECT ") + kColumns + " FROM ads_changes WHERE id = ?1");
          if (!sel) return sel.error();
          sel->Int(1, c.id);
          LL_ASSIGN(bool row, sel->Step());
          if (!row) return MakeError(ErrorCode::kInternal, "campaign change {} vanished", c.id);
          AdChange out = FromRow(*sel);
          LL_TRY(sel->Run());
          return out;
        });
  }

  Result<AdChange> Get(std::string_view incident, std::string_view account,
                       std::string_view campaign) override {
    return conns_->Read("reading a campaign change", [&](Db& db) -> Result<AdChange> {
      return GetIn(db, incident, account, campaign);
    });
  }

  Result<std::vector<AdChange>> List(const AdChangeQuery& q) override {
    return conns_->Read("listing campaign changes", [&](Db& db) -> Result<std::vector<AdChange>> {
      // The newest `limit` matches, answered oldest first.
      auto sel = db.Prepare(
          std::string("SELECT * FROM (SELECT ") + kColumns +
          " FROM ads_changes WHERE (?1 = '' OR incident_id = ?1) AND (?2 = '' OR account = ?2) "
          "AND (?3 = '' OR state = ?3) AND (?4 = 0 OR state IN ('pausing', 'paused', "
          "'resuming')) ORDER BY id DESC LIMIT ?5) ORDER BY id");
      if (!sel) return sel.error();
      sel->Text(1, q.incident_id)
          .Text(2, q.account)
          .Text(3, q.state ? AdChangeStateName(*q.state) : "")
          .Int(4, q.open_only ? 1 : 0)
          .Int(5, static_cast<std::int64_t>(q.limit == 0 ? 1000 : q.limit));
      std::vector<AdChange> out;
      while (true) {
        LL_ASSIGN(bool row, sel->Step());
        if (!row) break;
        out.push_back(FromRow(*sel));
      }
      return out;
    });
  }

  Result<std::pair<AdTransfer, bool>> RecordTransfer(const AdTransfer& t) override {
    if (auto v = internal::ValidateAdTransfer(t); !v) return v.error();
    return conns_->Write(
        Sync::kFull, "recording a budget transfer",
        [&](Db& db) -> Result<std::pair<AdTransfer, bool>> {
          auto ins = db.Prepare(
              "INSERT INTO ads_transfers (id, incident_id, name, from_account, campaigns_json, "
              "to_account, to_campaign, to_campaign_name, currency, amount_micros, state, "
              "by_whom, decided_by, prior_budget_micros, set_budget_micros, "
              "returned_budget_micros, note, moved_at, return_due, returned_at, created_at, "
              "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
              "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22) ON CONFLICT (incident_id, name) DO NOTHING");
          if (!ins) return ins.error();
          ins->Null(1).Text(2, t.incident_id).Text(3, t.name);
          BindTransfer(*ins, t);
          if (auto s = ins->Run(); !s) return s.error();
          const bool inserted = db.Changes() > 0;
          auto sel = db.Prepare(std::string("SELECT ") + kTransferColumns +
                                " FROM ads_transfers WHERE incident_id = ?1 AND name = ?2");
          if (!sel) return sel.error();
          sel->Text(1, t.incident_id).Text(2, t.name);
          LL_ASSIGN(bool row, sel->Step());
          if (!row) return MakeError(ErrorCode::kInternal, "budget transfer {} vanished", t.name);
          AdTransfer out = TransferFromRow(*sel);
          LL_TRY(sel->Run());
          return std::pair<AdTransfer, bool>(std::move(out), inserted);
        });
  }

  Result<AdTransfer> UpdateTransfer(const AdTransfer& t) override {
    return conns_->Write(
        Sync::kFull, "updating a budget transfer", [&](Db& db) -> Result<AdTransfer> {
          auto up = db.Prepare(
              "UPDATE ads_transfers SET from_account = ?4, campaigns_json = ?5, to_account = ?6, "
              "to_campaign = ?7, to_campaign_name = ?8, currency = ?9, amount_micros = ?10, "
              "state = ?11, by_whom = ?12, decided_by = ?13, prior_budget_micros = ?14, "
              "set_budget_micros = ?15, returned_budget_micros = ?16, note = ?17, moved_at = ?18, "
              "return_due = ?19, returned_at = ?20, updated_at = ?22 WHERE id = ?1");
          if (!up) return up.error();
          // ?2, ?3 (the key) and ?21 (created_at) are bound and unused: they never change.
          up->Int(1, t.id).Text(2, t.incident_id).Text(3, t.name);
          BindTransfer(*up, t);
          if (auto s = up->Run(); !s) return s.error();
          if (db.Changes() == 0) {
            return MakeError(ErrorCode::kNotFound, "no budget transfer {}", t.id);
          }
          return GetTransferIn(db, t.id);
        });
  }

  Result<AdTransfer> GetTransfer(std::int64_t id) override {
    return conns_->Read("reading a budget transfer",
                        [&](Db& db) -> Result<AdTransfer> { return GetTransferIn(db, id); });
  }

  Result<std::vector<AdTransfer>> ListTransfers(const AdTransferQuery& q) override {
    return conns_->Read("listing budget transfers", [&](Db& db) -> Result<std::vector<AdTransfer>> {
      auto sel = db.Prepare(std::string("SELECT ") + kTransferColumns +
                            " FROM ads_transfers WHERE (?1 = '' OR incident_id = ?1) AND "
                            "(?2 = 0 OR state IN ('proposed', 'approved', 'moved')) ORDER BY "
                            "id DESC LIMIT ?3");
      if (!sel) return sel.error();
      sel->Text(1, q.incident_id)
          .Int(2, q.open_only ? 1 : 0)
          .Int(3, static_cast<std::int64_t>(q.limit == 0 ? 1000 : q.limit));
      std::vector<AdTransfer> out;
      while (true) {
        LL_ASSIGN(bool row, sel->Step());
        if (!row) break;
        out.push_back(TransferFromRow(*sel));
      }
      return out;
    });
  }

  Status AddCalls(std::span<const AdCallRecord> calls) override {
    if (calls.empty()) return core::Ok();
    return conns_->Write(Sync::kNormal, "recording ad platform calls", [&](Db& db) -> Status {
      auto ins = db.Prepare(
          "INSERT INTO ads_calls (incident_id, account, op, method, path, request, status, "
          "answer, usage, took_ms, failure, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
          "?11, ?12)");
      if (!ins) return ins.error();
      for (const AdCallRecord& c : calls) {
        ins->Text(1, c.incident_id)
            .Text(2, c.account)
            .Text(3, c.op)
            .Text(4, c.method)
            .Text(5, c.path)
            .Text(6, c.request)
            .Int(7, c.status)
            .Text(8, c.answer)
            .Text(9, c.usage)
            .Int(10, c.took_ms)
            .Text(11, c.failure)
            .Time(12, c.at);
        if (auto s = ins->Run(); !s) return s;
      }
      return core::Ok();
    });
  }

  Result<std::vector<AdCallRecord>> ListCalls(std::string_view incident, std::int64_t after,
                                              std::size_t limit) override {
    return conns_->Read("listing ad platform calls",
                        [&](Db& db) -> Result<std::vector<AdCallRecord>> {
                          auto sel = db.Prepare(
                              "SELECT id, incident_id, account, op, method, path, request, "
                              "status, answer, usage, took_ms, failure, at FROM ads_calls WHERE "
                              "incident_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3");
                          if (!sel) return sel.error();
                          sel->Text(1, incident)
                              .Int(2, after)
                              .Int(3, static_cast<std::int64_t>(limit == 0 ? 1000 : limit));
                          std::vector<AdCallRecord> out;
                          while (true) {
                            LL_ASSIGN(bool row, sel->Step());
                            if (!row) break;
                            AdCallRecord c;
                            c.id = sel->ColInt(0);
                            c.incident_id = sel->ColText(1);
                            c.account = sel->ColText(2);
                            c.op = sel->ColText(3);
                            c.method = sel->ColText(4);
                            c.path = sel->ColText(5);
                            c.request = sel->ColText(6);
                            c.status = static_cast<int>(sel->ColInt(7));
                            c.answer = sel->ColText(8);
                            c.usage = sel->ColText(9);
                            c.took_ms = sel->ColInt(10);
                            c.failure = sel->ColText(11);
                            c.at = sel->ColTime(12);
                            out.push_back(std::move(c));
                          }
                          return out;
                        });
  }

 private:
  static Result<AdTransfer> GetTransferIn(Db& db, std::int64_t id) {
    auto sel =
        db.Prepare(std::string("SELECT ") + kTransferColumns + " FROM ads_transfers WHERE id = ?1");
    if (!sel) return sel.error();
    sel->Int(1, id);
    LL_ASSIGN(bool row, sel->Step());
    if (!row) return MakeError(ErrorCode::kNotFound, "no budget transfer {}", id);
    AdTransfer out = TransferFromRow(*sel);
    LL_TRY(sel->Run());
    return out;
  }

  static Result<AdChange> GetIn(Db& db, std::string_view incident, std::string_view account,
                                std::string_view campaign) {
    auto sel = db.Prepare(std::string("SELECT ") + kColumns +
                          " FROM ads_changes WHERE incident_id = ?1 AND account = ?2 AND "
                          "campaign_id = ?3");
    if (!sel) return sel.error();
    sel->Text(1, incident).Text(2, account).Text(3, campaign);
    LL_ASSIGN(bool row, sel->Step());
    if (!row) {
      return MakeError(ErrorCode::kNotFound, "no change of campaign {} ({}) for incident '{}'",
                       campaign, account, incident);
    }
    AdChange out = FromRow(*sel);
    LL_TRY(sel->Run());
    return out;
  }

  Connections* conns_;
};

}  // namespace

std::unique_ptr<AdsStore> NewSqliteAds(Connections* conns) {
  return std::make_unique<SqliteAds>(conns);
}

}  // namespace lifeline::store::sqlite
