import { describe, expect, it } from "vitest";
import { ApiError } from "./api";
import { reportOutcome } from "./report";

describe("crowd-report outcome", () => {
  it("thanks for an accepted report (201) and says how many reported", () => {
    const o = reportOutcome("WhatsApp", { accepted: true, platform: "whatsapp", reports_last_hour: 1, flagged: false });
    expect(o.kind).toBe("accepted");
    expect(o.text).toBe("Thank you — your report is recorded. 1 report about WhatsApp in the last hour.");
  });

  it("says when the reports flag the platform", () => {
    const o = reportOutcome("WhatsApp", { accepted: true, platform: "whatsapp", reports_last_hour: 42, flagged: true });
    expect(o.text).toMatch(/42 reports .* flagged as a likely outage/);
  });

  it("explains a repeat (429) without blaming the user", () => {
    const o = reportOutcome("WhatsApp", new ApiError(429, "resource_exhausted", "x"));
    expect(o.kind).toBe("duplicate");
    expect(o.text).toMatch(/already reported WhatsApp in the last hour/);
  });

  it("passes the server's reason on for other errors", () => {
    expect(reportOutcome("X", new ApiError(400, "invalid_argument", "field 'kind': unknown kind 'x'")).text).toBe("The report was not accepted: field 'kind': unknown kind 'x'");
    expect(reportOutcome("X", new ApiError(0, "unavailable", "down")).kind).toBe("error");
  });
});
