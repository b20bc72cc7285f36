/**
 * The dashboard's files (the Vite build in dist/web) served by `dm serve`:
 * a file when the path names one inside the folder, index.html for the
 * dashboard's own routes (/campaigns/9c3e21a0), 404 for a missing asset.
 * Paths are resolved and then checked to be inside the folder, so `..`,
 * its percent-encodings and encoded slashes never leave it.
 */
import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

/**
 * Everything from this origin, nothing from elsewhere: the dashboard makes
 * no request beyond the server. No inline script or style: React sets the
 * computed widths through the CSSOM, which the policy allows.
 */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

/** Paths the dashboard never answers: the API's own 404s stay JSON. */
export function isApiPath(pathname: string): boolean {
  return /^\/(api|healthz|readyz|metrics)(\/|$)/.test(pathname);
}

/** Where the build is: dist/web next to the compiled server, or from the sources, the repository's dist/web. */
export function defaultWebDir(): string | undefined {
  const candidates = [new URL("../web/", import.meta.url), new URL("../../dist/web/", import.meta.url)].map((u) => fileURLToPath(u));
  return candidates.find((dir) => fs.existsSync(path.join(dir, "index.html")));
}

export type StaticResult = "served" | "not_found";

export class StaticFiles {
  private readonly root: string;
  constructor(root: string) {
    this.root = fs.realpathSync(root);
  }

  /** The file for a URL path inside the root, or undefined (outside, missing, not a file, not decodable). */
  resolve(pathname: string): string | undefined {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return undefined;
    }
    if (decoded.includes("\0") || decoded.includes("\\")) return undefined;
    const file = path.resolve(this.root, `.${path.posix.normalize(`/${decoded}`)}`);
    if (file !== this.root && !file.startsWith(this.root + path.sep)) return undefined;
    try {
      // a symlink inside the folder must not lead out of it
      const real = fs.realpathSync(file);
      if (!real.startsWith(this.root + path.sep)) return undefined;
      return fs.statSync(real).isFile() ? real : undefined;
    } catch {
      return undefined;
    }
  }

  /** Answer a GET or HEAD for a non-API path. */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): StaticResult {
    let file = this.resolve(pathname);
    if (!file) {
      // A path ending in a file type the dashboard ships asked for a file that is not there; anything
      // else is a dashboard page, also an asset's key that ends like one (/assets/npm:left-pad@1.3.0).
      if (path.extname(pathname).toLowerCase() in CONTENT_TYPES) return "not_found";
      file = path.join(this.root, "index.html");
    }
    const ext = path.extname(file).toLowerCase();
    const body = fs.readFileSync(file);
    const hashed = file.startsWith(path.join(this.root, "assets") + path.sep);
    const headers: Record<string, string | number> = {
      "content-type": CONTENT_TYPES[ext] ?? "application/octet-stream",
      "content-length": body.length,
      // Vite names every asset by its content hash: it never changes. index.html names the current ones.
      "cache-control": hashed ? "public, max-age=31536000, immutable" : "no-cache",
      ...SECURITY_HEADERS,
    };
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : body);
    return "served";
  }
}
