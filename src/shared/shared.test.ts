import { describe, expect, it } from "vitest";
import { compareText } from "./compare-text.js";
import { loadConfig } from "./config.js";
import { InputError, QueryError, positionAt } from "./errors.js";
import { createLogger, redact, registerSecret } from "./logger.js";

describe("config", () => {
  it("reads the environment with defaults", () => {
    const c = loadConfig({ HOME: "/home/x" });
    expect(c).toMatchObject({ homeDir: "/home/x", logLevel: "warn", debug: false, noColor: false });
    expect(c.databaseUrl).toBeUndefined();
    const d = loadConfig({ HOME: "/h", DM_DATABASE_URL: "postgres://h/db", DM_DEBUG: "1", NO_COLOR: "", DM_USER: "a@b" });
    expect(d).toMatchObject({ databaseUrl: "postgres://h/db", debug: true, noColor: true, user: "a@b" });
  });

  it("names a bad variable", () => {
    expect(() => loadConfig({ DM_LOG_LEVEL: "loud" })).toThrow(InputError);
    expect(() => loadConfig({ DM_LOG_LEVEL: "loud" })).toThrow(/DM_LOG_LEVEL: "loud" is not one of/);
  });
});

describe("logger", () => {
  it("masks registered secrets and secret-looking fields", () => {
    const lines: string[] = [];
    registerSecret("hunter2-secret-value");
    const log = createLogger("info", { write: (s: string) => lines.push(s) });
    log.info({ token: "t0ps3cret", nested: { password: "pw123456" } }, "using hunter2-secret-value now");
    const text = lines.join("");
    expect(text).toContain("using *** now");
    expect(text).not.toContain("hunter2-secret-value");
    expect(text).not.toContain("t0ps3cret");
    expect(text).not.toContain("pw123456");
    expect(redact("x hunter2-secret-value y")).toBe("x *** y");
  });
});

describe("QueryError", () => {
  it("puts the caret under the token on its own line", () => {
    const text = "Find CodeRepo\n  with name ~ 'x'";
    const e = new QueryError('unexpected "~"', text, positionAt(text, text.indexOf("~"), 1), { expected: ["="] });
    expect(e.message).toBe('unexpected "~" at line 2, column 13; expected =');
    expect(e.details).toEqual(["    with name ~ 'x'", "              ^"]);
    expect(e.exitCode).toBe(2);
  });
});

describe("compareText", () => {
  it("orders case-insensitively, then by code unit, equal only when equal", () => {
    const words = ["billing", "Api", "api", "Billing", "zeta", "Ärger", "a b", "a-b", "ab", "api2"];
    expect([...words].sort(compareText)).toEqual(["a b", "a-b", "ab", "Api", "api", "api2", "Billing", "billing", "zeta", "Ärger"]);
    expect(compareText("x", "x")).toBe(0);
    expect(compareText("API", "api")).toBeLessThan(0);
    expect(compareText("api", "API")).toBeGreaterThan(0);
    // antisymmetric and consistent with the sort over every pair
    for (const a of words) for (const b of words) expect(Math.sign(compareText(a, b)) + Math.sign(compareText(b, a))).toBe(0);
  });
});
