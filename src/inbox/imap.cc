// IMAP sources over libcurl, and their pollers (imap.h).
#include "inbox/imap.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include <fmt/format.h>

#include "inbox/imap_mail.h"

namespace lifeline::inbox {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;

constexpr std::size_t kMaxMailBytes = 25 * 1024 * 1024;  // larger mail is cut (and unreadable)
constexpr std::size_t kMaxText = 60 * 1024;              // the store keeps up to 64 KiB of text

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// An IMAP quoted string.
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::size_t Collect(char* data, std::size_t size, std::size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  const std::size_t len = size * n;
  if (out->size() + len > kMaxMailBytes) return 0;  // aborts the transfer
  out->append(data, len);
  return len;
}

class CurlImap final : public ImapClient {
 public:
  explicit CurlImap(const Source& s) : source_(s) {
    const std::string& url = s.imap_url;
    const std::size_t scheme_end = url.find("://") + 3;
    const std::size_t slash = url.find('/', scheme_end);
    base_ = slash == std::string::npos ? url : url.substr(0, slash);
    std::string path = slash == std::string::npos ? "" : url.substr(slash + 1);
    while (!path.empty() && path.back() == '/') path.pop_back();
    mailbox_path_ = path.empty() ? "INBOX" : path;
    mailbox_ = PercentDecode(mailbox_path_);
    curl_ = curl_easy_init();
  }
  ~CurlImap() override {
    if (curl_ != nullptr) curl_easy_cleanup(curl_);
  }

  Result<ImapStatus> Status() override {
    LL_ASSIGN(std::string body,
              Perform(base_ + "/", "STATUS " + Quote(mailbox_) + " (UIDVALIDITY UIDNEXT)"));
    ImapStatus st = ReadImapStatus(body);
    if (st.uidvalidity < 0 || st.uidnext < 0) {
      return MakeError(ErrorCode::kUnavailable,
                       "{}: the server's STATUS answer for mailbox '{}' has no UIDVALIDITY and "
                       "UIDNEXT",
                       Where(), mailbox_);
    }
    return st;
  }

  Result<std::vector<std::int64_t>> Search(std::string_view criteria) override {
    LL_ASSIGN(std::string body, Perform(MailboxUrl(), "UID SEARCH " + std::string(criteria)));
    return ReadSearchUids(body);
  }

  Result<std::string> Fetch(std::int64_t uidvalidity, std::int64_t uid) override {
    return Perform(
        fmt::format("{}/{};UIDVALIDITY={}/;UID={}", base_, mailbox_path_, uidvalidity, uid), "");
  }

  core::Status MarkUnseen(std::int64_t uid) override {
    auto r = Perform(MailboxUrl(), fmt::format("UID STORE {} -FLAGS.SILENT (\\Seen)", uid));
    if (!r.ok()) return r.error();
    return core::Ok();
  }

 private:
  std::string MailboxUrl() const { return base_ + "/" + mailbox_path_; }
  std::string Where() const { return base_; }  // scheme://host:port: no login, no password

  Result<std::string> Perform(const std::string& url, const std::string& command) {
    if (curl_ == nullptr) return MakeError(ErrorCode::kInternal, "curl_easy_init failed");
    std::string body;
    char error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_USERNAME, source_.username.c_str());
    curl_easy_setopt(curl_, CURLOPT_PASSWORD, source_.password.c_str());
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, command.empty() ? nullptr : command.c_str());
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &Collect);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 120000L);
    curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "imap,imaps");
    if (!source_.ca_file.empty()) curl_easy_setopt(curl_, CURLOPT_CAINFO, source_.ca_file.c_str());
    const CURLcode rc = curl_easy_perform(curl_);
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, nullptr);
    if (rc == CURLE_OK) return body;
    const std::string why = error[0] != '\0' ? std::string(error) : curl_easy_strerror(rc);
    switch (rc) {
      case CURLE_LOGIN_DENIED:
        return MakeError(ErrorCode::kUnauthenticated,
                         "{}: the IMAP server refused the login for '{}' (wrong username or "
                         "password?): {}",
                         Where(), source_.username, why);
      case CURLE_REMOTE_FILE_NOT_FOUND:
        return MakeError(ErrorCode::kNotFound, "{}: {} is not there (gone, or UIDVALIDITY changed)",
                         Where(), url.substr(base_.size()));
      case CURLE_WRITE_ERROR:
        return MakeError(ErrorCode::kResourceExhausted, "{}: a message is over {} MiB", Where(),
                         kMaxMailBytes >> 20);
      default:
        return MakeError(ErrorCode::kUnavailable, "{}: {}{}", Where(),
                         command.empty() ? "" : command.substr(0, command.find(' ', 4)) + ": ",
                         why);
    }
  }

  const Source& source_;
  CURL* curl_ = nullptr;
  std::string base_;          // scheme://host[:port]
  std::string mailbox_path_;  // as in the URL (percent-encoded)
  std::string mailbox_;       // decoded, for commands
};

std::string CutText(std::string s) {
  if (s.size() <= kMaxText) return s;
  std::size_t cut = kMaxText;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  const std::size_t rest = s.size() - cut;
  s.resize(cut);
  return s + fmt::format("\n[... {} more bytes not kept]", rest);
}

}  // namespace

namespace {
// IMAP's numbers (UIDs, UIDVALIDITY) are 32-bit (RFC 3501 nz-number): a longer run of digits is
// no number, not an overflow (fuzz/webhooks_fuzz.cc).
constexpr std::int64_t kMaxImapNumber = 4294967295;
}  // namespace

ImapStatus ReadImapStatus(std::string_view body) {
  ImapStatus st;
  auto number = [&](std::string_view key) -> std::int64_t {
    auto pos = body.find(key);
    if (pos == std::string_view::npos) return -1;
    pos += key.size();
    while (pos < body.size() && body[pos] == ' ') ++pos;
    std::int64_t v = 0;
    bool any = false;
    while (pos < body.size() && std::isdigit(static_cast<unsigned char>(body[pos]))) {
      if (v <= kMaxImapNumber) v = v * 10 + (body[pos] - '0');
      ++pos;
      any = true;
    }
    return any && v <= kMaxImapNumber ? v : -1;
  };
  st.uidvalidity = number("UIDVALIDITY");
  st.uidnext = number("UIDNEXT");
  return st;
}

std::vector<std::int64_t> ReadSearchUids(std::string_view body) {
  std::vector<std::int64_t> uids;
  std::size_t pos = 0;
  while ((pos = body.find("* SEARCH", pos)) != std::string_view::npos) {
    pos += 8;
    const std::size_t end = body.find('\n', pos);
    const std::string_view line = body.substr(pos, end == std::string_view::npos ? end : end - pos);
    std::int64_t v = 0;
    bool any = false;
    for (char c : line) {
      if (std::isdigit(static_cast<unsigned char>(c))) {
        if (v <= kMaxImapNumber) v = v * 10 + (c - '0');
        any = true;
      } else {
        if (any && v <= kMaxImapNumber) uids.push_back(v);
        v = 0;
        any = false;
      }
    }
    if (any && v <= kMaxImapNumber) uids.push_back(v);
  }
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  return uids;
}

std::unique_ptr<ImapClient> MakeCurlImapClient(const Source& source) {
  static const bool init = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  (void)init;
  return std::make_unique<CurlImap>(source);
}

std::string ImapDate(store::Time t) {
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t secs = static_cast<std::time_t>(store::ToMillis(t) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{}-{}-{}", tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900);
}

Result<MailOutcome> StoreMail(Inbox& inbox, const Source& source, ImapClient& client,
                              std::int64_t uidvalidity, std::int64_t uid, bool was_unseen) {
  LL_ASSIGN(std::string raw, client.Fetch(uidvalidity, uid));
  MailOutcome out;
  auto mail = ParseMail(raw);
  if (!mail.ok()) {
    out.skipped = true;
    out.note = fmt::format("UID {}: {}", uid, mail.error().message());
  } else if (mail->automatic) {
    out.skipped = true;
    out.note = fmt::format("UID {}: sent by a machine (Auto-Submitted), not stored", uid);
  } else {
    ParsedMessage m;
    m.platform_id = !mail->message_id.empty() ? mail->message_id.substr(0, 500)
                                              : fmt::format("{}:{}", uidvalidity, uid);
    m.address = mail->from_address.substr(0, 500);
    m.name = mail->from_name.substr(0, 500);
    m.sent_at = mail->date ? *mail->date : store::FromSystem(std::chrono::system_clock::now());
    m.text = CutText(mail->text.empty() ? mail->subject : mail->text);
    m.kind = mail->kind;
    ParsedBatch batch;
    batch.messages.push_back(m);
    LL_ASSIGN(WebhookAnswer a, inbox.IngestPolled(source.name, batch));
    out.stored = a.body.value("stored", 0) > 0;
    out.sent_at = m.sent_at;
    if (a.body.contains("messages") && !a.body["messages"].empty()) {
      out.message_id = a.body["messages"][0].get<std::string>();
      // A reply answers "Re: SUBJECT"; kept even when the mail was stored before (a crash
      // between the two).
      LL_TRY(
          inbox.store().Inbox().SaveEmailHeaders({.message_id = out.message_id,
                                                  .subject = mail->subject.substr(0, 998),
                                                  .header_id = mail->header_id.substr(0, 998),
                                                  .references = mail->references.substr(0, 8000)}));
    }
  }
  if (was_unseen) {
    // Best effort: the mail is stored; a \Seen flag left set is only cosmetic.
    (void)client.MarkUnseen(uid);
  }
  return out;
}

ImapPoller::ImapPoller(Inbox& inbox, ImapConnector connect,
                       std::function<void(std::string_view)> log, core::Clock* clock)
    : inbox_(inbox),
      connect_(std::move(connect)),
      log_(std::move(log)),
      clock_(clock ? *clock : core::RealClock()) {
  for (const Source& s : inbox_.config().sources) {
    if (s.kind == SourceKind::kImap) states_[s.name] = State{};
  }
}

ImapPoller::~ImapPoller() { Stop(); }

void ImapPoller::Start() {
  for (const Source& s : inbox_.config().sources) {
    if (s.kind == SourceKind::kImap) threads_.emplace_back([this, &s] { Loop(s); });
  }
}

void ImapPoller::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

core::Status ImapPoller::PollOnce(const Source& s, ImapClient& client) {
  LL_ASSIGN(ImapStatus st, client.Status());
  store::InboxStore& db = inbox_.store().Inbox();
  LL_ASSIGN(auto cursor, db.GetImapCursor(s.name));
  const store::Time now = store::FromSystem(clock_.Now());
  if (!cursor) {
    // A new mailbox: start at its end; older mail is the catch-up's (by date).
    LL_TRY(db.SetImapCursor({s.name, st.uidvalidity, st.uidnext - 1, now}));
    if (log_) {
      log_(fmt::format("inbox: {}: reading new mail from UID {} on (UIDVALIDITY {})", s.name,
                       st.uidnext, st.uidvalidity));
    }
    return core::Ok();
  }
  std::vector<std::int64_t> uids;
  std::set<std::int64_t> unseen;
  if (cursor->uidvalidity != st.uidvalidity) {
    // The server renumbered the mailbox: UIDs after the cursor mean nothing now. Everything
    // since a day before the cursor last moved is read again; the dedup keeps each mail once.
    const std::string since = ImapDate(cursor->updated_at - std::chrono::hours(24));
    if (log_) {
      log_(
          fmt::format("inbox: {}: the mailbox's UIDVALIDITY changed ({} -> {}): reading mail "
                      "since {} again",
                      s.name, cursor->uidvalidity, st.uidvalidity, since));
    }
    LL_ASSIGN(uids, client.Search("SINCE " + since));
    LL_ASSIGN(auto u, client.Search("UNSEEN SINCE " + since));
    unseen.insert(u.begin(), u.end());
  } else {
    if (st.uidnext - 1 <= cursor->last_uid) return core::Ok();  // nothing new
    const std::string range = fmt::format("UID {}:*", cursor->last_uid + 1);
    LL_ASSIGN(uids, client.Search(range));
    // "N:*" always names the last message, even when its UID is below N.
    std::erase_if(uids, [&](std::int64_t u) { return u <= cursor->last_uid; });
    if (uids.empty()) return core::Ok();
    LL_ASSIGN(auto u, client.Search("UNSEEN " + range));
    unseen.insert(u.begin(), u.end());
  }
  std::int64_t last = cursor->uidvalidity == st.uidvalidity ? cursor->last_uid : 0;
  for (std::int64_t uid : uids) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
    }
    auto r = StoreMail(inbox_, s, client, st.uidvalidity, uid, unseen.contains(uid));
    if (!r.ok() && r.error().code() != ErrorCode::kNotFound) return r.error();
    if (r.ok()) {
      std::lock_guard lock(mu_);
      State& state = states_[s.name];
      if (r->stored) ++state.stored;
      if (r->skipped) ++state.skipped;
    }
    if (r.ok() && r->skipped && log_) log_(fmt::format("inbox: {}: {}", s.name, r->note));
    last = std::max(last, uid);
    // Only now: a crash before this line fetches the mail again, and the dedup keeps it once.
    LL_TRY(db.SetImapCursor({s.name, st.uidvalidity, last, store::FromSystem(clock_.Now())}));
  }
  if (cursor->uidvalidity != st.uidvalidity && uids.empty()) {
    LL_TRY(db.SetImapCursor({s.name, st.uidvalidity, st.uidnext - 1, now}));
  }
  return core::Ok();
}

void ImapPoller::Record(const Source& s, const core::Status& result) {
  const store::Time now = store::FromSystem(clock_.Now());
  std::string line;
  {
    std::lock_guard lock(mu_);
    State& st = states_[s.name];
    st.polled = true;
    if (result.ok()) {
      if (st.state == "failing") line = fmt::format("inbox: {}: the mailbox works again", s.name);
      st.state = "ok";
      st.error.clear();
      st.last_ok = now;
    } else {
      if (st.state != "failing" || st.error != result.error().message()) {
        line = fmt::format("inbox: {}: {} (retrying)", s.name, result.error().message());
      }
      st.state = "failing";
      st.error = result.error().message();
      st.last_error_at = now;
    }
  }
  cv_.notify_all();
  if (!line.empty() && log_) log_(line);
}

void ImapPoller::Loop(const Source& s) {
  std::unique_ptr<ImapClient> client = connect_(s);
  std::chrono::milliseconds backoff{0};
  for (;;) {
    core::Status r = client ? PollOnce(s, *client)
                            : core::Status(MakeError(ErrorCode::kInternal, "no IMAP client"));
    Record(s, r);
    if (r.ok()) {
      backoff = std::chrono::milliseconds(0);
    } else {
      // A new connection next time (the old one may be half closed), waiting longer each time.
      client = connect_(s);
      backoff = std::clamp(backoff * 2, std::chrono::milliseconds(5000),
                           std::chrono::milliseconds(300000));
    }
    std::unique_lock lock(mu_);
    const auto wait = std::max(s.interval, backoff);
    const auto deadline = clock_.Now() + wait;
    while (!stopping_ && clock_.Now() < deadline) clock_.WaitUntil(cv_, lock, deadline);
    if (stopping_) return;
  }
}

nlohmann::json ImapPoller::States() const {
  std::lock_guard lock(mu_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [name, st] : states_) {
    nlohmann::json j = {
        {"source", name},
        {"state", st.state},
        {"error", st.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(st.error)},
        {"stored", st.stored},
        {"skipped", st.skipped}};
    j["last_ok"] = st.last_ok ? nlohmann::json(core::FormatTime(*st.last_ok)) : nlohmann::json();
    j["last_error_at"] =
        st.last_error_at ? nlohmann::json(core::FormatTime(*st.last_error_at)) : nlohmann::json();
    out.push_back(std::move(j));
  }
  return out;
}

bool ImapPoller::Polled(std::string_view source) const {
  std::lock_guard lock(mu_);
  auto it = states_.find(std::string(source));
  return it != states_.end() && it->second.polled;
}

}  // namespace lifeline::inbox
