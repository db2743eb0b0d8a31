// The inbox (inbox.h): webhooks to stored messages, replies, failover moves and the sweep.
#include "inbox/inbox.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <semaphore>

#include <fmt/format.h>

#include "core/signature.h"
#include "core/types.h"
#include "inbox/imap_mail.h"
#include "inbox/webhooks.h"

namespace lifeline::inbox {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using nlohmann::json;
using store::Conversation;
using store::ConversationState;
using store::InboxMessage;

namespace {

constexpr std::chrono::hours kWindow{24};
constexpr std::chrono::seconds kMaxSkew{300};

const std::string* Find(const std::vector<std::pair<std::string, std::string>>& items,
                        std::string_view name, bool any_case) {
  for (const auto& [k, v] : items) {
    if (k.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < k.size() && same; ++i) {
      same = any_case ? std::tolower(static_cast<unsigned char>(k[i])) ==
                            std::tolower(static_cast<unsigned char>(name[i]))
                      : k[i] == name[i];
    }
    if (same) return &v;
  }
  return nullptr;
}

std::string Header(const WebhookRequest& r, std::string_view name) {
  const std::string* v = Find(r.headers, name, true);
  return v ? *v : std::string();
}

json OptTime(const std::optional<store::Time>& t) {
  return t ? json(core::FormatTime(*t)) : json(nullptr);
}

json Text(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

std::string Replace(std::string text, std::string_view name, std::string_view value) {
  const std::string key = "{" + std::string(name) + "}";
  for (auto pos = text.find(key); pos != std::string::npos; pos = text.find(key, pos)) {
    text.replace(pos, key.size(), value);
    pos += value.size();
  }
  return text;
}

// A Telegram link gets the token as its start parameter (t.me/bot?start=TOKEN: the bot then
// receives "/start TOKEN", which joins that chat to the conversation).
std::string LinkWithToken(const std::string& link, const std::string& token) {
  if (link.empty()) return "";
  if ((link.starts_with("https://t.me/") || link.starts_with("http://t.me/")) &&
      link.find('?') == std::string::npos) {
    return link + "?start=" + token + " ";
  }
  return link + " ";
}

}  // namespace

std::string NormalizeAddress(SourceKind kind, std::string_view address) {
  if (kind != SourceKind::kWhatsApp) return std::string(address);
  std::string digits;
  for (char c : address) {
    if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
  }
  return "+" + digits;
}

json ConversationJson(const Conversation& c) {
  return {{"id", c.id},
          {"contact", c.contact},
          {"name", Text(c.name)},
          {"channel", c.channel},
          {"address", c.address},
          {"state", store::ConversationStateName(c.state)},
          {"priority", c.priority},
          {"assignee", Text(c.assignee)},
          {"waiting_since", OptTime(c.waiting_since)},
          {"first_reply_at", OptTime(c.first_reply_at)},
          {"last_inbound_at", OptTime(c.last_inbound_at)},
          {"last_message_at", OptTime(c.last_message_at)},
          {"snoozed_until", OptTime(c.snoozed_until)},
          {"moved_from", Text(c.moved_from)},
          {"moved_at", OptTime(c.moved_at)},
          {"created_at", core::FormatTime(c.created_at)},
          {"updated_at", core::FormatTime(c.updated_at)}};
}

json MessageJson(const InboxMessage& m) {
  return {{"id", m.id},
          {"conversation_id", m.conversation_id},
          {"direction", m.direction == store::Direction::kIn ? "in" : "out"},
          {"channel", m.channel},
          {"address", m.address},
          {"source", m.source},
          {"platform_id", m.platform_id},
          {"sent_at", core::FormatTime(m.sent_at)},
          {"received_at", core::FormatTime(m.received_at)},
          {"text", m.text},
          {"kind", m.kind},
          {"author", Text(m.author)},
          {"relay_id", Text(m.relay_id)},
          {"status", Text(m.status)},
          // What the platform reported of our message (WhatsApp: sent, delivered, read, failed).
          {"platform_status", Text(m.platform_status)},
          {"platform_status_at",
           m.platform_status_at ? json(core::FormatTime(*m.platform_status_at)) : json(nullptr)},
          {"platform_error", Text(m.platform_error)}};
}

Inbox::Inbox(InboxConfig config, store::Store& store, Outlet& outlet, InboxOptions options)
    : config_(std::move(config)),
      store_(store),
      outlet_(outlet),
      clock_(options.clock ? *options.clock : core::RealClock()),
      options_(std::move(options)) {}

void Inbox::Log(std::string_view line) const {
  if (options_.log) options_.log(line);
}

Inbox::Counters Inbox::counters() const {
  std::lock_guard lock(counters_mu_);
  return counters_;
}

std::unique_ptr<core::Subscription> Inbox::Subscribe(
    std::function<void(const ConversationEvent&)> sink) {
  return subs_.Add(std::move(sink));
}

void Inbox::Publish(std::string change, const Conversation& c) {
  subs_.Publish(ConversationEvent{std::move(change), c});
}

std::string Inbox::ConfigContact(const std::string& channel, const std::string& address) const {
  auto it = options_.config_contacts.find({channel, address});
  return it == options_.config_contacts.end() ? std::string() : it->second;
}

const Source* Inbox::WhatsAppSourceFor(std::string_view channel) const {
  for (const auto& s : config_.sources) {
    if (s.kind == SourceKind::kWhatsApp && s.channel == channel) return &s;
  }
  return nullptr;
}

namespace {

// Runs start(done) and waits for its answer: the synchronous face of the asynchronous webhook
// path (done may be called before start returns, or later from the store's committing thread).
template <typename Start>
Result<WebhookAnswer> WaitFor(Start start) {
  std::optional<Result<WebhookAnswer>> out;
  std::binary_semaphore answered{0};
  start([&](Result<WebhookAnswer> a) {
    out.emplace(std::move(a));
    answered.release();
  });
  answered.acquire();
  return std::move(*out);
}

}  // namespace

Result<WebhookAnswer> Inbox::Webhook(const WebhookRequest& r) {
  return WaitFor([&](WebhookDone done) { WebhookAsync(r, std::move(done)); });
}

void Inbox::WebhookAsync(const WebhookRequest& r, WebhookDone done) {
  auto accepted = Accept(r);
  if (!accepted.ok()) return done(accepted.error());
  if (accepted->answer) return done(std::move(*accepted->answer));
  StoreBatchAsync(*accepted->source, std::move(accepted->batch), std::move(done));
}

Result<Inbox::Accepted> Inbox::Accept(const WebhookRequest& r) {
  const Source* src = config_.Find(r.source);
  if (src == nullptr) {
    return MakeError(ErrorCode::kNotFound, "no inbox source '{}' (inbox.sources in the config)",
                     r.source.substr(0, 64));
  }
  auto refuse = [&](core::Error e, bool signature) -> core::Error {
    {
      std::lock_guard lock(counters_mu_);
      ++(signature ? counters_.refused_signature : counters_.refused_bad);
    }
    // Never the body, the headers' values or a secret: the reason and the size only.
    Log(fmt::format("inbox: {}: refused a webhook ({} bytes): {}", src->name, r.body.size(),
                    e.message()));
    return e;
  };
  if (r.method == "GET") {
    auto v = Verify(*src, r);
    if (!v.ok()) return refuse(v.error(), false);
    return Accepted{src, std::move(*v), {}};
  }
  if (r.body.size() > config_.max_body_bytes) {
    return refuse(MakeError(ErrorCode::kResourceExhausted,
                            "the body ({} bytes) is over the inbox's limit of {} bytes; nothing "
                            "was stored",
                            r.body.size(), config_.max_body_bytes),
                  false);
  }
  // The signature first, over the raw bytes as they arrived: nothing of an unsigned body is read.
  core::Status auth = core::Ok();
  switch (src->kind) {
    case SourceKind::kWhatsApp:
    case SourceKind::kMessenger:
    case SourceKind::kInstagram:
      auth = CheckMetaSignature(src->app_secret, Header(r, kMetaSignatureHeader), r.body);
      break;
    case SourceKind::kTelegram:
      if (src->poll) {
        auth = MakeError(ErrorCode::kFailedPrecondition,
                         "source '{}' reads Telegram by polling (mode: poll), not by webhook",
                         src->name);
      } else if (!ConstantTimeEquals(Header(r, kTelegramSecretHeader), src->secret_token)) {
        auth = MakeError(ErrorCode::kUnauthenticated,
                         "{} is missing or does not match the source's secret_token",
                         kTelegramSecretHeader);
      }
      break;
    case SourceKind::kWebhook:
      auth = CheckGenericSignature(src->key, Header(r, kGenericTimestampHeader),
                                   Header(r, kGenericSignatureHeader), r.body,
                                   store::FromSystem(clock_.Now()), kMaxSkew);
      break;
    case SourceKind::kImap:
      auth = MakeError(ErrorCode::kFailedPrecondition,
                       "source '{}' reads a mailbox over IMAP, not webhooks", src->name);
      break;
  }
  if (!auth.ok()) return refuse(auth.error(), auth.error().code() == ErrorCode::kUnauthenticated);
  Result<ParsedBatch> batch = MakeError(ErrorCode::kInternal, "unparsed");
  switch (src->kind) {
    case SourceKind::kWhatsApp:
      batch = ParseWhatsApp(r.body);
      break;
    case SourceKind::kMessenger:
      batch = ParseMessaging(r.body, "page");
      break;
    case SourceKind::kInstagram:
      batch = ParseMessaging(r.body, "instagram");
      break;
    case SourceKind::kTelegram:
      batch = ParseTelegramUpdate(r.body);
      break;
    case SourceKind::kWebhook:
      batch = ParseGeneric(r.body);
      break;
    case SourceKind::kImap:
      break;  // refused above
  }
  if (!batch.ok()) return refuse(batch.error(), false);
  // A webhook for another business account is a misconfiguration: refuse all of it.
  if (!src->account.empty()) {
    auto check = [&](const std::string& account) -> core::Status {
      if (account == src->account) return core::Ok();
      return MakeError(ErrorCode::kInvalidArgument,
                       "the webhook is for account {} but source '{}' takes {} only; nothing was "
                       "stored",
                       account.substr(0, 40), src->name, src->account);
    };
    for (const auto& m : batch->messages) {
      if (auto s = check(m.account); !s.ok()) return refuse(s.error(), false);
    }
    for (const auto& st : batch->statuses) {
      if (auto s = check(st.account); !s.ok()) return refuse(s.error(), false);
    }
  }
  return Accepted{src, std::nullopt, std::move(*batch)};
}

Result<WebhookAnswer> Inbox::IngestPolled(std::string_view source, const ParsedBatch& batch) {
  const Source* src = config_.Find(source);
  if (src == nullptr) return MakeError(ErrorCode::kNotFound, "no inbox source '{}'", source);
  return StoreBatch(*src, batch);
}

Result<WebhookAnswer> Inbox::Verify(const Source& src, const WebhookRequest& r) {
  if (src.kind != SourceKind::kWhatsApp && src.kind != SourceKind::kMessenger &&
      src.kind != SourceKind::kInstagram) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "source '{}' ({}) takes POST only: GET is Meta's verification", src.name,
                     SourceKindName(src.kind));
  }
  LL_ASSIGN(std::string challenge,
            core::VerifyMetaSubscription(Find(r.query, "hub.mode", false),
                                         Find(r.query, "hub.verify_token", false),
                                         Find(r.query, "hub.challenge", false), src.verify_token));
  Log(fmt::format("inbox: {}: webhook verified by {}", src.name, SourceKindName(src.kind)));
  WebhookAnswer a;
  a.text = std::move(challenge);
  a.has_text = true;
  return a;
}

Result<WebhookAnswer> Inbox::StoreBatch(const Source& src, const ParsedBatch& batch) {
  return WaitFor([&](WebhookDone done) { StoreBatchAsync(src, batch, std::move(done)); });
}

void Inbox::StoreBatchAsync(const Source& src, ParsedBatch batch, WebhookDone done) {
  const store::Time now = store::FromSystem(clock_.Now());
  std::string platform;
  switch (src.kind) {
    case SourceKind::kWhatsApp:
      platform = "whatsapp";
      break;
    case SourceKind::kMessenger:
      platform = "messenger";
      break;
    case SourceKind::kInstagram:
      platform = "instagram";
      break;
    case SourceKind::kTelegram:
      platform = "telegram:" + src.name;  // message ids are per chat and per bot
      break;
    case SourceKind::kWebhook:
      platform = "webhook:" + src.name;
      break;
    case SourceKind::kImap:
      platform = "imap:" + src.name;  // Message-IDs (or UIDVALIDITY:UID) of its mailbox
      break;
  }
  auto p = std::make_shared<BatchResults>();
  p->left = batch.messages.size() + batch.statuses.size();
  p->messages.resize(batch.messages.size());
  p->statuses.resize(batch.statuses.size());
  p->done = std::move(done);
  const Source* s = &src;
  auto finish = [this, p, s, now, ignored = batch.ignored] { FinishBatch(*s, now, ignored, *p); };
  if (p->left == 0) return finish();
  // Each message in its own savepoint of the group commit: a retry of the batch stores only
  // what is missing, so a crash part-way loses nothing that was answered.
  for (std::size_t i = 0; i < batch.messages.size(); ++i) {
    const ParsedMessage& m = batch.messages[i];
    store::NewInbound in;
    in.source = src.name;
    in.platform = platform;
    in.platform_id = m.platform_id;
    in.channel = src.channel;
    in.address = NormalizeAddress(src.kind, m.address);
    in.name = m.name;
    in.sent_at = m.sent_at;
    in.received_at = now;
    in.text = m.text;
    in.kind = m.kind;
    in.config_contact = ConfigContact(in.channel, in.address);
    in.link_token = store::FindLinkToken(m.text);
    p->sent_at.push_back(m.sent_at);
    store_.Inbox().IngestAsync(in, [p, i, finish](Result<store::Ingested> r) {
      {
        std::lock_guard lock(p->mu);
        p->messages[i].emplace(std::move(r));
        if (--p->left > 0) return;
      }
      finish();
    });
  }
  for (std::size_t i = 0; i < batch.statuses.size(); ++i) {
    const auto& st = batch.statuses[i];
    // A status names the wamid the relay got back for our message (RelayStatusFollower records
    // it on the message); stored even when that is not known yet, and shown once it is.
    store_.Inbox().ApplyStatusAsync({.platform = platform,
                                     .remote_id = st.platform_id,
                                     .status = st.status,
                                     .at = st.at,
                                     .error = st.error,
                                     .received_at = now},
                                    [p, i, finish](Result<std::optional<std::string>> r) {
                                      {
                                        std::lock_guard lock(p->mu);
                                        p->statuses[i].emplace(std::move(r));
                                        if (--p->left > 0) return;
                                      }
                                      finish();
                                    });
  }
}

void Inbox::FinishBatch(const Source& src, store::Time now, std::size_t ignored, BatchResults& p) {
  // The webhook's answer is the first failure in the batch's order (400 for a message the store
  // refuses, else 503: the platform retries and what is stored already counts as a duplicate);
  // what was stored is published either way.
  std::optional<core::Error> failed;
  int stored = 0;
  int duplicates = 0;
  json ids = json::array();
  for (std::size_t i = 0; i < p.messages.size(); ++i) {
    const auto& r = *p.messages[i];
    if (!r.ok()) {
      Log(fmt::format("inbox: {}: storing a message failed: {}", src.name, r.error().message()));
      if (!failed) {
        failed = r.error().code() == ErrorCode::kInvalidArgument
                     ? r.error()
                     : core::Error(ErrorCode::kUnavailable,
                                   fmt::format("the message could not be stored ({}): retry",
                                               r.error().message()));
      }
      continue;
    }
    ids.push_back(r->message.id);
    if (!r->created) {
      ++duplicates;
      continue;
    }
    ++stored;
    Publish("message", r->conversation);
    // Outside business hours the customer hears when we are back (on the worker: the webhook's
    // answer does not wait for it). A backlog replayed after downtime is not answered so.
    if (config_.business_hours && now - p.sent_at[i] < std::chrono::hours(1)) {
      work_.Post([this, id = r->conversation.id] {
        if (auto s = Away(id); !s.ok()) Log("inbox: away answer: " + s.error().message());
      });
    }
  }
  int statuses = 0;
  for (const auto& slot : p.statuses) {
    const auto& r = *slot;
    if (!r.ok()) {
      Log(fmt::format("inbox: {}: storing a status failed: {}", src.name, r.error().message()));
      if (!failed) {
        failed = r.error().code() == ErrorCode::kInvalidArgument
                     ? r.error()
                     : core::Error(ErrorCode::kUnavailable,
                                   fmt::format("the status could not be stored ({}): retry",
                                               r.error().message()));
      }
      continue;
    }
    ++statuses;
    if (!r->has_value()) continue;
    // Read and published on the worker: this may run on the store's committing thread.
    work_.Post([this, id = **r] {
      if (auto c = store_.Inbox().Get(id); c.ok()) Publish("status", *c);
    });
  }
  {
    std::lock_guard lock(counters_mu_);
    counters_.stored += stored;
    counters_.duplicates += duplicates;
  }
  if (failed) return p.done(*failed);
  WebhookAnswer a;
  a.body = {{"stored", stored},
            {"duplicates", duplicates},
            {"statuses", statuses},
            {"ignored", ignored},
            {"messages", ids}};
  p.done(std::move(a));
}

Result<std::optional<store::Time>> Inbox::WindowCloses(const Conversation& c) {
  if (WhatsAppSourceFor(c.channel) == nullptr) return std::optional<store::Time>();
  LL_ASSIGN(auto msgs,
            store_.Inbox().Messages(
                {.conversation_id = c.id, .direction = store::Direction::kIn, .limit = 100000}));
  std::optional<store::Time> last;
  for (const auto& m : msgs) {
    if (m.channel == c.channel && (!last || m.sent_at > *last)) last = m.sent_at;
  }
  if (!last) return std::optional<store::Time>();
  return std::optional<store::Time>(*last + kWindow);
}

Result<InboxMessage> Inbox::Reply(std::string_view id, std::string_view text,
                                  std::string_view author, std::string_view idempotency_key) {
  if (text.empty()) return MakeError(ErrorCode::kInvalidArgument, "text: required");
  LL_ASSIGN(Conversation c, store_.Inbox().Get(id));
  const store::Time now = store::FromSystem(clock_.Now());
  if (const Source* wa = WhatsAppSourceFor(c.channel)) {
    LL_ASSIGN(auto closes, WindowCloses(c));
    if (closes && now >= *closes && wa->outside_window == OutsideWindow::kRefuse) {
      return MakeError(
          ErrorCode::kFailedPrecondition,
          "WhatsApp's 24-hour customer-service window for this conversation closed at {} (the "
          "customer last wrote on {} at {}): outside it only an approved template reaches them. "
          "Set inbox.sources.{}.outside_window: template (the channel's template: is sent with "
          "your text), or wait until the customer writes again",
          core::FormatTime(*closes), c.channel, core::FormatTime(*closes - kWindow), wa->name);
    }
  }
  OutMessage m;
  m.channel = c.channel;
  m.to = c.address;
  m.text = std::string(text);
  m.contact = c.contact.starts_with("ct_") ? "" : c.contact;
  // Without a key from the caller: the millisecond and the text, so that a double click sends
  // once and two different replies sent at once are both sent.
  m.idempotency_key = idempotency_key.empty()
                          ? fmt::format("inbox/{}/reply/{}/{}", c.id, store::ToMillis(now),
                                        core::HmacSha256Hex("reply", text).substr(0, 16))
                          : fmt::format("inbox/{}/reply/{}", c.id, idempotency_key);
  // E-mail: the reply answers the customer's last mail ("Re: SUBJECT").
  for (const auto& s : config_.sources) {
    if (s.kind != SourceKind::kImap || s.channel != c.channel) continue;
    if (auto h = store_.Inbox().LatestEmailHeaders(c.id); h.ok() && *h) {
      m.subject = ReplySubject((*h)->subject);
    }
    break;
  }
  LL_ASSIGN(SentRef sent, outlet_.Send(m));
  LL_ASSIGN(InboxMessage stored, store_.Inbox().AddOutbound({.conversation_id = c.id,
                                                             .channel = c.channel,
                                                             .address = c.address,
                                                             .relay_key = sent.key,
                                                             .relay_id = sent.id,
                                                             .text = m.text,
                                                             .author = std::string(author),
                                                             .at = now}));
  if (auto after = store_.Inbox().Get(c.id); after.ok()) Publish("reply", *after);
  return stored;
}

Result<Conversation> Inbox::Assign(std::string_view id, std::string_view assignee) {
  LL_ASSIGN(Conversation c, store_.Inbox().Update(id, {.assignee = std::string(assignee),
                                                       .at = store::FromSystem(clock_.Now())}));
  Publish("assigned", c);
  return c;
}

Result<Conversation> Inbox::SetState(std::string_view id, ConversationState state,
                                     std::optional<store::Time> snoozed_until) {
  if (state == ConversationState::kSnoozed && !snoozed_until) {
    return MakeError(ErrorCode::kInvalidArgument, "until: required to snooze");
  }
  store::ConversationPatch p;
  p.state = state;
  if (state == ConversationState::kSnoozed) p.snoozed_until = snoozed_until;
  p.at = store::FromSystem(clock_.Now());
  LL_ASSIGN(Conversation c, store_.Inbox().Update(id, p));
  Publish(std::string(store::ConversationStateName(state)), c);
  return c;
}

Result<MoveSummary> Inbox::Move(const MoveRequest& req) {
  MoveSummary sum;
  const store::Time now = store::FromSystem(clock_.Now());
  for (const auto& t : req.targets) {
    // Conversations on the failed channel with a customer waiting.
    LL_ASSIGN(auto convs, store_.Inbox().List(
                              {.channel = t.from_channel, .waiting_only = true, .limit = 100000}));
    for (const Conversation& c : convs) {
      if (c.state == ConversationState::kResolved) continue;
      const std::string key = req.key + "/" + c.id;
      LL_ASSIGN(auto done, store_.Inbox().FindMove(key));
      if (done) {
        ++sum.already;
        continue;
      }
      // The contact's address on the backup channel, else on any other channel that works.
      LL_ASSIGN(auto addresses, store_.Inbox().Addresses(c.contact));
      std::string to_channel, to_address;
      for (const auto& [ch, addr] : addresses) {
        if (ch == t.to_channel && outlet_.Accepting(ch)) {
          to_channel = ch;
          to_address = addr;
          break;
        }
      }
      if (to_channel.empty()) {
        for (const auto& [ch, addr] : addresses) {
          if (ch != t.from_channel && outlet_.Accepting(ch)) {
            to_channel = ch;
            to_address = addr;
            break;
          }
        }
      }
      if (to_channel.empty()) {
        ++sum.unreachable;
        sum.notes.push_back(fmt::format("{} ({}): no address on another working channel", c.id,
                                        c.name.empty() ? c.address : c.name));
        continue;
      }
      if (req.dry_run) {
        ++sum.would_move;
        continue;
      }
      std::string text = config_.move_text;
      text = Replace(text, "platform", t.platform_name.empty() ? t.from_channel : t.platform_name);
      text = Replace(text, "from", t.from_channel);
      text = Replace(text, "to", t.to_name.empty() ? to_channel : t.to_name);
      text = Replace(text, "link", LinkWithToken(t.link, c.link_token));
      text = Replace(text, "token", c.link_token);
      OutMessage m;
      m.channel = to_channel;
      m.to = to_address;
      m.text = text;
      m.idempotency_key = "inbox/move/" + key;
      m.incident_id = req.incident_id;
      LL_ASSIGN(SentRef sent, outlet_.Send(m));
      LL_TRY(store_.Inbox().AddOutbound({.conversation_id = c.id,
                                         .channel = to_channel,
                                         .address = to_address,
                                         .relay_key = sent.key,
                                         .relay_id = sent.id,
                                         .text = text,
                                         .at = now,
                                         .answers = false}));
      auto moved = store_.Inbox().RecordMove(
          {.key = key,
           .conversation_id = c.id,
           .incident_id = req.incident_id,
           .from_channel = t.from_channel,
           .to_channel = to_channel,
           .to_address = to_address,
           .relay_id = sent.id,
           .at = now,
           .from_address = c.address,
           .from_name = t.platform_name.empty() ? t.from_channel : t.platform_name,
           .from_link = t.from_link,
           .to_name = to_channel == t.to_channel && !t.to_name.empty() ? t.to_name : to_channel,
           .on_restoration = req.on_restoration});
      if (!moved.ok()) {
        if (moved.error().code() == ErrorCode::kAlreadyExists) {
          ++sum.already;
          continue;
        }
        return moved.error();
      }
      ++sum.moved;
      Publish("moved", *moved);
    }
  }
  return sum;
}

core::Status Inbox::Away(const std::string& conversation_id) {
  const auto now = clock_.Now();
  if (!config_.business_hours || config_.business_hours->At(now)) return core::Ok();
  LL_ASSIGN(Conversation c, store_.Inbox().Get(conversation_id));
  const auto opens = config_.business_hours->NextOpen(now);
  // Once per conversation and closed period: the period is named by when it ends.
  const std::string key =
      fmt::format("inbox/away/{}/{}", c.id, opens ? store::ToMillis(store::FromSystem(*opens)) : 0);
  std::string text = Replace(config_.away_text, "opens",
                             opens ? config_.business_hours->LocalText(*opens) : "soon");
  OutMessage m;
  m.channel = c.channel;
  m.to = c.address;
  m.text = text;
  m.idempotency_key = key;
  LL_ASSIGN(SentRef sent, outlet_.Send(m));
  auto added = store_.Inbox().AddOutbound({.conversation_id = c.id,
                                           .channel = c.channel,
                                           .address = c.address,
                                           .relay_key = sent.key,
                                           .relay_id = sent.id,
                                           .text = text,
                                           .at = store::FromSystem(now),
                                           .answers = false});
  if (!added.ok()) return added.error();
  if (auto after = store_.Inbox().Get(c.id); after.ok()) Publish("message", *after);
  return core::Ok();
}

std::unique_ptr<core::Subscription> Inbox::Watch(core::IncidentFeed& feed) {
  auto sub = feed.SubscribeIncidents([this](const core::IncidentNotice& n) {
    // Another instance's incident: that instance moves the conversations back.
    if (n.change != core::IncidentNotice::Change::kClosed || !n.here) return;
    work_.Post([this] {
      if (auto s = RestoreDue(); !s.ok()) Log("inbox: after restoration: " + s.error().message());
    });
  });
  work_.Post([this] {
    if (auto s = RestoreDue(); !s.ok()) Log("inbox: after restoration: " + s.error().message());
  });
  return sub;
}

bool Inbox::WaitIdle(std::chrono::milliseconds timeout) { return work_.WaitIdle(timeout); }

void Inbox::Stop() { work_.Stop(); }

core::Status Inbox::RestoreDue() {
  std::lock_guard guard(restore_mu_);
  LL_ASSIGN(auto pending, store_.Inbox().PendingRestorations());
  // One move that cannot be done now (its conversation unreadable, the relay refusing) is logged
  // and retried at the next closing; it never holds up the others.
  std::size_t failed = 0;
  std::string first_error;
  for (const store::Move& mv : pending) {
    if (auto s = RestoreOne(mv); !s.ok()) {
      if (failed++ == 0) first_error = s.error().message();
      Log(fmt::format("inbox: {} after restoration: {}", mv.conversation_id, s.error().message()));
    }
  }
  if (failed > 0) {
    return MakeError(ErrorCode::kUnavailable, "{} of {} moves not done yet (first: {})", failed,
                     pending.size(), first_error);
  }
  return core::Ok();
}

core::Status Inbox::RestoreOne(const store::Move& mv) {
  auto inc = store_.GetIncident(mv.incident_id);
  if (!inc.ok() && inc.error().code() != ErrorCode::kNotFound) return inc.error();
  // An incident deleted meanwhile (retention) is over too; its customers are not told.
  const bool incident_gone = !inc.ok();
  if (!incident_gone && !inc->closed_at) return core::Ok();  // still down
  {
    const store::Time now = store::FromSystem(clock_.Now());
    LL_ASSIGN(Conversation c, store_.Inbox().Get(mv.conversation_id));
    const bool back = mv.on_restoration == "back" && !incident_gone;
    std::string note;
    if (incident_gone) {
      note = "its incident is no longer stored: not told";
    } else if (c.state == ConversationState::kResolved) {
      note = "resolved meanwhile: not told";
    } else if (c.channel != mv.to_channel || c.address != mv.to_address) {
      note = fmt::format("the customer wrote on {} since: not told", c.channel);
    } else {
      std::string text = back ? config_.back_text : config_.stay_text;
      text = Replace(text, "platform", mv.from_name.empty() ? mv.from_channel : mv.from_name);
      text = Replace(text, "to", mv.to_name.empty() ? mv.to_channel : mv.to_name);
      text = Replace(text, "link", mv.from_link.empty() ? "" : mv.from_link + " ");
      while (!text.empty() && text.back() == ' ') text.pop_back();
      OutMessage m;
      m.channel = mv.to_channel;
      m.to = mv.to_address;
      m.text = text;
      m.idempotency_key = "inbox/restored/" + mv.key;
      m.incident_id = mv.incident_id;
      LL_ASSIGN(SentRef sent, outlet_.Send(m));
      LL_TRY(store_.Inbox().AddOutbound({.conversation_id = c.id,
                                         .channel = mv.to_channel,
                                         .address = mv.to_address,
                                         .relay_key = sent.key,
                                         .relay_id = sent.id,
                                         .text = text,
                                         .at = now,
                                         .answers = false}));
      note = back
                 ? fmt::format("told on {}; replies go to {} again", mv.to_channel, mv.from_channel)
                 : fmt::format("told on {}; the conversation stays there", mv.to_channel);
    }
    LL_ASSIGN(Conversation after, store_.Inbox().FinishRestoration(
                                      {.key = mv.key, .at = now, .note = note, .move_back = back}));
    Log(fmt::format("inbox: {} after {} is back: {}", c.id, mv.from_channel, note));
    Publish(after.channel != c.channel ? "moved" : "message", after);
  }
  return core::Ok();
}

Result<json> Inbox::Sweep(std::string_view incident_id) {
  LL_ASSIGN(store::Incident inc, store_.GetIncident(incident_id));
  const store::Time now = store::FromSystem(clock_.Now());
  const store::Time from = inc.opened_at;
  const store::Time to = (inc.closed_at ? *inc.closed_at : now) +
                         std::chrono::duration_cast<std::chrono::milliseconds>(config_.sweep_after);
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  LL_ASSIGN(auto waiting, store_.Inbox().List({.waiting_only = true, .limit = 100000}));
  json convs = json::array();
  for (const auto& c : waiting) {
    if (c.state == ConversationState::kResolved) continue;
    json j = ConversationJson(c);
    j["waiting_ms"] = ms(now - *c.waiting_since);
    convs.push_back(std::move(j));
  }
  LL_ASSIGN(auto arrived, store_.Inbox().Messages({.direction = store::Direction::kIn,
                                                   .received_from = from,
                                                   .received_to = to,
                                                   .limit = 100000}));
  // Sent during the incident too (a replay after downtime arrives later but was written then).
  std::vector<std::pair<InboxMessage, std::optional<store::Time>>> rows;
  std::map<std::string, Conversation> by_id;
  for (auto& m : arrived) {
    auto it = by_id.find(m.conversation_id);
    if (it == by_id.end()) {
      LL_ASSIGN(Conversation c, store_.Inbox().Get(m.conversation_id));
      it = by_id.emplace(c.id, std::move(c)).first;
    }
    const Conversation& c = it->second;
    const bool unanswered = c.waiting_since && m.sent_at >= *c.waiting_since;
    rows.emplace_back(std::move(m), unanswered ? std::optional<store::Time>(now) : std::nullopt);
  }
  // Unanswered first, longest waiting (oldest platform time) first; then the answered ones.
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    if (a.second.has_value() != b.second.has_value()) return a.second.has_value();
    return a.first.sent_at < b.first.sent_at;
  });
  json msgs = json::array();
  for (const auto& [m, waiting_now] : rows) {
    json j = MessageJson(m);
    j["answered"] = !waiting_now.has_value();
    j["waiting_ms"] = waiting_now ? json(ms(now - m.sent_at)) : json(nullptr);
    const Conversation& c = by_id.at(m.conversation_id);
    j["conversation"] = {{"id", c.id},
                         {"name", Text(c.name)},
                         {"channel", c.channel},
                         {"assignee", Text(c.assignee)},
                         {"state", store::ConversationStateName(c.state)}};
    msgs.push_back(std::move(j));
  }
  LL_ASSIGN(auto moves, store_.Inbox().Moves(incident_id));
  json mv = json::array();
  for (const auto& m : moves) {
    mv.push_back(
        {{"conversation_id", m.conversation_id},
         {"from", m.from_channel},
         {"to", m.to_channel},
         {"at", core::FormatTime(m.at)},
         {"relay_id", Text(m.relay_id)},
         {"on_restoration", Text(m.on_restoration)},
         {"restored_at", m.restored_at ? json(core::FormatTime(*m.restored_at)) : json(nullptr)},
         {"restored_note", Text(m.restored_note)}});
  }
  return json{{"incident_id", inc.id},
              {"from", core::FormatTime(from)},
              {"to", core::FormatTime(to)},
              {"open", !inc.closed_at.has_value()},
              {"waiting", convs},
              {"messages", msgs},
              {"moves", mv}};
}

}  // namespace lifeline::inbox
