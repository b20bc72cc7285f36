import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../shared/errors.js";
import { loadKubeconfig } from "./kubeconfig.js";

function write(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-kubeconfig-"));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, "config");
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

const CONFIG = `apiVersion: v1
kind: Config
current-context: staging
clusters:
  - name: prod
    cluster: {server: "https://prod.k8s.example.com", certificate-authority: ca.pem}
  - name: staging
    cluster: {server: "https://staging.k8s.example.com", insecure-skip-tls-verify: true}
contexts:
  - name: prod
    context: {cluster: prod, user: robot}
  - name: staging
    context: {cluster: staging, user: admin}
users:
  - name: robot
    user: {tokenFile: token.txt}
  - name: admin
    user: {client-certificate-data: ${b64("CERT PEM")}, client-key-data: ${b64("KEY PEM")}}
`;

describe("kubeconfig", () => {
  it("reads the current context's server, CA and client certificate", () => {
    const file = write({ config: CONFIG });
    expect(loadKubeconfig(file, undefined)).toEqual({
      context: "staging",
      server: "https://staging.k8s.example.com",
      skipTlsVerify: true,
      tls: { cert: "CERT PEM", key: "KEY PEM", rejectUnauthorized: false },
      headers: {},
    });
  });

  it("reads a named context, its CA file and token file relative to the kubeconfig", () => {
    const file = write({ config: CONFIG, "ca.pem": "CA PEM", "token.txt": "robot-token-123\n" });
    expect(loadKubeconfig(file, "prod")).toEqual({
      context: "prod",
      server: "https://prod.k8s.example.com",
      skipTlsVerify: false,
      tls: { ca: "CA PEM" },
      headers: { authorization: "Bearer robot-token-123" },
    });
  });

  it("names what is missing", () => {
    const file = write({ config: CONFIG });
    expect(() => loadKubeconfig(file, "dev", "~/.kube/config")).toThrow('kubeconfig ~/.kube/config: no context "dev" (it has prod, staging)');
    expect(() => loadKubeconfig(file, "prod", "~/.kube/config")).toThrow(/user "robot": tokenFile .*token\.txt: cannot read it \(ENOENT\)/);
    expect(() => loadKubeconfig(path.join(path.dirname(file), "nope"), undefined, "nope")).toThrow(InputError);
  });
});
