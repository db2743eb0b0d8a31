// The page's shared data: the board state, fetched histories, and small helpers every view uses
// (the notice line, the token dialog).

import { ApiError, getToken, setToken } from "./api";
import { byId, fill, h } from "./dom";
import { emptyState, type Arrangement, type BoardState } from "./state";
import type { HistoryPoint } from "./types";

export const app: {
  state: BoardState;
  histories: Map<string, { points: HistoryPoint[]; at: number }>;
  arrangement: Arrangement;
  onTokenChanged: () => void;
} = {
  state: emptyState(),
  histories: new Map(),
  arrangement: "domain",
  onTokenChanged: () => {},
};

export function platformName(id: string): string {
  return app.state.platforms.get(id)?.name ?? id;
}

// One line under the header for things that concern the whole page (cannot load, token needed).
export function showNotice(text: string, tone: "bad" | "warn" | "info" = "info", action?: { label: string; run: () => void }): void {
  const n = byId("notice");
  fill(n, h("span", {}, text), action ? h("button", { type: "button", class: "quiet", onclick: action.run }, action.label) : null);
  n.dataset.tone = tone;
  n.hidden = false;
}

export function hideNotice(): void {
  byId("notice").hidden = true;
}

// What to tell the user when the API refused for lack of a (good) token.
export function tokenProblem(e: ApiError, what: string): string {
  const had = !!getToken();
  if (e.status === 401) {
    return had
      ? `${what}: the saved API token was refused (${e.message}). Enter a valid token.`
      : `${what} needs an API token (${e.message}).`;
  }
  return `${what} needs an API token with a higher role: ${e.message}.`;
}

export function openTokenDialog(why = ""): void {
  const d = byId<HTMLDialogElement>("token-dialog");
  byId("token-why").textContent = why;
  byId("token-why").hidden = !why;
  const input = byId<HTMLInputElement>("token-input");
  input.value = "";
  d.returnValue = ""; // Esc keeps the previous value otherwise
  input.placeholder = getToken() ? "a token is saved; paste a new one to replace it" : "paste the token";
  d.showModal();
  input.focus();
}

export function initTokenDialog(): void {
  const d = byId<HTMLDialogElement>("token-dialog");
  const btn = byId("token-button");
  const label = () => {
    btn.textContent = getToken() ? "API token ✓" : "API token";
    btn.setAttribute("aria-label", getToken() ? "API token (one is saved)" : "API token (none saved)");
  };
  label();
  btn.addEventListener("click", () => openTokenDialog());
  d.addEventListener("close", () => {
    const v = d.returnValue;
    if (v === "save") {
      const t = byId<HTMLInputElement>("token-input").value.trim();
      if (!t) return;
      setToken(t);
    } else if (v === "forget") {
      setToken("");
    } else {
      return;
    }
    label();
    app.onTokenChanged();
  });
}
