// Reading the inbound webhooks' bodies and checking their signatures (webhooks.h).
#include "inbox/webhooks.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "config/values.h"
#include "core/signature.h"

namespace lifeline::inbox {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using nlohmann::json;

Result<json> ParseJson(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    return MakeError(ErrorCode::kInvalidArgument, "the body is not valid JSON");
  }
  if (!j.is_object())
    return MakeError(ErrorCode::kInvalidArgument, "the body is not a JSON object");
  return j;
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<std::int64_t>());
  return "";
}

const json* Obj(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? &*it : nullptr;
}

const json* Arr(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? &*it : nullptr;
}

// Seconds as a JSON string ("1603059201", WhatsApp) or number (Telegram).
Result<store::Time> Seconds(const json& j, const char* key, std::string_view where) {
  auto it = j.find(key);
  std::int64_t v = 0;
  bool ok = false;
  if (it != j.end() && it->is_number_integer()) {
    v = it->get<std::int64_t>();
    ok = true;
  } else if (it != j.end() && it->is_string()) {
    const std::string s = it->get<std::string>();
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    ok = ec == std::errc() && p == s.data() + s.size();
  }
  if (!ok || v < 0 || v > 32503680000LL) {
    return MakeError(ErrorCode::kInvalidArgument, "{}.{}: expected Unix seconds", where, key);
  }
  return store::FromMillis(v * 1000);
}

// A failed status's first error as people read it: "131047 Re-engagement message: More than 24
// hours have passed..." (code, title, then error_data.details or message); "" when none.
std::string StatusError(const json& s) {
  const json* errors = Arr(s, "errors");
  if (errors == nullptr || errors->empty() || !(*errors)[0].is_object()) return "";
  const json& e = (*errors)[0];
  std::string out = Str(e, "code");
  const std::string title = Str(e, "title");
  if (!title.empty()) out += (out.empty() ? "" : " ") + title;
  std::string details;
  if (const json* data = Obj(e, "error_data")) details = Str(*data, "details");
  if (details.empty()) details = Str(e, "message");
  if (!details.empty() && details != title) out += (out.empty() ? "" : ": ") + details;
  return out.substr(0, 300);
}

// The text a person would see for a WhatsApp message of any type.
void WhatsAppText(const json& m, ParsedMessage& out) {
  out.kind = Str(m, "type");
  if (out.kind.empty()) out.kind = "unknown";
  if (const json* t = Obj(m, "text")) {
    out.text = Str(*t, "body");
    return;
  }
  if (const json* media = Obj(m, out.kind.c_str())) {
    out.text = Str(*media, "caption");
    if (out.text.empty()) out.text = Str(*media, "body");
  }
  if (const json* b = Obj(m, "button")) out.text = Str(*b, "text");
  if (const json* i = Obj(m, "interactive")) {
    for (const char* k : {"button_reply", "list_reply"}) {
      if (const json* r = Obj(*i, k)) out.text = Str(*r, "title");
    }
  }
  if (out.text.empty()) out.text = "[" + out.kind + "]";
}

}  // namespace

Result<ParsedBatch> ParseWhatsApp(std::string_view body) {
  LL_ASSIGN(json j, ParseJson(body));
  if (Str(j, "object") != "whatsapp_business_account") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "object: expected \"whatsapp_business_account\" (a WhatsApp Cloud API "
                     "webhook)");
  }
  const json* entries = Arr(j, "entry");
  if (entries == nullptr) return MakeError(ErrorCode::kInvalidArgument, "entry: expected a list");
  ParsedBatch out;
  for (std::size_t e = 0; e < entries->size(); ++e) {
    const json& entry = (*entries)[e];
    const json* changes = entry.is_object() ? Arr(entry, "changes") : nullptr;
    if (changes == nullptr) {
      return MakeError(ErrorCode::kInvalidArgument, "entry[{}].changes: expected a list", e);
    }
    for (std::size_t c = 0; c < changes->size(); ++c) {
      const json& change = (*changes)[c];
      const std::string where = fmt::format("entry[{}].changes[{}].value", e, c);
      const json* value = change.is_object() ? Obj(change, "value") : nullptr;
      if (value == nullptr) {
        return MakeError(ErrorCode::kInvalidArgument, "{}: expected an object", where);
      }
      if (Str(change, "field") != "messages") {
        ++out.ignored;
        continue;
      }
      const json* metadata = Obj(*value, "metadata");
      const std::string account = metadata ? Str(*metadata, "phone_number_id") : "";
      if (account.empty()) {
        return MakeError(ErrorCode::kInvalidArgument, "{}.metadata.phone_number_id is missing",
                         where);
      }
      // contacts[] gives the senders' profile names by wa_id.
      std::vector<std::pair<std::string, std::string>> names;
      if (const json* contacts = Arr(*value, "contacts")) {
        for (const json& ct : *contacts) {
          if (!ct.is_object()) continue;
          const json* profile = Obj(ct, "profile");
          names.emplace_back(Str(ct, "wa_id"), profile ? Str(*profile, "name") : "");
        }
      }
      if (const json* messages = Arr(*value, "messages")) {
        for (std::size_t i = 0; i < messages->size(); ++i) {
          const json& m = (*messages)[i];
          const std::string mw = fmt::format("{}.messages[{}]", where, i);
          if (!m.is_object())
            return MakeError(ErrorCode::kInvalidArgument, "{}: not an object", mw);
          ParsedMessage p;
          p.account = account;
          p.platform_id = Str(m, "id");
          p.address = Str(m, "from");
          if (p.platform_id.empty() || p.address.empty()) {
            return MakeError(ErrorCode::kInvalidArgument, "{}: 'id' and 'from' are required", mw);
          }
          LL_ASSIGN(p.sent_at, Seconds(m, "timestamp", mw));
          for (const auto& [wa_id, name] : names) {
            if (wa_id == p.address) p.name = name;
          }
          WhatsAppText(m, p);
          out.messages.push_back(std::move(p));
        }
      }
      if (const json* statuses = Arr(*value, "statuses")) {
        for (std::size_t i = 0; i < statuses->size(); ++i) {
          const json& s = (*statuses)[i];
          const std::string sw = fmt::format("{}.statuses[{}]", where, i);
          if (!s.is_object())
            return MakeError(ErrorCode::kInvalidArgument, "{}: not an object", sw);
          ParsedStatus st;
          st.account = account;
          st.platform_id = Str(s, "id");
          st.status = Str(s, "status");
          st.recipient = Str(s, "recipient_id");
          if (st.platform_id.empty() || st.status.empty()) {
            return MakeError(ErrorCode::kInvalidArgument, "{}: 'id' and 'status' are required", sw);
          }
          if (st.status != "sent" && st.status != "delivered" && st.status != "read" &&
              st.status != "failed") {
            // Newer statuses (e.g. "deleted", "warning") are not about delivery: not ours.
            ++out.ignored;
            continue;
          }
          LL_ASSIGN(st.at, Seconds(s, "timestamp", sw));
          st.error = StatusError(s);
          out.statuses.push_back(std::move(st));
        }
      }
    }
  }
  return out;
}

Result<ParsedBatch> ParseMessaging(std::string_view body, std::string_view object) {
  LL_ASSIGN(json j, ParseJson(body));
  if (Str(j, "object") != object) {
    return MakeError(ErrorCode::kInvalidArgument, "object: expected \"{}\" (a {} webhook)", object,
                     object == "page" ? "Messenger" : "Instagram messaging");
  }
  const json* entries = Arr(j, "entry");
  if (entries == nullptr) return MakeError(ErrorCode::kInvalidArgument, "entry: expected a list");
  ParsedBatch out;
  for (std::size_t e = 0; e < entries->size(); ++e) {
    const json& entry = (*entries)[e];
    if (!entry.is_object()) {
      return MakeError(ErrorCode::kInvalidArgument, "entry[{}]: expected an object", e);
    }
    const std::string account = Str(entry, "id");
    if (account.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "entry[{}].id is missing", e);
    }
    const json* events = Arr(entry, "messaging");
    if (events == nullptr) {
      ++out.ignored;  // feed changes and the like: not messages
      continue;
    }
    for (std::size_t i = 0; i < events->size(); ++i) {
      const json& ev = (*events)[i];
      const std::string w = fmt::format("entry[{}].messaging[{}]", e, i);
      if (!ev.is_object()) return MakeError(ErrorCode::kInvalidArgument, "{}: not an object", w);
      const json* message = Obj(ev, "message");
      if (message == nullptr) {
        ++out.ignored;  // delivery, read, postback, reaction...
        continue;
      }
      if (auto echo = message->find("is_echo");
          echo != message->end() && echo->is_boolean() && echo->get<bool>()) {
        ++out.ignored;  // our own message, echoed back
        continue;
      }
      ParsedMessage p;
      p.account = account;
      const json* sender = Obj(ev, "sender");
      p.address = sender ? Str(*sender, "id") : "";
      p.platform_id = Str(*message, "mid");
      if (p.address.empty() || p.platform_id.empty()) {
        return MakeError(ErrorCode::kInvalidArgument, "{}: sender.id and message.mid are required",
                         w);
      }
      auto ts = ev.find("timestamp");
      if (ts == ev.end() || !ts->is_number_integer() || ts->get<std::int64_t>() < 0) {
        return MakeError(ErrorCode::kInvalidArgument, "{}.timestamp: expected milliseconds", w);
      }
      p.sent_at = store::FromMillis(ts->get<std::int64_t>());
      p.text = Str(*message, "text");
      if (p.text.empty()) {
        p.kind = "attachment";
        if (const json* att = Arr(*message, "attachments");
            att && !att->empty() && (*att)[0].is_object()) {
          // An attachment without a type stays "attachment": the store refuses an empty kind,
          // which failed the whole delivery (fuzz/webhooks_fuzz.cc).
          if (std::string type = Str((*att)[0], "type"); !type.empty()) p.kind = std::move(type);
        }
        p.text = "[" + p.kind + "]";
      }
      out.messages.push_back(std::move(p));
    }
  }
  return out;
}

namespace {

core::Status TelegramOne(const json& update, ParsedBatch& out) {
  if (!update.is_object())
    return MakeError(ErrorCode::kInvalidArgument, "an update is not an object");
  auto id = update.find("update_id");
  if (id == update.end() || !id->is_number_integer()) {
    return MakeError(ErrorCode::kInvalidArgument, "update_id is missing");
  }
  out.last_update_id = std::max(out.last_update_id, id->get<std::int64_t>());
  const json* m = nullptr;
  for (const char* k : {"message", "edited_message", "business_message"}) {
    if ((m = Obj(update, k)) != nullptr) break;
  }
  if (m == nullptr) {
    ++out.ignored;  // channel posts, callback queries, member updates...
    return core::Ok();
  }
  const json* chat = Obj(*m, "chat");
  const std::string chat_id = chat ? Str(*chat, "id") : "";
  const std::string message_id = Str(*m, "message_id");
  if (chat_id.empty() || message_id.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "message.message_id and message.chat.id are required");
  }
  ParsedMessage p;
  p.platform_id = chat_id + ":" + message_id;
  if (Obj(update, "edited_message")) {
    // An edit is a new version of the message: its own id so it is kept beside the original.
    p.platform_id += ":edit:" + Str(*m, "edit_date");
  }
  p.address = chat_id;
  if (const json* from = Obj(*m, "from")) {
    p.name = Str(*from, "first_name");
    std::string last = Str(*from, "last_name");
    if (!last.empty()) p.name += (p.name.empty() ? "" : " ") + last;
    if (p.name.empty()) p.name = Str(*from, "username");
  }
  LL_ASSIGN(p.sent_at, Seconds(*m, "date", "message"));
  p.text = Str(*m, "text");
  if (p.text.empty()) {
    p.text = Str(*m, "caption");
    p.kind = "unknown";
    for (const char* k : {"photo", "video", "voice", "audio", "document", "sticker", "location",
                          "contact", "animation", "video_note"}) {
      if (m->contains(k)) {
        p.kind = k;
        break;
      }
    }
    if (p.text.empty()) p.text = "[" + p.kind + "]";
  }
  out.messages.push_back(std::move(p));
  return core::Ok();
}

}  // namespace

Result<ParsedBatch> ParseTelegramUpdate(std::string_view body) {
  LL_ASSIGN(json j, ParseJson(body));
  ParsedBatch out;
  LL_TRY(TelegramOne(j, out));
  return out;
}

Result<ParsedBatch> ParseTelegramUpdates(std::string_view body) {
  LL_ASSIGN(json j, ParseJson(body));
  auto ok = j.find("ok");
  if (ok == j.end() || !ok->is_boolean()) {
    return MakeError(ErrorCode::kInvalidArgument, "getUpdates: 'ok' is missing");
  }
  if (!ok->get<bool>()) {
    return MakeError(ErrorCode::kUnavailable, "getUpdates: Telegram answered {}",
                     Str(j, "description").substr(0, 200));
  }
  const json* result = Arr(j, "result");
  if (result == nullptr)
    return MakeError(ErrorCode::kInvalidArgument, "getUpdates: no result list");
  ParsedBatch out;
  for (const json& u : *result) LL_TRY(TelegramOne(u, out));
  return out;
}

Result<ParsedBatch> ParseGeneric(std::string_view body) {
  LL_ASSIGN(json j, ParseJson(body));
  for (auto it = j.begin(); it != j.end(); ++it) {
    static const std::vector<std::string> kKeys = {"id",   "from", "name",
                                                   "text", "kind", "timestamp"};
    if (std::find(kKeys.begin(), kKeys.end(), it.key()) == kKeys.end()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "unknown field '{}' (allowed: id, from, name, text, kind, timestamp)",
                       it.key().substr(0, 40));
    }
  }
  ParsedMessage p;
  p.platform_id = Str(j, "id");
  p.address = Str(j, "from");
  p.name = Str(j, "name");
  p.text = Str(j, "text");
  std::string kind = Str(j, "kind");
  if (!kind.empty()) p.kind = kind;
  if (p.platform_id.empty() || p.address.empty() || p.text.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "'id', 'from' and 'text' are required strings");
  }
  auto ts = j.find("timestamp");
  if (ts != j.end() && ts->is_string()) {
    auto t = config::ParseTimestamp(ts->get<std::string>());
    if (!t.ok())
      return MakeError(ErrorCode::kInvalidArgument, "timestamp: {}", t.error().message());
    p.sent_at = store::FromSystem(*t);
  } else {
    LL_ASSIGN(p.sent_at, Seconds(j, "timestamp", "body"));
  }
  ParsedBatch out;
  out.messages.push_back(std::move(p));
  return out;
}

core::Status CheckGenericSignature(std::string_view key, std::string_view timestamp_header,
                                   std::string_view signature_header, std::string_view raw_body,
                                   store::Time now, std::chrono::seconds max_skew) {
  std::int64_t ts = 0;
  auto [p, ec] = std::from_chars(timestamp_header.data(),
                                 timestamp_header.data() + timestamp_header.size(), ts);
  if (timestamp_header.empty() || ec != std::errc() ||
      p != timestamp_header.data() + timestamp_header.size()) {
    return MakeError(ErrorCode::kUnauthenticated, "{} must be Unix seconds",
                     kGenericTimestampHeader);
  }
  const std::int64_t now_s = store::ToMillis(now) / 1000;
  if (ts < now_s - max_skew.count() || ts > now_s + max_skew.count()) {
    return MakeError(ErrorCode::kUnauthenticated,
                     "{} is {} s away from this server's clock (at most {} s): a replay, or a "
                     "clock that is off",
                     kGenericTimestampHeader, ts - now_s, max_skew.count());
  }
  std::string signed_text(timestamp_header);
  signed_text += '.';
  signed_text += raw_body;
  return core::CheckSha256Header(signature_header, key, signed_text, kGenericSignatureHeader);
}

}  // namespace lifeline::inbox
