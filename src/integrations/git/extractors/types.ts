/**
 * Extractors read one file of a repository (a lockfile, a manifest, a
 * Dockerfile, Terraform) and say what it declares. They are pure: text in,
 * facts out, no file system and no store, so each is tested on fixtures. The
 * git integration walks the repositories and turns their facts into entities.
 */

export type Ecosystem = "npm" | "pypi" | "go" | "cargo" | "rubygems" | "packagist";

export interface ExtractedPackage {
  ecosystem: Ecosystem;
  /** as the ecosystem spells it: `@scope/name`, `requests`, `github.com/x/y`, `serde` */
  name: string;
  /** the resolved version, exactly as locked */
  version: string;
  /** declared by the project itself (not only pulled in by another package) */
  direct: boolean;
  /** only needed for development or tests */
  devDependency: boolean;
}

export interface ExtractedImage {
  /** `node`, `ghcr.io/acme/base` (registry and path, no tag or digest) */
  name: string;
  tag?: string;
  /** `sha256:...` */
  digest?: string;
  /** how well the reference is pinned */
  pinning: "digest" | "tag" | "latest";
  /** 1-based line of the FROM */
  line: number;
  /** the `AS name` of that stage, if any */
  stage?: string;
}

export interface TerraformProvider {
  /** `hashicorp/aws` (source address), or the local name when no source is given */
  source: string;
  /** the constraint from required_providers, e.g. `~> 5.0` */
  constraint?: string;
  /** the locked version from .terraform.lock.hcl */
  version?: string;
}

export interface ExtractWarning {
  /** repository-relative path of the file */
  file: string;
  /** 1-based line, when known */
  line?: number;
  message: string;
  /**
   * Worth telling, but not a problem with the file (an unpinned requirement
   * is usually deliberate): reported, and the run is not made partial.
   */
  notice?: boolean;
}

export interface ExtractResult {
  packages?: ExtractedPackage[];
  images?: ExtractedImage[];
  terraform?: { requiredVersion?: string; providers: TerraformProvider[] };
  /** problems that did not stop the extraction (a malformed entry was skipped) */
  warnings: ExtractWarning[];
}

export interface ExtractInput {
  /** repository-relative path, `/`-separated (e.g. `services/api/package-lock.json`) */
  path: string;
  content: string;
  /**
   * Another file in the same folder (e.g. package.json beside yarn.lock, to
   * tell direct from transitive); undefined when it does not exist.
   */
  readSibling(name: string): string | undefined;
}

export interface Extractor {
  /** kebab-case, e.g. `package-lock`, `yarn-lock`, `dockerfile` */
  id: string;
  /** whether this extractor reads the file at this repository-relative path */
  matches(path: string): boolean;
  /**
   * Read the file. A file that cannot be read at all (not JSON, unknown
   * lockfile version) throws ExtractError; a bad entry inside an otherwise
   * good file is skipped with a warning.
   */
  extract(input: ExtractInput): ExtractResult;
}

/** A file that cannot be read at all: the sync warns (file and line) and goes on. */
export class ExtractError extends Error {
  constructor(
    readonly file: string,
    message: string,
    readonly line?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ExtractError";
  }
}

/** The basename of a repository-relative path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
