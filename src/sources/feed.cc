// Reads RSS and Atom incident feeds with libxml2 (XML, and its HTML parser for the escaped HTML in
// descriptions) and judges which incidents are still active; never hand-parses markup.
#include "sources/feed.h"

#include <libxml/HTMLparser.h>
#include <libxml/hash.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <map>
#include <memory>
#include <mutex>

namespace lifeline::sources {
namespace {

using TimePoint = std::chrono::system_clock::time_point;

constexpr const char* kAtomNs = "http://www.w3.org/2005/Atom";
constexpr const char* kRdfNs = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
constexpr const char* kRss1Ns = "http://purl.org/rss/1.0/";
constexpr const char* kContentNs = "http://purl.org/rss/1.0/modules/content/";
constexpr const char* kDcNs = "http://purl.org/dc/elements/1.1/";

// What an update's latest text or status label says when the incident is over. "scheduled" only
// counts as a label: a maintenance announced for later is not under way.
constexpr std::array<std::string_view, 6> kOverWords = {"resolved",   "completed",   "restored",
                                                        "postmortem", "post-mortem", "post mortem"};
constexpr std::array<std::string_view, 4> kMajorWords = {"outage", "outages", "down",
                                                         "unavailable"};

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocFree>;
struct CtxtFree {
  void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};
struct XmlFree {
  void operator()(xmlChar* s) const { xmlFree(s); }
};

// libxml2 wants its global state set up once before parsers run on several threads.
void InitLibxml() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Collapses every run of whitespace to one space and trims the ends.
std::string Squash(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Whether `lower_text` contains `word` (lowercase) with no letter or digit on either side.
bool HasWord(std::string_view lower_text, std::string_view word) {
  for (std::size_t at = lower_text.find(word); at != std::string_view::npos;
       at = lower_text.find(word, at + 1)) {
    bool left = at == 0 || !IsWordChar(lower_text[at - 1]);
    std::size_t end = at + word.size();
    bool right = end == lower_text.size() || !IsWordChar(lower_text[end]);
    if (left && right) return true;
  }
  return false;
}

template <std::size_t N>
bool HasAnyWord(std::string_view lower_text, const std::array<std::string_view, N>& words) {
  return std::any_of(words.begin(), words.end(),
                     [&](std::string_view w) { return HasWord(lower_text, w); });
}

// ---- XML helpers ----

bool Is(const xmlNode* n, const char* local, const char* ns) {
  if (n == nullptr || n->type != XML_ELEMENT_NODE) return false;
  if (!xmlStrEqual(n->name, BAD_CAST local)) return false;
  if (ns == nullptr) return n->ns == nullptr;
  return n->ns != nullptr && xmlStrEqual(n->ns->href, BAD_CAST ns);
}

const xmlNode* Child(const xmlNode* parent, const char* local, const char* ns) {
  for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (Is(c, local, ns)) return c;
  }
  return nullptr;
}

std::string Content(const xmlNode* n) {
  if (n == nullptr) return {};
  std::unique_ptr<xmlChar, XmlFree> text(xmlNodeGetContent(n));
  return text ? std::string(reinterpret_cast<const char*>(text.get())) : std::string();
}

std::string Attr(const xmlNode* n, const char* name) {
  std::unique_ptr<xmlChar, XmlFree> v(xmlGetProp(n, BAD_CAST name));
  return v ? std::string(reinterpret_cast<const char*>(v.get())) : std::string();
}

std::string TrimmedContent(const xmlNode* n) { return Squash(Content(n)); }

// ---- HTML in descriptions ----

// What an update's HTML says: the text of its first paragraph (feeds that carry every update of
// an incident in one description, like Statuspage's, list the newest first) and the short
// bold label that starts it on Statuspage ("Resolved", "Investigating"), lowercase.
struct UpdateText {
  std::string latest;
  std::string label;
};

bool IsInline(const xmlNode* n) {
  static constexpr std::array<std::string_view, 11> kInline = {
      "a", "b", "strong", "em", "i", "span", "var", "code", "u", "abbr", "time"};
  std::string_view name(reinterpret_cast<const char*>(n->name));
  return std::find(kInline.begin(), kInline.end(), name) != kInline.end();
}

// Text of `n` with a space at every block boundary ("UTC<br>Resolved" reads "UTC Resolved").
void CollectText(const xmlNode* n, std::string* out) {
  for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      if (c->content != nullptr) *out += reinterpret_cast<const char*>(c->content);
    } else if (c->type == XML_ELEMENT_NODE) {
      bool block = !IsInline(c);
      if (block) *out += ' ';
      CollectText(c, out);
      if (block) *out += ' ';
    }
  }
}

const xmlNode* FirstElement(const xmlNode* n, const char* name) {
  for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (xmlStrEqual(c->name, BAD_CAST name)) return c;
    if (const xmlNode* found = FirstElement(c, name)) return found;
  }
  return nullptr;
}

UpdateText ReadHtml(std::string_view html) {
  UpdateText out;
  if (Squash(html).empty() || html.size() > INT_MAX) return out;
  DocPtr doc(htmlReadMemory(html.data(), static_cast<int>(html.size()), nullptr, "UTF-8",
                            HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET));
  const xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
  if (root == nullptr) {
    out.latest = Squash(html);
    return out;
  }
  const xmlNode* scope = FirstElement(root, "p");
  if (scope == nullptr) scope = root;
  std::string text;
  CollectText(scope, &text);
  out.latest = Squash(text);
  const xmlNode* label = FirstElement(scope, "strong");
  if (label == nullptr) label = FirstElement(scope, "b");
  if (label != nullptr) {
    std::string l;
    CollectText(label, &l);
    l = Squash(l);
    // A label introduces the update ("Resolved - ...", "Status:"); bold words inside a sentence
    // are emphasis, not a status.
    std::size_t at = l.empty() ? std::string::npos : out.latest.find(l);
    bool colon = !l.empty() && l.back() == ':';
    std::string_view after = at == std::string::npos
                                 ? std::string_view()
                                 : std::string_view(out.latest).substr(at + l.size());
    while (!after.empty() && after.front() == ' ') after.remove_prefix(1);
    bool dash = after.starts_with("-") || after.starts_with(":") ||
                after.starts_with("\xE2\x80\x93") || after.starts_with("\xE2\x80\x94");
    if (colon) l.pop_back();
    if (at != std::string::npos && (colon || dash) && !l.empty() && l.size() <= 40) {
      out.label = Lower(Squash(l));
    }
  }
  return out;
}

UpdateText ReadPlain(std::string_view text) { return UpdateText{Squash(text), ""}; }

// Atom text constructs: type text (default), html (escaped) or xhtml (a div of real elements).
UpdateText ReadAtomText(const xmlNode* n) {
  if (n == nullptr) return {};
  std::string type = Attr(n, "type");
  if (type == "html" || type == "text/html") return ReadHtml(Content(n));
  if (type == "xhtml" || type == "application/xhtml+xml") {
    std::unique_ptr<xmlBuffer, decltype(&xmlBufferFree)> buf(xmlBufferCreate(), &xmlBufferFree);
    if (!buf) return {};
    for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
      xmlNodeDump(buf.get(), n->doc, const_cast<xmlNode*>(c), 0, 0);
    }
    return ReadHtml(std::string_view(reinterpret_cast<const char*>(xmlBufferContent(buf.get())),
                                     static_cast<std::size_t>(xmlBufferLength(buf.get()))));
  }
  return ReadPlain(Content(n));
}

// ---- the feed model ----

struct Item {
  std::string id;  // guid (RSS) or id (Atom)
  std::string title;
  std::string link;
  std::optional<TimePoint> at;
  UpdateText text;
  std::string author;  // RSS <author> or <dc:creator>, Atom <author><name> (ReadFeedItems)
};

std::optional<TimePoint> AnyTime(std::string_view text) {
  std::string t = Squash(text);
  if (t.empty()) return std::nullopt;
  if (auto a = ParseRfc822Time(t)) return a;
  return ParseRfc3339Time(t);
}

std::vector<Item> RssItems(const xmlNode* root, bool rss1) {
  const char* ns = rss1 ? kRss1Ns : nullptr;
  std::vector<Item> items;
  // RSS 2.0 keeps items in <channel>; RSS 1.0 beside it, under the root.
  const xmlNode* holder = rss1 ? root : Child(root, "channel", nullptr);
  if (holder == nullptr) return items;
  for (const xmlNode* n = holder->children; n != nullptr; n = n->next) {
    if (!Is(n, "item", ns)) continue;
    Item item;
    item.title = TrimmedContent(Child(n, "title", ns));
    item.link = TrimmedContent(Child(n, "link", ns));
    std::string guid = TrimmedContent(Child(n, "guid", nullptr));
    if (rss1 && guid.empty()) guid = Squash(Attr(n, "about"));
    item.id = guid;
    std::string html = Content(Child(n, "description", ns));
    if (Squash(html).empty()) html = Content(Child(n, "encoded", kContentNs));
    item.text = ReadHtml(html);
    if (const xmlNode* d = Child(n, "pubDate", nullptr)) item.at = AnyTime(Content(d));
    if (!item.at) {
      if (const xmlNode* d = Child(n, "date", kDcNs)) item.at = AnyTime(Content(d));
    }
    item.author = TrimmedContent(Child(n, "creator", kDcNs));
    if (item.author.empty()) item.author = TrimmedContent(Child(n, "author", nullptr));
    items.push_back(std::move(item));
  }
  return items;
}

std::string AtomLink(const xmlNode* entry, const char* ns) {
  std::string first;
  for (const xmlNode* c = entry->children; c != nullptr; c = c->next) {
    if (!Is(c, "link", ns)) continue;
    std::string rel = Attr(c, "rel");
    std::string href = Squash(Attr(c, "href"));
    if (rel.empty() || rel == "alternate") return href;
    if (first.empty()) first = href;
  }
  return first;
}

std::vector<Item> AtomItems(const xmlNode* root) {
  // Children use the root's namespace (Atom 1.0, or none for a sloppy feed).
  const char* ns = root->ns != nullptr ? kAtomNs : nullptr;
  std::vector<Item> items;
  for (const xmlNode* n = root->children; n != nullptr; n = n->next) {
    if (!Is(n, "entry", ns)) continue;
    Item item;
    const xmlNode* title = Child(n, "title", ns);
    item.title = ReadAtomText(title).latest;
    item.link = AtomLink(n, ns);
    std::string id = TrimmedContent(Child(n, "id", ns));
    item.id = id;
    const xmlNode* body = Child(n, "content", ns);
    if (body == nullptr || TrimmedContent(body).empty()) body = Child(n, "summary", ns);
    item.text = ReadAtomText(body);
    if (const xmlNode* d = Child(n, "updated", ns)) item.at = AnyTime(Content(d));
    if (!item.at) {
      if (const xmlNode* d = Child(n, "published", ns)) item.at = AnyTime(Content(d));
    }
    if (const xmlNode* a = Child(n, "author", ns))
      item.author = TrimmedContent(Child(a, "name", ns));
    items.push_back(std::move(item));
  }
  return items;
}

std::string RootName(const xmlNode* root) {
  std::string name = reinterpret_cast<const char*>(root->name);
  if (root->ns != nullptr && root->ns->prefix != nullptr) {
    name = std::string(reinterpret_cast<const char*>(root->ns->prefix)) + ":" + name;
  }
  return "<" + name + ">";
}

core::Result<DocPtr> ReadXml(std::string_view body) {
  if (Squash(body).empty()) return core::MakeError(core::ErrorCode::kInvalidArgument, "empty body");
  if (body.size() > INT_MAX) {
    return core::MakeError(core::ErrorCode::kResourceExhausted, "{} bytes is too large",
                           body.size());
  }
  std::unique_ptr<xmlParserCtxt, CtxtFree> ctxt(xmlNewParserCtxt());
  if (!ctxt) return core::MakeError(core::ErrorCode::kInternal, "libxml2: no parser context");
  // No network, no entity substitution, no DTD loading; CDATA read as text.
  DocPtr doc(xmlCtxtReadMemory(
      ctxt.get(), body.data(), static_cast<int>(body.size()), nullptr, nullptr,
      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA));
  if (!doc || !ctxt->wellFormed) {
    const xmlError* e = xmlCtxtGetLastError(ctxt.get());
    std::string what = e != nullptr && e->message != nullptr ? Squash(e->message) : "unreadable";
    int line = e != nullptr ? e->line : 0;
    return core::MakeError(core::ErrorCode::kInvalidArgument, "not well-formed XML (line {}: {})",
                           line, what);
  }
  // A feed has no business declaring entities; refusing them rules out expansion bombs.
  if (doc->intSubset != nullptr && doc->intSubset->entities != nullptr &&
      xmlHashSize(static_cast<xmlHashTablePtr>(doc->intSubset->entities)) > 0) {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "the feed declares its own XML entities (refused)");
  }
  return doc;
}

}  // namespace

core::Result<std::vector<FeedItem>> ReadFeedItems(std::string_view body) {
  InitLibxml();
  auto doc = ReadXml(body);
  if (!doc.ok()) return doc.error();
  const xmlNode* root = xmlDocGetRootElement(doc.value().get());
  if (root == nullptr) return core::MakeError(core::ErrorCode::kInvalidArgument, "no root element");
  const bool rss1 = Is(root, "RDF", kRdfNs);
  const bool atom = Is(root, "feed", kAtomNs) || Is(root, "feed", nullptr);
  if (!atom && !rss1 && !Is(root, "rss", nullptr)) {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "root element is {}, not <rss>, <rdf:RDF> or <feed>", RootName(root));
  }
  std::vector<FeedItem> out;
  for (Item& item : atom ? AtomItems(root) : RssItems(root, rss1)) {
    out.push_back({std::move(item.id), std::move(item.title), std::move(item.link),
                   std::move(item.author), std::move(item.text.latest), item.at});
  }
  return out;
}

std::optional<FeedKind> FeedKindByName(std::string_view name) {
  if (name == "rss") return FeedKind::kRss;
  if (name == "atom") return FeedKind::kAtom;
  if (name == "feed") return FeedKind::kAny;
  return std::nullopt;
}

core::Result<StatusPageState> ParseIncidentFeed(std::string_view body, const FeedOptions& options) {
  InitLibxml();
  auto doc = ReadXml(body);
  if (!doc.ok()) return doc.error();
  const xmlNode* root = xmlDocGetRootElement(doc.value().get());
  if (root == nullptr) return core::MakeError(core::ErrorCode::kInvalidArgument, "no root element");

  const bool rss2 = Is(root, "rss", nullptr);
  const bool rss1 = Is(root, "RDF", kRdfNs);
  const bool atom = Is(root, "feed", kAtomNs) || Is(root, "feed", nullptr);
  const bool want_rss = options.kind != FeedKind::kAtom;
  const bool want_atom = options.kind != FeedKind::kRss;
  if (!((want_rss && (rss2 || rss1)) || (want_atom && atom))) {
    const char* expected = options.kind == FeedKind::kRss    ? "<rss> (RSS 2.0) or <rdf:RDF>"
                           : options.kind == FeedKind::kAtom ? "<feed> (Atom 1.0)"
                                                             : "<rss>, <rdf:RDF> or <feed>";
    std::string hint;
    if (options.kind == FeedKind::kRss && atom) hint = "; it is an Atom feed: use kind atom";
    if (options.kind == FeedKind::kAtom && (rss2 || rss1)) {
      hint = "; it is an RSS feed: use kind rss";
    }
    return core::MakeError(core::ErrorCode::kInvalidArgument, "root element is {}, not {}{}",
                           RootName(root), expected, hint);
  }
  std::vector<Item> items = atom && want_atom ? AtomItems(root) : RssItems(root, rss1);
  // The feed's own home page: items that all link there say nothing about which incident.
  std::string home;
  if (atom && want_atom) {
    home = AtomLink(root, root->ns != nullptr ? kAtomNs : nullptr);
  } else if (const xmlNode* channel = Child(root, "channel", rss1 ? kRss1Ns : nullptr)) {
    home = TrimmedContent(Child(channel, "link", rss1 ? kRss1Ns : nullptr));
  }

  // The newest dated update of each incident (an undated one only if it has no dated update).
  std::vector<std::size_t> latest;  // indexes into items, first-seen order
  std::map<std::string, std::size_t> by_key;
  for (std::size_t i = 0; i < items.size(); ++i) {
    // Which incident an item is about: its link (feeds with one item per update give each its own
    // guid but link them all to the incident's page), else its guid/id, else its title.
    const Item& item = items[i];
    const std::string key = !item.link.empty() && item.link != home ? "link " + item.link
                            : !item.id.empty()                      ? "id " + item.id
                                                                    : "title " + item.title;
    auto [it, inserted] = by_key.emplace(key, latest.size());
    if (inserted) {
      latest.push_back(i);
      continue;
    }
    const Item& held = items[latest[it->second]];
    if (items[i].at && (!held.at || *items[i].at > *held.at)) latest[it->second] = i;
  }

  struct Active {
    const Item* item;
    StatusIncident incident;
  };
  std::vector<Active> active;
  const TimePoint since = options.now - options.window;
  for (std::size_t i : latest) {
    const Item& item = items[i];
    // Undated: when it happened cannot be told, and an old one must not count forever.
    if (!item.at || *item.at < since) continue;
    const std::string title = Lower(item.title);
    const std::string text = Lower(item.text.latest);
    const std::string& label = item.text.label;
    bool over = HasAnyWord(title, kOverWords) ||
                (label.empty() ? HasAnyWord(text, kOverWords)
                               : HasAnyWord(label, kOverWords) || HasWord(label, "scheduled"));
    if (over) continue;
    StatusIncident incident;
    incident.name = item.title.empty() ? "Untitled incident" : item.title;
    if (HasAnyWord(title, kMajorWords) || HasAnyWord(text, kMajorWords)) {
      incident.impact = "major";
    } else if (HasWord(title, "maintenance") || HasWord(text, "maintenance")) {
      incident.impact = "maintenance";
    } else {
      incident.impact = "minor";
    }
    incident.status = label;
    std::replace(incident.status.begin(), incident.status.end(), ' ', '_');
    incident.url = item.link;
    incident.updated_at = item.at;
    active.push_back({&item, std::move(incident)});
  }
  std::stable_sort(active.begin(), active.end(),
                   [](const Active& a, const Active& b) { return *a.item->at > *b.item->at; });

  StatusPageState state;
  state.fetched = true;
  state.indicator = "none";
  state.description = "No active incidents";
  auto rank = [](std::string_view impact) {
    return impact == "major" ? 3 : impact == "minor" ? 2 : impact == "maintenance" ? 1 : 0;
  };
  for (auto& a : active) {
    if (rank(a.incident.impact) > rank(state.indicator)) state.indicator = a.incident.impact;
    state.incidents.push_back(std::move(a.incident));
  }
  if (!state.incidents.empty()) state.description = state.incidents.front().name;
  return state;
}

// ---- dates ----

namespace {

std::optional<TimePoint> MakeTime(int year, unsigned month, unsigned day, int hour, int minute,
                                  int second, int offset_minutes) {
  std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(month),
                                  std::chrono::day(day)};
  if (!ymd.ok() || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 ||
      second > 60) {
    return std::nullopt;
  }
  // The clock counts nanoseconds in 64 bits (years 1677 to 2262): a year outside it would
  // overflow, and is no date a feed means (fuzz/feed_fuzz.cc found "4717-11-27").
  if (year < 1678 || year > 2261) return std::nullopt;
  auto t = std::chrono::sys_days(ymd) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
           std::chrono::seconds(second) - std::chrono::minutes(offset_minutes);
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(t);
}

// Reads exactly `n` digits at `*at`.
bool Digits(std::string_view s, std::size_t* at, std::size_t n, int* out) {
  if (*at + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[*at + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + (c - '0');
  }
  *at += n;
  *out = v;
  return true;
}

// Reads 1 or more digits.
bool Number(std::string_view s, std::size_t* at, int* out) {
  std::size_t start = *at;
  int v = 0;
  while (*at < s.size() && std::isdigit(static_cast<unsigned char>(s[*at])) && *at - start < 9) {
    v = v * 10 + (s[*at] - '0');
    ++*at;
  }
  *out = v;
  return *at > start;
}

std::optional<int> ZoneOffsetMinutes(std::string_view zone) {
  if (zone.empty()) return 0;
  if (zone[0] == '+' || zone[0] == '-') {
    std::string digits;
    for (char c : zone.substr(1)) {
      if (c != ':') digits += c;
    }
    std::size_t at = 0;
    int hh = 0, mm = 0;
    if (digits.size() != 4 || !Digits(digits, &at, 2, &hh) || !Digits(digits, &at, 2, &mm)) {
      return std::nullopt;
    }
    int total = hh * 60 + mm;
    return zone[0] == '-' ? -total : total;
  }
  static const std::map<std::string, int> kNamed = {
      {"gmt", 0},       {"ut", 0},        {"utc", 0},       {"z", 0},
      {"est", -5 * 60}, {"edt", -4 * 60}, {"cst", -6 * 60}, {"cdt", -5 * 60},
      {"mst", -7 * 60}, {"mdt", -6 * 60}, {"pst", -8 * 60}, {"pdt", -7 * 60},
      {"cet", 60},      {"cest", 2 * 60}, {"bst", 60},      {"ist", 5 * 60 + 30}};
  std::string z = Lower(zone);
  if (auto it = kNamed.find(z); it != kNamed.end()) return it->second;
  // RFC 2822: single-letter military zones are unreliable and read as UTC.
  if (z.size() == 1 && std::isalpha(static_cast<unsigned char>(z[0]))) return 0;
  return std::nullopt;
}

}  // namespace

std::optional<TimePoint> ParseRfc822Time(std::string_view text) {
  // Tokens: [weekday ,] day month year hh:mm[:ss] [zone]
  std::vector<std::string> tokens;
  std::string cur;
  for (char c : text) {
    if (c == ' ' || c == ',' || c == '\t') {
      if (!cur.empty()) tokens.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) tokens.push_back(std::move(cur));
  std::size_t t = 0;
  if (!tokens.empty() && !tokens[0].empty() &&
      std::isalpha(static_cast<unsigned char>(tokens[0][0]))) {
    t = 1;  // weekday, not checked
  }
  if (tokens.size() < t + 4) return std::nullopt;
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  std::size_t at = 0;
  if (!Number(tokens[t], &at, &day) || at != tokens[t].size()) return std::nullopt;
  static constexpr std::array<std::string_view, 12> kMonths = {
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  std::string mon = Lower(tokens[t + 1]).substr(0, 3);
  auto m = std::find(kMonths.begin(), kMonths.end(), mon);
  if (m == kMonths.end()) return std::nullopt;
  at = 0;
  if (!Number(tokens[t + 2], &at, &year) || at != tokens[t + 2].size()) return std::nullopt;
  if (tokens[t + 2].size() <= 2) year += year < 50 ? 2000 : 1900;
  const std::string& clock = tokens[t + 3];
  at = 0;
  if (!Number(clock, &at, &hour) || at >= clock.size() || clock[at] != ':') return std::nullopt;
  ++at;
  if (!Digits(clock, &at, 2, &minute)) return std::nullopt;
  if (at < clock.size()) {
    if (clock[at] != ':') return std::nullopt;
    ++at;
    if (!Digits(clock, &at, 2, &second) || at != clock.size()) return std::nullopt;
  }
  std::string zone = tokens.size() > t + 4 ? tokens[t + 4] : "";
  auto offset = ZoneOffsetMinutes(zone);
  if (!offset) return std::nullopt;
  return MakeTime(year, static_cast<unsigned>(m - kMonths.begin() + 1), static_cast<unsigned>(day),
                  hour, minute, second, *offset);
}

std::optional<TimePoint> ParseRfc3339Time(std::string_view s) {
  std::size_t at = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(s, &at, 4, &year) || at >= s.size() || s[at++] != '-' || !Digits(s, &at, 2, &month) ||
      at >= s.size() || s[at++] != '-' || !Digits(s, &at, 2, &day)) {
    return std::nullopt;
  }
  if (at == s.size()) {
    return MakeTime(year, static_cast<unsigned>(month), static_cast<unsigned>(day), 0, 0, 0, 0);
  }
  if (s[at] != 'T' && s[at] != 't' && s[at] != ' ') return std::nullopt;
  ++at;
  if (!Digits(s, &at, 2, &hour) || at >= s.size() || s[at++] != ':' ||
      !Digits(s, &at, 2, &minute)) {
    return std::nullopt;
  }
  if (at < s.size() && s[at] == ':') {
    ++at;
    if (!Digits(s, &at, 2, &second)) return std::nullopt;
    if (at < s.size() && s[at] == '.') {
      ++at;
      std::size_t start = at;
      while (at < s.size() && std::isdigit(static_cast<unsigned char>(s[at]))) ++at;
      if (at == start) return std::nullopt;
    }
  }
  std::string_view zone = s.substr(at);
  auto offset = ZoneOffsetMinutes(zone);
  if (!offset ||
      (!zone.empty() && zone[0] != '+' && zone[0] != '-' && zone != "Z" && zone != "z")) {
    return std::nullopt;
  }
  return MakeTime(year, static_cast<unsigned>(month), static_cast<unsigned>(day), hour, minute,
                  second, *offset);
}

}  // namespace lifeline::sources
