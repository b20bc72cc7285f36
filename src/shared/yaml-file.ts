/**
 * Reading dm.config.yaml (and other YAML files dm is given): the document,
 * or an InputError naming the file, and the line and column of a syntax
 * error. Every section's loader reads the file through this.
 */
import fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { InputError } from "./errors.js";

/** The parsed document; an empty file is `{}`. */
export function readYamlFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`${file}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a folder, not a file" : (error as Error).message}`, { cause: error });
  }
  try {
    return parseYaml(text) ?? {};
  } catch (error) {
    const pos = (error as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    throw new InputError(`${file}${pos ? `:${pos.line}:${pos.col}` : ""}: ${(error as Error).message.split("\n")[0]}`, { cause: error });
  }
}
