import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { InputError } from "../shared/errors.js";
import { terminalPrompter } from "./prompt.js";

describe("terminalPrompter", () => {
  it("reads answers, and the input ending is a cancellation, not a silent exit", async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const p = terminalPrompter(input, output);
    const first = p.text("Short description");
    input.write("Upgrade Go\n");
    await expect(first).resolves.toBe("Upgrade Go");
    const second = p.text("Link");
    input.end();
    await expect(second).rejects.toThrow(InputError);
    await expect(second).rejects.toThrow("cancelled at the question; nothing was written");
    // and every later question too
    await expect(p.confirm("Proceed?")).rejects.toThrow(InputError);
    p.close();
  });
});
