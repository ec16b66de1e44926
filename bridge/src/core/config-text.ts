import { parse as parseYaml, YAMLParseError } from "yaml";
import { ConfigError } from "./errors.js";

/** Line and column (1-based) of a character offset in a text. */
function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `line ${line}, column ${column}`;
}

/**
 * Parse a config file as JSON (by its extension) or YAML. A syntax error names the file, line
 * and column but never quotes the text: the broken line may be the one with the password.
 */
export function parseConfigText(path: string, text: string): unknown {
  if (/\.json$/i.test(path)) {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      const position = /position (\d+)/.exec((error as Error).message)?.[1];
      const where = position === undefined ? "" : ` at ${lineAndColumn(text, Number(position))}`;
      throw new ConfigError(`config file ${path} is not valid JSON${where}`);
    }
  }
  try {
    return parseYaml(text) as unknown;
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const [at] = error.linePos ?? [];
      const where = at ? ` at line ${at.line}, column ${at.col}` : "";
      // The message's first line is the problem and its place; later lines quote the text.
      const problem = error.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "");
      throw new ConfigError(`config file ${path} is not valid YAML${where}: ${problem}`);
    }
    throw new ConfigError(`config file ${path} is not valid YAML`);
  }
}
