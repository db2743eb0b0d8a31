// Minimal test harness for the browser suite: starts the server under test (the real `lifeline
// demo` from LIFELINE_BIN, or the mock), launches Debian's Chromium through playwright-core, runs
// tests in order in one page (a user's session), and keeps screenshots as artefacts.

import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdtemp, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const WEB = resolve(here, "..");
export const REPO = resolve(WEB, "..");
export const ARTIFACTS = resolve(process.env.E2E_ARTIFACTS ?? join(REPO, "tests/e2e/artifacts"));

// The one operator token the mock accepts (the real demo allows anonymous operators).
export const MOCK_OPERATOR_TOKEN = "e2e-operator-token";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitHealthy(base, ms, proc) {
  const end = Date.now() + ms;
  let last = "";
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`server exited with code ${proc.exitCode} before answering (see server.log)`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = e.cause?.code ?? String(e);
    }
    await sleep(100);
  }
  throw new Error(`server did not answer ${base}/healthz within ${ms} ms (${last})`);
}

// The server under test. `restart()` starts it again on the same port (the reconnect test).
export class Server {
  constructor(opts) {
    this.opts = opts;
    this.proc = null;
    this.real = !!opts.bin;
    this.log = createWriteStream(join(ARTIFACTS, "server.log"), { flags: "a" });
  }

  get base() {
    return `http://127.0.0.1:${this.opts.port}`;
  }

  command() {
    const o = this.opts;
    // Seconds as plain numbers: what `lifeline demo` takes (the mock takes both).
    const timing = ["--outage-after", `${o.outageAfter}`, "--outage-for", `${o.outageFor}`, "--interval", `${o.interval}`];
    if (this.real) {
      const extra = (process.env.LIFELINE_DEMO_ARGS ?? "").split(/\s+/).filter(Boolean);
      return [o.bin, ["demo", "--listen", `127.0.0.1:${o.port}`, ...timing, ...extra]];
    }
    return [process.execPath, [join(here, "mock-server.mjs"), "--listen", `127.0.0.1:${o.port}`, ...timing, "--dist", join(WEB, "dist"), "--token", MOCK_OPERATOR_TOKEN]];
  }

  async start() {
    const [cmd, args] = this.command();
    this.log.write(`\n$ ${cmd} ${args.join(" ")}\n`);
    this.startedAt = Date.now();
    this.proc = spawn(cmd, args, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env } });
    this.proc.stdout.pipe(this.log, { end: false });
    this.proc.stderr.pipe(this.log, { end: false });
    await waitHealthy(this.base, 30_000, this.proc);
  }

  async stop() {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    const t = setTimeout(() => p.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(t);
    this.proc = null;
  }

  async restart() {
    await this.start();
  }
}

export async function launchBrowser() {
  const userDataDir = await mkdtemp(join(tmpdir(), "lifeline-e2e-chromium-"));
  const exe = process.env.CHROMIUM ?? "/usr/bin/chromium";
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: exe,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1360, height: 900 },
    timeout: 60_000,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

export async function prepareArtifacts() {
  await mkdir(ARTIFACTS, { recursive: true });
  // Screenshots of an earlier run would pass for this one's.
  for (const f of await readdir(ARTIFACTS)) if (f.endsWith(".png")) await rm(join(ARTIFACTS, f), { force: true });
  await writeFile(join(ARTIFACTS, "server.log"), "");
}

// Thrown by a test that cannot run on this server (a part it needs is not there): counted as
// skipped with its reason, not as a failure.
export class Skip extends Error {}

export class Runner {
  constructor() {
    this.tests = [];
    // E2E_GREP=regex runs only the tests whose names match (while working on some of them).
    this.grep = process.env.E2E_GREP ? new RegExp(process.env.E2E_GREP, "i") : null;
  }
  test(name, fn, { only = null } = {}) {
    this.tests.push({ name, fn, only });
  }
  async run(ctx) {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const failures = [];
    for (const [i, t] of this.tests.entries()) {
      const label = `${String(i + 1).padStart(2)} ${t.name}`;
      if (t.only && t.only !== ctx.target) {
        skipped++;
        console.log(`skip ${label} (needs the ${t.only} server; running against ${ctx.target})`);
        continue;
      }
      if (this.grep && !this.grep.test(t.name)) {
        skipped++;
        continue;
      }
      const t0 = Date.now();
      try {
        await t.fn(ctx);
        passed++;
        console.log(`ok   ${label} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (e) {
        if (e instanceof Skip) {
          skipped++;
          console.log(`skip ${label} (${e.message})`);
          continue;
        }
        failed++;
        failures.push([t.name, e]);
        console.log(`FAIL ${label} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n     ${String(e?.message ?? e).split("\n").join("\n     ")}`);
        const file = join(ARTIFACTS, `FAIL-${String(i + 1).padStart(2, "0")}-${t.name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.png`);
        await ctx.page?.screenshot({ path: file, fullPage: true }).catch(() => {});
      }
    }
    return { passed, failed, skipped, failures };
  }
}

export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// A full-page screenshot in the artifacts folder.
export const shot = (page, name, opts = {}) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, ...opts });

// Waits until fn(arg) is true in the page, saying what it waited for when it times out.
export async function waitIn(page, fn, arg, ms, what) {
  try {
    await page.waitForFunction(fn, arg, { timeout: Math.max(1, ms), polling: 100 });
  } catch {
    throw new Error(`timed out after ${(ms / 1000).toFixed(1)} s waiting until ${what}`);
  }
}

// Waits until the URL's hash passes test(hash).
export async function waitForHash(page, test, what, ms = 5000) {
  try {
    await page.waitForURL((u) => test(u.hash), { timeout: ms });
  } catch {
    throw new Error(`${what}: ${page.url()}`);
  }
}

// One request to the server's API: { status, json, text } whatever the status.
export async function call(server, method, path, body) {
  const r = await fetch(`${server.base}${path}`, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // the raw text is in the error below
  }
  return { status: r.status, json, text };
}

// One request to the server's API that must succeed: its JSON answer.
export async function api(server, method, path, body) {
  const r = await call(server, method, path, body);
  if (r.status >= 400) throw new Error(`${method} ${path} answered ${r.status}: ${r.text.slice(0, 300)}`);
  return r.json;
}
