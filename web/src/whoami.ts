// "You are": the name the contingency plan's actions are recorded with (the API's "by"). Asked
// once, when a person first acts, and kept in this browser (localStorage "lifeline.by").

import { byId, h } from "./dom";
import { cleanName } from "./playbook";

const KEY = "lifeline.by";
const listeners: (() => void)[] = [];
let suggestions: { id: string; name: string }[] = [];

export function currentName(): string {
  try {
    return localStorage.getItem(KEY) ?? "";
  } catch {
    return "";
  }
}

function setName(name: string): void {
  try {
    if (name) localStorage.setItem(KEY, name);
    else localStorage.removeItem(KEY);
  } catch {
    // Private mode without storage: asked again next time.
  }
  for (const fn of listeners) fn();
}

export function onNameChanged(fn: () => void): void {
  listeners.push(fn);
}

// The plan's team, offered as choices (a team id such as "ana" links the action to the person).
export function suggestNames(team: { id: string; name: string }[]): void {
  suggestions = team;
  const list = document.getElementById("whoami-options");
  if (list) list.replaceChildren(...team.map((p) => h("option", { value: p.id }, p.name)));
}

function dialog(): HTMLDialogElement {
  const have = document.getElementById("whoami-dialog") as HTMLDialogElement | null;
  if (have) return have;
  const d = h("dialog", { id: "whoami-dialog", class: "small", "data-testid": "whoami-dialog", "aria-labelledby": "whoami-title" },
    h("form", { method: "dialog" },
      h("h2", { id: "whoami-title" }, "Who are you?"),
      h("p", { class: "hint" }, "Acknowledgements, approvals and reviews go on the incident's timeline with this name. Use your team id from the plan (or your name). It is kept in this browser only."),
      h("label", { for: "whoami-input" }, "Your name or team id"),
      h("input", { id: "whoami-input", name: "by", type: "text", maxlength: 100, autocomplete: "username", list: "whoami-options", required: true, "data-testid": "whoami-input" }),
      h("datalist", { id: "whoami-options" }, suggestions.map((p) => h("option", { value: p.id }, p.name))),
      h("div", { class: "buttons" },
        h("button", { type: "submit", value: "save", class: "primary", "data-testid": "whoami-save" }, "Save"),
        h("button", { type: "submit", value: "cancel", class: "quiet", formnovalidate: true }, "Cancel"))));
  document.body.appendChild(d);
  return d;
}

// Opens the dialog; resolves with the saved name, or "" when the person cancelled.
export function askName(): Promise<string> {
  const d = dialog();
  const input = byId<HTMLInputElement>("whoami-input");
  input.value = currentName();
  d.returnValue = "";
  return new Promise((resolve) => {
    d.addEventListener("close", () => {
      const name = d.returnValue === "save" ? cleanName(input.value) : "";
      if (name) setName(name);
      resolve(name);
    }, { once: true });
    d.showModal();
    input.focus();
    input.select();
  });
}
