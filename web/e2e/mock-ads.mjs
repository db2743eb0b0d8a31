// The mock server's ads guard and recovery checklist: GET /v1/ads, /v1/ads/campaigns,
// /v1/ads/changes, /v1/ads/calls, POST /v1/ads/pause|resume and GET /v1/recovery/{incident}, in the
// shapes of src/ads/routes.cc and src/recovery/service.cc (ChecklistJson), with the guard's rules
// of docs/ads.md for three simulated accounts (Meta, Google Ads, TikTok):
//   the scripted WhatsApp outage (failure domain meta) -> policy "meta" pauses brand-meta's active
//   campaigns --ads-min-duration seconds after the incident opened (default 3), each prior state
//   first, each call on the calls log -> the incident closes -> ads_resume_scheduled with the due
//   time (--ads-settle seconds later, default 12) -> what is still as Lifeline left it resumes.
// Pausing by hand what the guard holds keeps it paused (kept); TikTok refuses to change campaign
// 1790000000000001 (permission); an unknown campaign id changes nothing (404, the server's words).
// The guard's timeline entries (ads_*) go out as live incident_event messages.
// Budget transfers (GET /v1/ads/transfers, POST .../{id}/approve|refuse, in the shapes of
// TransferJson): three transfers move the urgent Meta campaigns' daily budgets to TikTok
// campaigns; each is proposed when the guard pauses its campaign, moves once approved while the
// incident is open (the receiving campaign read, then its budget set, on the calls log), expires
// when the incident closes first, and moves back --ads-settle seconds after the close. Deciding one
// that is not proposed any more is refused (409, the real guard's words).
// The recovery checklist judges the resumed campaigns on made-up hourly figures: one catch-up
// burst ("attention"), one back to normal, one new campaign without enough history.

const META_FIELDS = "id,name,status,effective_status,daily_budget,lifetime_budget,issues_info,updated_time";
const CONVERSIONS_NOTE =
  "Conversions are not judged: the platforms credit a conversion to the ad days after the click or view (within the attribution or conversion window set on the account, often 7 days or more) and report them with a delay, so a few hours after a restoration a loss cannot be told from conversions not counted yet. Compare them once that window has passed.";
const POSTS_NOTE = "Posts are not judged here yet: the content calendar accounts for every post due during the incident (published, released, dropped).";

export function createMockAds({ iso, timeline, incident, minDurationS = 3, settleS = 12 }) {
  const accounts = [
    { name: "brand-meta", platform: "meta", account: "act_1234567890", currency: "USD", delivers_on: ["facebook", "instagram", "whatsapp", "messenger"] },
    { name: "brand-google", platform: "google", account: "123-456-7890", currency: "EUR", delivers_on: ["youtube"] },
    { name: "brand-tiktok", platform: "tiktok", account: "7012345678901234567", currency: "USD", delivers_on: ["tiktok"] },
  ];
  const policies = [
    { name: "meta", platforms: [], domains: ["meta"], verdicts: ["outage"], min_duration_ms: minDurationS * 1000, action: "pause", settle_ms: settleS * 1000, stagger_ms: 0, resume: "auto", accounts: ["brand-meta"] },
    { name: "tiktok", platforms: ["tiktok"], domains: [], verdicts: ["outage", "degraded"], min_duration_ms: 300_000, action: "pause", settle_ms: 1_800_000, stagger_ms: 60_000, resume: "manual", accounts: [] },
  ];
  const words = {
    meta: { on: "ACTIVE", off: "PAUSED" },
    google: { on: "ENABLED", off: "PAUSED" },
    tiktok: { on: "ENABLE", off: "DISABLE" },
  };
  const t0 = iso(Date.now());
  const camp = (account, id, name, on, budget, extra = {}) => ({ account, id, name, on, budget, issues: [], updated: t0, ...extra });
  const campaigns = [
    camp("brand-meta", "120210000000001", "Black Friday — WhatsApp click-to-chat", true, "58.94"),
    camp("brand-meta", "120210000000002", "Retargeting — Instagram Stories", true, "120.00"),
    camp("brand-meta", "120210000000003", "Lead forms — Facebook", true, "35.00"),
    camp("brand-meta", "120210000000004", "Spring launch (draft)", false, "80.00"),
    camp("brand-google", "21000000001", "YouTube pre-roll — winter sale", true, "40.00"),
    camp("brand-google", "21000000002", "Brand search", true, "25.00"),
    camp("brand-tiktok", "1790000000000001", "Creator Spark Ads", true, "150.00", { refuses: true }),
    camp("brand-tiktok", "1790000000000002", "Hashtag challenge", false, "60.00"),
    camp("brand-tiktok", "1790000000000003", "TikTok Shop — winter sale", true, "90.00"),
  ];
  // ads.transfers: the urgent campaigns (all USD, as the config requires).
  const transferConfig = [
    { name: "keep-black-friday-running", from: "brand-meta", campaigns: ["120210000000001"], to: "brand-tiktok", campaign: "1790000000000001", share: 100, max_budget: "400.00" },
    { name: "retargeting-to-tiktok-shop", from: "brand-meta", campaigns: ["120210000000002"], to: "brand-tiktok", campaign: "1790000000000003", share: 50, max_budget: "300.00" },
    { name: "lead-forms-to-tiktok-shop", from: "brand-meta", campaigns: ["120210000000003"], to: "brand-tiktok", campaign: "1790000000000003", share: 100, max_budget: "300.00" },
  ];
  const transfers = []; // the store's ads_transfers, oldest first
  const changes = []; // the store's ads_changes, oldest first
  const calls = []; // the store's ads_calls
  const byIncident = new Map(); // incident id -> { paused: bool, timers: [] }

  const accountOf = (name) => accounts.find((a) => a.name === name);
  const find = (account, id) => campaigns.find((c) => c.account === account && c.id === id);
  const raw = (c) => words[accountOf(c.account).platform][c.on ? "on" : "off"];
  const effective = (c) => {
    const p = accountOf(c.account).platform;
    if (p === "google") return c.on ? "SERVING" : "NONE";
    if (p === "tiktok") return c.on ? "CAMPAIGN_STATUS_ENABLE" : "CAMPAIGN_STATUS_DISABLE";
    return raw(c);
  };
  const campaignJson = (c) => ({
    id: c.id, name: c.name, status: c.on ? "active" : "paused", platform_status: raw(c), effective_status: effective(c),
    issues: c.issues, budget: c.budget, budget_kind: "daily", updated: c.updated, currency: accountOf(c.account).currency,
  });

  function call(incidentId, account, op, method, path, request, status, answer, failure = "") {
    calls.push({
      id: calls.length + 1, incident_id: incidentId || null, account, op, method, path, request, status, answer: answer.slice(0, 400),
      usage: account === "brand-meta" ? '{"x-business-use-case-usage":{"1234567890":[{"call_count":3,"total_time":2,"estimated_time_to_regain_access":0}]}}' : "",
      took_ms: 80 + ((calls.length * 37) % 140), failure: failure || null, at: iso(Date.now()),
    });
  }

  function listCall(incidentId, a) {
    if (a.platform === "meta") call(incidentId, a.name, "list", "GET", `/v21.0/${a.account}/campaigns?fields=${META_FIELDS}&limit=100`, "", 200, JSON.stringify({ data: campaigns.filter((c) => c.account === a.name).map((c) => ({ id: c.id, name: c.name, status: raw(c) })) }));
    else if (a.platform === "google") call(incidentId, a.name, "list", "POST", `/v17/customers/${a.account.replace(/-/g, "")}/googleAds:search`, "SELECT campaign.id, campaign.name, campaign.status, campaign.serving_status, campaign.primary_status FROM campaign", 200, '{"results":[…]}');
    else call(incidentId, a.name, "list", "GET", `/open_api/v1.3/campaign/get/?advertiser_id=${a.account}&page_size=1000`, "", 200, '{"code":0,"message":"OK","data":{"list":[…]}}');
  }

  // Switches a campaign on the platform; "" when done, else the platform's refusal.
  function setStatus(incidentId, c, on) {
    const a = accountOf(c.account);
    const word = words[a.platform][on ? "on" : "off"];
    if (a.platform === "meta") {
      call(incidentId, a.name, on ? "resume" : "pause", "POST", `/v21.0/${c.id}`, `status=${word}`, 200, '{"success":true}');
    } else if (a.platform === "google") {
      call(incidentId, a.name, on ? "resume" : "pause", "POST", `/v17/customers/${a.account.replace(/-/g, "")}/campaigns:mutate`, JSON.stringify({ operations: [{ update: { resourceName: `customers/${a.account.replace(/-/g, "")}/campaigns/${c.id}`, status: word }, updateMask: "status" }], partialFailure: true }), 200, '{"results":[{"resourceName":"…"}]}');
    } else if (c.refuses) {
      const msg = `No permission to operate campaign ${c.id}`;
      call(incidentId, a.name, on ? "resume" : "pause", "POST", "/open_api/v1.3/campaign/status/update/", JSON.stringify({ advertiser_id: a.account, campaign_ids: [c.id], operation_status: word }), 200, JSON.stringify({ code: 40001, message: msg }), `permission 40001: ${msg}`);
      return `${msg} (permission 40001)`;
    } else {
      call(incidentId, a.name, on ? "resume" : "pause", "POST", "/open_api/v1.3/campaign/status/update/", JSON.stringify({ advertiser_id: a.account, campaign_ids: [c.id], operation_status: word }), 200, '{"code":0,"message":"OK"}');
    }
    c.on = on;
    c.updated = iso(Date.now());
    return "";
  }

  function newChange(fields) {
    const now = iso(Date.now());
    const ch = { id: changes.length + 1, incident_id: null, policy: "", by: "", state: "pausing", note: "", paused_at: null, resume_due: null, resumed_at: null, created_at: now, updated_at: now, ...fields };
    changes.push(ch);
    return ch;
  }
  const prior = (c) => ({ status: raw(c), effective_status: effective(c), budget: c.budget, budget_kind: "daily", currency: accountOf(c.account).currency });
  const isOpen = (ch) => ["pausing", "paused", "resuming"].includes(ch.state);
  const touch = (ch, fields) => Object.assign(ch, fields, { updated_at: iso(Date.now()) });

  // ---- the guard on the scripted incident ----
  function onIncident(inc) {
    if (!inc.platforms.includes("whatsapp") && inc.domain !== "meta") return;
    const policy = policies[0];
    if (inc.state === "open") {
      if (byIncident.has(inc.id)) return;
      const st = { paused: false, marker: new Map() };
      byIncident.set(inc.id, st);
      const due = iso(Date.parse(inc.opened_at) + policy.min_duration_ms);
      timeline(inc.id, "ads_pause_scheduled", `Ads: policy ${policy.name} pauses the active campaigns on Facebook, Instagram, WhatsApp, Messenger, Threads if the incident still lasts at ${due} (${minDurationS} s after it opened)`, { policy: policy.name, due, by: "lifeline" });
      setTimeout(() => pauseWork(inc.id, policy, st), Math.max(0, Date.parse(due) - Date.now())).unref?.();
      return;
    }
    // Closed: resume after the settle time; the transfers expire or go back.
    closeTransfers(inc);
    const open = changes.filter((ch) => ch.incident_id === inc.id && isOpen(ch));
    if (!open.length) return;
    const due = iso(Date.parse(inc.closed_at ?? iso(Date.now())) + policy.settle_ms);
    timeline(inc.id, "ads_resume_scheduled", `Ads: ${open.length} paused campaign(s) resume after the platform has been healthy for ${settleS} s (from ${due})`, { due, settle_ms: policy.settle_ms, by: "lifeline" });
    setTimeout(() => resumeWork(inc.id), Math.max(0, Date.parse(due) - Date.now())).unref?.();
  }

  function pauseWork(incidentId, policy, st) {
    const inc = incident(incidentId);
    if (!inc || inc.state !== "open") {
      timeline(incidentId, "ads_pause_skipped", `Ads: the incident closed before ${minDurationS} s: nothing paused`, { policy: policy.name, by: "lifeline" });
      return;
    }
    const a = accountOf("brand-meta");
    listCall(incidentId, a);
    let paused = 0;
    for (const c of campaigns.filter((x) => x.account === a.name && x.on)) {
      const ch = newChange({ incident_id: incidentId, account: a.name, platform: a.platform, campaign_id: c.id, campaign_name: c.name, policy: policy.name, by: "lifeline", prior: prior(c) });
      const refused = setStatus(incidentId, c, false);
      if (refused) {
        touch(ch, { state: "failed", note: refused });
        timeline(incidentId, "ads_pause_failed", `Ads: ${c.id} "${c.name}" on ${a.name} could not be paused: ${refused}`, { account: a.name, campaign: c.id, by: "lifeline" });
        continue;
      }
      st.marker.set(c.id, c.updated);
      touch(ch, { state: "paused", paused_at: iso(Date.now()), note: `paused by Lifeline (policy ${policy.name}); it was ${ch.prior.status}` });
      timeline(incidentId, "ads_paused", `Ads: paused ${c.id} "${c.name}" on ${a.name} (was ${ch.prior.status}, daily budget ${c.budget} ${a.currency})`, { account: a.name, campaign: c.id, by: "lifeline" });
      paused++;
    }
    st.paused = true;
    timeline(incidentId, "ads_pause_done", `Ads: ${a.name} paused ${paused} campaign(s)`, { account: a.name, paused, failed: 0, by: "lifeline" });
    proposeTransfers(incidentId, a);
  }

  // ---- budget transfers (src/ads/guard_transfer.cc) ----
  const cents = (d) => Math.round(Number(d) * 100);
  const dec = (c) => (c / 100).toFixed(2);
  function transferData(t, by) {
    return { transfer: t.id, name: t.name, from: t.from_account, campaigns: t.campaigns, to: t.to_account, campaign: t.to_campaign, amount: t.amount, currency: t.currency, state: t.state, by };
  }
  function transferEvent(t, type, line, by = "lifeline") {
    timeline(t.incident_id, type, `Ads: budget transfer ${t.name} (#${t.id}) ${line}`, transferData(t, by));
  }

  function proposeTransfers(incidentId, account) {
    for (const cfg of transferConfig.filter((x) => x.from === account.name)) {
      const moved = changes.filter((ch) => ch.incident_id === incidentId && ch.state === "paused" && cfg.campaigns.includes(ch.campaign_id));
      if (!moved.length) continue;
      const daily = moved.reduce((s, ch) => s + cents(ch.prior.budget), 0);
      const amount = Math.floor((daily * cfg.share) / 100);
      const now = iso(Date.now());
      const what = `${dec(amount)} USD/day (${cfg.share}% of the daily budget of ${moved.map((c) => c.campaign_id).join(", ")} paused on ${cfg.from}) to campaign ${cfg.campaign} on ${cfg.to}`;
      const t = {
        id: transfers.length + 1, incident_id: incidentId, name: cfg.name, from_account: cfg.from, campaigns: moved.map((c) => c.campaign_id), to_account: cfg.to,
        to_campaign: cfg.campaign, to_campaign_name: "", currency: accountOf(cfg.to).currency, amount: dec(amount), state: "proposed", by: "lifeline", decided_by: null,
        prior_budget: null, set_budget: null, returned_budget: null, note: `waits for approval: move ${what}`, moved_at: null, return_due: null, returned_at: null, created_at: now, updated_at: now,
      };
      transfers.push(t);
      transferEvent(t, "ads_transfer_proposed", `proposed: move ${what}. It waits for approval (lifeline ads transfer approve ${t.id} --by NAME)`);
    }
  }

  const touchT = (t, fields) => Object.assign(t, fields, { updated_at: iso(Date.now()) });

  function moveTransfer(t) {
    if (t.state !== "approved") return;
    const inc = incident(t.incident_id);
    if (!inc || inc.state !== "open") {
      touchT(t, { state: "expired", note: "not made: the outage ended before the move" });
      return transferEvent(t, "ads_transfer_expired", `: ${t.note}`);
    }
    const c = find(t.to_account, t.to_campaign);
    const a = accountOf(t.to_account);
    call(t.incident_id, a.name, "read", "GET", `/open_api/v1.3/campaign/get/?advertiser_id=${a.account}&page=1&page_size=1000&filtering=${encodeURIComponent(JSON.stringify({ campaign_ids: [c.id] }))}`, "", 200, JSON.stringify({ code: 0, message: "OK", data: { list: [{ campaign_id: c.id, budget: Number(c.budget), budget_mode: "BUDGET_MODE_DAY" }] } }));
    const cfg = transferConfig.find((x) => x.name === t.name);
    const current = cents(c.budget);
    let target = current + cents(t.amount);
    let capped = "";
    if (cfg?.max_budget && target > cents(cfg.max_budget)) {
      target = cents(cfg.max_budget);
      capped = ` (capped at the transfer's max_budget ${cfg.max_budget} USD)`;
    }
    t.to_campaign_name = c.name;
    if (target <= current) {
      touchT(t, { state: "skipped", note: `nothing moved: "${c.name}" is already at ${c.budget} USD, the transfer's cap` });
      return transferEvent(t, "ads_transfer_skipped", `: ${t.note}`);
    }
    call(t.incident_id, a.name, "budget", "POST", "/open_api/v1.3/campaign/update/", `{"advertiser_id":"${a.account}","campaign_id":"${c.id}","budget":${dec(target)}}`, 200, '{"code":0,"message":"OK","data":{}}');
    c.budget = dec(target);
    c.updated = iso(Date.now());
    touchT(t, { state: "moved", prior_budget: dec(current), set_budget: dec(target), moved_at: iso(Date.now()), note: `raised "${c.name}" on ${a.name} from ${dec(current)} USD to ${dec(target)} USD (+${dec(target - current)} USD)${capped} for the outage; it goes back after the restoration` });
    transferEvent(t, "ads_transfer_moved", `: ${t.note}`);
  }

  function returnTransfer(t) {
    if (t.state !== "moved") return;
    const c = find(t.to_account, t.to_campaign);
    const a = accountOf(t.to_account);
    call(t.incident_id, a.name, "read", "GET", `/open_api/v1.3/campaign/get/?advertiser_id=${a.account}&page=1&page_size=1000`, "", 200, '{"code":0,"message":"OK","data":{"list":[…]}}');
    const current = cents(c.budget);
    const added = cents(t.set_budget) - cents(t.prior_budget);
    let target = cents(t.prior_budget);
    let how = "";
    if (current !== cents(t.set_budget)) {
      target = current - added;
      how = ` (someone set it to ${dec(current)} USD meanwhile: only the ${dec(added)} USD Lifeline added is taken back)`;
    }
    call(t.incident_id, a.name, "budget", "POST", "/open_api/v1.3/campaign/update/", `{"advertiser_id":"${a.account}","campaign_id":"${c.id}","budget":${dec(target)}}`, 200, '{"code":0,"message":"OK","data":{}}');
    c.budget = dec(target);
    c.updated = iso(Date.now());
    touchT(t, { state: "returned", returned_budget: dec(target), returned_at: iso(Date.now()), note: `moved back: "${c.name}" on ${a.name} from ${dec(current)} USD to ${dec(target)} USD${how}` });
    transferEvent(t, "ads_transfer_returned", `: ${t.note}`);
  }

  // The incident closed: what was not made expires; what was made goes back after the settle time.
  function closeTransfers(inc) {
    for (const t of transfers.filter((x) => x.incident_id === inc.id)) {
      if (t.state === "moved") {
        touchT(t, { return_due: iso(Date.parse(inc.closed_at ?? iso(Date.now())) + settleS * 1000) });
        transferEvent(t, "ads_transfer_return_scheduled", `goes back after the platform has been healthy for ${settleS} s (from ${t.return_due})`);
        setTimeout(() => returnTransfer(t), Math.max(0, Date.parse(t.return_due) - Date.now())).unref?.();
      } else if (t.state === "proposed" || t.state === "approved") {
        touchT(t, { state: "expired", note: `not made: the outage ended before it was ${t.decided_by ? "made" : "approved"}` });
        transferEvent(t, "ads_transfer_expired", `: ${t.note}`);
      }
    }
  }

  // POST /v1/ads/transfers/{id}/approve|refuse: [status, body] or [status, code, message].
  function decide(idText, approve, b) {
    const id = Number(idText);
    if (!/^\d+$/.test(idText) || id < 1) return [404, "not_found", `no budget transfer '${idText}' (ids are numbers)`];
    if (!b || typeof b !== "object" || Array.isArray(b)) return [400, "invalid_argument", "the body must be a JSON object"];
    for (const k of Object.keys(b)) if (!["by", "reason"].includes(k)) return [400, "invalid_argument", `unknown field "${k}"`];
    if (b.by !== undefined && typeof b.by !== "string") return [400, "invalid_argument", "by: expected a string"];
    if (b.reason !== undefined && typeof b.reason !== "string") return [400, "invalid_argument", "reason: expected a string"];
    if (!b.by) return [400, "invalid_argument", `by: required (who ${approve ? "approves" : "refuses"})`];
    const t = transfers.find((x) => x.id === id);
    if (!t) return [404, "not_found", `no budget transfer #${id}`];
    if (t.state !== "proposed") {
      return [409, "failed_precondition", `budget transfer #${id} is ${t.state}${t.decided_by ? ` (decided by ${t.decided_by})` : ""}: only a proposed transfer is approved or refused`];
    }
    if (approve) {
      touchT(t, { state: "approved", decided_by: b.by, note: `approved by ${b.by}: moving ${t.amount} USD/day to campaign ${t.to_campaign} on ${t.to_account}` });
      transferEvent(t, "ads_transfer_approved", t.note, b.by);
      // The move is a timer due at once: the answer is the approved transfer.
      setTimeout(() => moveTransfer(t), 300).unref?.();
    } else {
      touchT(t, { state: "refused", decided_by: b.by, note: b.reason ? `refused by ${b.by}: ${b.reason}` : `refused by ${b.by}` });
      transferEvent(t, "ads_transfer_refused", t.note, b.by);
    }
    return [200, { ...t }];
  }

  function resumeWork(incidentId) {
    const st = byIncident.get(incidentId);
    for (const ch of changes.filter((x) => x.incident_id === incidentId && isOpen(x))) {
      const c = find(ch.account, ch.campaign_id);
      call(incidentId, ch.account, "read", "GET", `/v21.0/?ids=${c.id}&fields=${META_FIELDS}`, "", 200, JSON.stringify({ [c.id]: { status: raw(c), updated_time: c.updated } }));
      if (c.on || c.updated !== st?.marker.get(c.id)) {
        touch(ch, { state: "kept", note: "changed by someone since Lifeline paused it: left as it is" });
        timeline(incidentId, "ads_kept_paused", `Ads: ${c.id} "${c.name}" on ${ch.account} ${ch.note}`, { account: ch.account, campaign: c.id, by: "lifeline" });
        continue;
      }
      setStatus(incidentId, c, true);
      touch(ch, { state: "resumed", resumed_at: iso(Date.now()), note: "resumed by Lifeline after the settle time" });
      timeline(incidentId, "ads_resumed", `Ads: resumed ${c.id} "${c.name}" on ${ch.account}`, { account: ch.account, campaign: c.id, by: "lifeline" });
    }
  }

  // ---- by hand ----
  function byHand(pause, b) {
    const known = accounts.map((a) => a.name);
    if (!b || typeof b !== "object" || Array.isArray(b)) return [400, "invalid_argument", "the body must be a JSON object"];
    for (const k of Object.keys(b)) if (!["account", "campaigns", "by", "dry_run"].includes(k)) return [400, "invalid_argument", `unknown field "${k}"`];
    if (!b.account) return [400, "invalid_argument", "account: required"];
    if (!b.by) return [400, "invalid_argument", "by: required (who acts)"];
    if (!Array.isArray(b.campaigns) || !b.campaigns.length) return [400, "invalid_argument", "campaigns: required, a list of one or more campaign ids"];
    if (b.campaigns.some((v) => typeof v !== "string" || !v || v.length > 64)) return [400, "invalid_argument", "campaigns: each must be a campaign id (text, 1 to 64 characters)"];
    const a = accountOf(b.account);
    if (!a) {
      const near = known.find((n) => n.startsWith(String(b.account).slice(0, 5)));
      return [404, "not_found", `no ad account '${b.account}' (${near ? `did you mean '${near}'?` : known.join(", ")})`];
    }
    const unknown = b.campaigns.filter((id) => !find(a.name, id));
    call("", a.name, "read", "GET", `/campaigns?ids=${b.campaigns.join(",")}`, "", 200, "{…}");
    if (unknown.length) return [404, "not_found", `${a.name} has no campaign ${unknown.join(", ")} (nothing was changed; \`lifeline ads list --platform ${a.name}\` shows its campaigns)`];
    const dry = b.dry_run === true;
    const results = [];
    for (const id of b.campaigns) {
      const c = find(a.name, id);
      const r = { account: a.name, campaign_id: id, outcome: "", detail: "" };
      const open = changes.filter((ch) => ch.account === a.name && ch.campaign_id === id && isOpen(ch));
      if (pause) {
        let kept = 0;
        for (const ch of dry ? [] : open) {
          touch(ch, { state: "kept", note: `paused by hand by ${b.by}: Lifeline will not resume it` });
          timeline(ch.incident_id, "ads_kept_paused", `Ads: ${id} "${c.name}" on ${a.name} ${ch.note}`, { account: a.name, campaign: id, by: b.by });
          kept++;
        }
        if (!c.on) {
          r.outcome = kept ? "kept paused" : "already paused";
          r.detail = kept ? "Lifeline had paused it for an incident; it will not resume it" : `its status is ${raw(c)}`;
        } else if (dry) {
          r.outcome = "would pause";
          r.detail = `now ${raw(c)} (${effective(c)})`;
        } else {
          const was = prior(c);
          const refused = setStatus("", c, false);
          if (refused) {
            r.outcome = "failed";
            r.detail = refused;
          } else {
            newChange({ account: a.name, platform: a.platform, campaign_id: id, campaign_name: c.name, policy: "hand", by: b.by, prior: was, state: "kept", note: `paused by hand by ${b.by}`, paused_at: iso(Date.now()) });
            r.outcome = "paused";
            r.detail = `was ${was.status}`;
          }
        }
      } else if (c.on) {
        r.outcome = "already active";
      } else if (dry) {
        r.outcome = "would resume";
      } else {
        const refused = setStatus("", c, true);
        if (refused) {
          r.outcome = "failed";
          r.detail = refused;
        } else {
          r.outcome = "resumed";
          // As the real guard: what it held closes; a kept record stays as it is.
          for (const ch of open) {
            touch(ch, { state: "resumed", resumed_at: iso(Date.now()), note: `resumed by hand by ${b.by}` });
            timeline(ch.incident_id, "ads_resumed", `Ads: ${id} "${c.name}" on ${a.name} ${ch.note}`, { account: a.name, campaign: id, by: b.by });
          }
        }
      }
      results.push(r);
    }
    return [200, { results, dry_run: dry }];
  }

  // ---- the recovery checklist ----
  function series(expected, actual, spread = 0.12) {
    const hours = expected.map((e, i) => {
      const s = Math.max(e * spread, 0.1 * e);
      const low = Math.max(0, +(e - 3.5 * s).toFixed(2));
      const high = +(e + 3.5 * s).toFixed(2);
      const a = actual[i];
      const z = a === null ? null : +((a - e) / s).toFixed(2);
      return { expected: e, low, high, actual: a, z, flag: a === null ? null : a > high ? "high" : a < low ? "low" : null };
    });
    return hours;
  }

  function metricsOf(spec, labels) {
    const out = {};
    for (const [name, [exp, act]] of Object.entries(spec)) {
      const hours = series(exp, act).map((h, i) => ({ hour: labels[i], ...h }));
      out[name] = {
        expected: +exp.reduce((s, v) => s + v, 0).toFixed(2),
        actual: +act.reduce((s, v) => s + (v ?? 0), 0).toFixed(2),
        high_hours: hours.filter((h) => h.flag === "high").length,
        low_hours: hours.filter((h) => h.flag === "low").length,
        hours,
      };
    }
    if (out.cpm) {
      out.cpm.expected = +((out.spend.expected / out.impressions.expected) * 1000).toFixed(2);
      out.cpm.actual = +((out.spend.actual / out.impressions.actual) * 1000).toFixed(2);
    }
    return out;
  }

  function recoveryEntry(ch, closedAt) {
    const c = find(ch.account, ch.campaign_id);
    const a = accountOf(ch.account);
    const base = {
      account: ch.account, platform: a.platform, campaign_id: ch.campaign_id, name: ch.campaign_name, source: "paused_by_lifeline", change_state: ch.state,
      status: c.on ? "active" : "paused", effective_status: effective(c), resumed_at: ch.resumed_at, time_zone: "", currency: a.currency,
      budget: { daily: Number(c.budget), overdelivery_allowance: a.platform === "meta" ? 0.75 : a.platform === "google" ? 1 : 0.25, days: [] },
      verdict: "not_judged", flags: [], sentence: "", history_weeks: 4, judged_hours: 0, pending_hours: 0, metrics: {},
      conversions: { judged: false, note: CONVERSIONS_NOTE }, error: null,
    };
    if (ch.state !== "resumed") {
      base.sentence = ch.state === "kept"
        ? `Left paused on purpose (${ch.note}): not judged.`
        : "Lifeline still holds it paused: it is judged once it resumes.";
      return base;
    }
    // Four full local hours after the restoration (UTC here), two more not final yet.
    const start = new Date(Math.ceil(Date.parse(closedAt) / 3600_000) * 3600_000);
    const labels = [0, 1, 2, 3].map((i) => new Date(start.getTime() + i * 3600_000).toISOString().slice(0, 16));
    const day = labels[0].slice(0, 10);
    if (ch.campaign_id.endsWith("1")) {
      const metrics = metricsOf({
        spend: [[2.4, 2.6, 2.5, 2.7], [9.8, 8.1, 2.9, 2.6]],
        impressions: [[820, 870, 850, 900], [2950, 2480, 880, 860]],
        clicks: [[12, 13, 12, 14], [31, 26, 13, 12]],
        cpm: [[2.93, 2.99, 2.94, 3.0], [3.32, 3.27, 3.3, 3.02]],
      }, labels);
      return {
        ...base, verdict: "attention", history_weeks: 4, judged_hours: 4, pending_hours: 2, metrics,
        budget: { ...base.budget, days: [{ day, spent: 23.4, cap: 103.15, projected: 140.4 }] },
        flags: [{ kind: "catch_up_burst", message: `It is spending fast after the restart: 23.40 USD so far on ${day} and on pace for about 140.40 USD, more than meta allows itself 103.15 USD on one day for a daily budget of 58.94 USD (75 % over).` }],
        sentence: `It is spending fast after the restart: 23.40 USD so far on ${day} and on pace for about 140.40 USD, more than meta allows itself 103.15 USD on one day for a daily budget of 58.94 USD (75 % over).`,
      };
    }
    if (ch.campaign_id.endsWith("2")) {
      const metrics = metricsOf({
        spend: [[5.1, 5.3, 5.0, 5.4], [5.0, 5.6, 4.8, 5.2]],
        impressions: [[1900, 1950, 1880, 2000], [1870, 2010, 1820, 1990]],
        clicks: [[22, 24, 21, 25], [20, 25, 22, 23]],
        cpm: [[2.68, 2.72, 2.66, 2.7], [2.67, 2.79, 2.64, 2.61]],
      }, labels);
      return { ...base, verdict: "ok", judged_hours: 4, pending_hours: 2, metrics, sentence: "Back to normal: 20.60 USD spent and 7,690 impressions in 4 hour(s), against about 20.80 USD and 7,730 expected." };
    }
    return { ...base, verdict: "not_judged", history_weeks: 1, pending_hours: 2, sentence: "Not judged: figures for only 1 of the 4 prior weeks (a new campaign); its status is fine." };
  }

  function checklist(inc) {
    const out = {
      incident_id: inc.id, title: inc.title, checked_at: iso(Date.now()), status: "", summary: "",
      window: { from: null, until: null, hours: 6, source: "default" }, campaigns: [],
      conversions: { judged: false, note: CONVERSIONS_NOTE }, posts: { judged: false, attention: false, note: POSTS_NOTE }, errors: [],
    };
    if (inc.state === "open" || !inc.closed_at) {
      out.status = "open";
      out.summary = "The incident is still open: the checks start when the platform is back (the window is 6 h from the restoration).";
      return out;
    }
    out.window.from = inc.closed_at;
    out.window.until = iso(Date.parse(inc.closed_at) + 6 * 3600_000);
    out.campaigns = changes.filter((ch) => ch.incident_id === inc.id && ch.state !== "dry_run" && ch.state !== "failed").map((ch) => recoveryEntry(ch, inc.closed_at));
    const n = out.campaigns.length;
    const count = (v) => out.campaigns.filter((c) => c.verdict === v).length;
    if (!n) {
      out.status = "no_campaigns";
      out.summary = "No campaign to check: Lifeline paused none for this incident and no configured ad account delivers on the failed platforms.";
    } else if (count("attention")) {
      out.status = "attention";
      out.summary = `${count("attention")} of ${n} campaign(s) need a look; ${count("ok")} back to normal, ${count("pending")} waiting for figures, ${count("not_judged")} not judged.`;
    } else if (count("ok") && !count("pending")) {
      out.status = "ok";
      out.summary = `${count("ok")} campaign(s) back to normal${count("not_judged") ? `, ${count("not_judged")} not judged` : ""}.`;
    } else {
      out.status = "pending";
      out.summary = `${count("pending")} of ${n} campaign(s) wait for final figures; ${count("ok")} back to normal so far, ${count("not_judged")} not judged.`;
    }
    return out;
  }

  // ---- HTTP ----
  const handles = (p) => p === "/v1/ads" || p.startsWith("/v1/ads/") || p.startsWith("/v1/recovery/");

  async function handle(req, res, url, { need, send, err, body }) {
    const p = url.pathname;
    const q = url.searchParams;
    if (req.method === "POST" && (p === "/v1/ads/pause" || p === "/v1/ads/resume")) {
      if (!need(req, res, 2)) return;
      let b;
      try {
        b = await body(req);
      } catch {
        return err(res, 400, "invalid_argument", "the body must be JSON: send Content-Type: application/json");
      }
      const [status, a, c] = byHand(p.endsWith("pause"), b);
      return status === 200 ? send(res, 200, a) : err(res, status, a, c);
    }
    const dm = /^\/v1\/ads\/transfers\/([^/]+)\/(approve|refuse)$/.exec(p);
    if (req.method === "POST" && dm) {
      if (!need(req, res, 2)) return;
      let b;
      try {
        b = await body(req);
      } catch {
        return err(res, 400, "invalid_argument", "the body must be JSON: send Content-Type: application/json");
      }
      const [status, a, c] = decide(decodeURIComponent(dm[1]), dm[2] === "approve", b);
      return status === 200 ? send(res, 200, a) : err(res, status, a, c);
    }
    if (req.method !== "GET") return err(res, 405, "invalid_argument", "method not allowed");
    if (!need(req, res, 1)) return;
    if (p === "/v1/ads") {
      return send(res, 200, { configured: true, dry_run: false, accounts, policies, open: changes.filter(isOpen) });
    }
    if (p === "/v1/ads/campaigns") {
      const want = q.get("platform") ?? "";
      const list = accounts.filter((a) => !want || a.platform === want || a.name === want);
      if (!list.length) return err(res, 404, "not_found", `no ad account on '${want}' (give meta, google, tiktok or an account name: ${accounts.map((a) => a.name).join(", ")})`);
      for (const a of list) listCall("", a);
      return send(res, 200, {
        accounts: list.map((a) => ({ account: a.name, platform: a.platform, delivers_on: a.delivers_on, campaigns: campaigns.filter((c) => c.account === a.name).map(campaignJson), error: null })),
      });
    }
    if (p === "/v1/ads/changes") {
      const state = q.get("state") ?? "";
      if (state && !["pausing", "paused", "resuming", "resumed", "kept", "failed", "dry_run"].includes(state)) return err(res, 400, "invalid_argument", `state: '${state}' is not one of pausing, paused, resuming, resumed, kept, failed, dry_run`);
      const limit = Number(q.get("limit") ?? 1000);
      const list = changes.filter((ch) => (!q.get("incident") || ch.incident_id === q.get("incident")) && (!q.get("account") || ch.account === q.get("account")) && (!state || ch.state === state) && (q.get("open") !== "true" || isOpen(ch)));
      return send(res, 200, { changes: list.slice(0, limit) });
    }
    if (p === "/v1/ads/transfers") {
      const open = q.get("open");
      if (open !== null && open !== "true" && open !== "false") return err(res, 400, "invalid_argument", "open: expected true or false");
      const limit = q.get("limit") === null ? 100 : Number(q.get("limit"));
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return err(res, 400, "invalid_argument", "limit: expected 1 to 1000");
      const inc = q.get("incident") ?? "";
      const list = transfers
        .filter((t) => (!inc || t.incident_id === inc) && (open !== "true" || ["proposed", "approved", "moved"].includes(t.state)))
        .sort((a, b) => b.id - a.id)
        .slice(0, limit);
      return send(res, 200, { transfers: list });
    }
    if (p === "/v1/ads/calls") {
      const inc = q.get("incident") ?? "";
      const after = Number(q.get("after") ?? 0);
      return send(res, 200, { calls: calls.filter((c) => (!inc || c.incident_id === inc) && c.id > after).slice(0, 1000) });
    }
    const m = /^\/v1\/recovery\/([^/]+)$/.exec(p);
    if (m) {
      const fresh = q.get("fresh");
      if (fresh !== null && fresh !== "true" && fresh !== "false") return err(res, 400, "invalid_argument", "fresh: expected true or false");
      const inc = incident(decodeURIComponent(m[1]));
      if (!inc) return err(res, 404, "not_found", `no incident ${m[1]}`);
      return send(res, 200, checklist(inc));
    }
    return err(res, 404, "not_found", `no route ${p}`);
  }

  return { handles, handle, onIncident };
}
