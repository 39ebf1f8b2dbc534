/**
 * The column names of a table file, read in the browser from its first bytes, so the conversion form can offer
 * dropdowns before anything is sent. CSV/TSV header, the first JSONL object, or the first item of a JSON array;
 * null when it cannot tell (Parquet, or anything odd): the server's 422 then lists the columns.
 */
export async function sniffColumns(file: File): Promise<string[] | null> {
  const name = file.name.toLowerCase();
  if (name.endsWith(".parquet")) return null;
  const head = await file.slice(0, 256 * 1024).text();
  const text = head.replace(/^\uFEFF/, "");
  const trimmed = text.trimStart();
  try {
    if (trimmed.startsWith("[")) {
      if (file.size > 8 * 1024 * 1024) return null;
      const parsed: unknown = JSON.parse(await file.text());
      const first: unknown = Array.isArray(parsed) ? parsed[0] : null;
      return isObject(first) ? Object.keys(first) : null;
    }
    if (trimmed.startsWith("{")) {
      const line = trimmed.split("\n", 1)[0] ?? "";
      const parsed: unknown = JSON.parse(line);
      return isObject(parsed) ? Object.keys(parsed) : null;
    }
  } catch {
    return null;
  }
  const firstLine = text.split(/\r?\n/, 1)[0] ?? "";
  if (!firstLine.trim()) return null;
  const delimiter = name.endsWith(".tsv") || (firstLine.includes("\t") && !firstLine.includes(",")) ? "\t" : ",";
  const columns = splitRow(firstLine, delimiter).map((c) => c.trim());
  return columns.length > 0 && columns.every((c) => c !== "") ? columns : null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** One CSV row (RFC 4180 quoting) split into cells. */
function splitRow(line: string, delimiter: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i];
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (char === '"') {
        quoted = false;
      } else {
        cell += char ?? "";
      }
    } else if (char === '"' && cell === "") {
      quoted = true;
    } else if (char === delimiter) {
      cells.push(cell);
      cell = "";
    } else {
      cell += char ?? "";
    }
  }
  cells.push(cell);
  return cells;
}

/** The first column whose name looks like one of `names` (case-insensitive), else "". */
export function guessColumn(columns: string[], names: string[]): string {
  for (const name of names) {
    const found = columns.find((c) => c.trim().toLowerCase() === name);
    if (found) return found;
  }
  return "";
}
