/** A table whose columns sort (click a header) and whose rows download as CSV: the overview's and team page's tables. */
import { type ReactNode, useMemo, useState } from "react";
import { download, toCsv } from "../format";

export interface Column<T> {
  key: string;
  label: string;
  numeric?: boolean;
  /** what the column sorts by and the CSV holds */
  value(row: T): string | number | null;
  /** the cell (default: the value) */
  render?(row: T): ReactNode;
  /** the row's header cell (th scope=row) */
  rowHeader?: boolean;
}

export interface SortState {
  key: string;
  descending: boolean;
}

export function compareValues(a: string | number | null, b: string | number | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b));
}

export function SortableTable<T>({
  columns,
  rows,
  rowKey,
  testId,
  csvName,
  initial,
  caption,
  limit,
}: {
  columns: Column<T>[];
  rows: T[];
  rowKey(row: T): string;
  testId: string;
  csvName: string;
  /** no sort: the server's order */
  initial?: SortState;
  caption?: ReactNode;
  /** rows shown before "Show all" */
  limit?: number;
}) {
  const [sort, setSort] = useState<SortState | undefined>(initial);
  const [all, setAll] = useState(false);
  const sorted = useMemo(() => {
    if (!sort) return rows;
    const column = columns.find((c) => c.key === sort.key);
    if (!column) return rows;
    const sign = sort.descending ? -1 : 1;
    return [...rows].sort((a, b) => sign * compareValues(column.value(a), column.value(b)));
  }, [rows, columns, sort]);
  const shown = limit !== undefined && !all ? sorted.slice(0, limit) : sorted;
  const sortBy = (key: string, numeric?: boolean) =>
    setSort((current) => (current?.key === key ? { key, descending: !current.descending } : { key, descending: Boolean(numeric) }));
  const saveCsv = () =>
    download(
      csvName,
      toCsv(
        columns.map((c) => c.label),
        sorted.map((r) => columns.map((c) => c.value(r))),
      ),
    );
  return (
    <div className="table-wrap">
      <div className="toolbar">
        {caption}
        <button type="button" onClick={saveCsv} data-testid={`${testId}-csv`}>
          Download CSV
        </button>
      </div>
      <div className="scroll-x">
        <table data-testid={testId}>
          <thead>
            <tr>
              {columns.map((c) => (
                <th
                  key={c.key}
                  scope="col"
                  className={c.numeric ? "num" : undefined}
                  aria-sort={sort?.key === c.key ? (sort.descending ? "descending" : "ascending") : "none"}
                >
                  <button type="button" className="sort" onClick={() => sortBy(c.key, c.numeric)}>
                    {c.label}
                    <span aria-hidden="true">{sort?.key === c.key ? (sort.descending ? " ▼" : " ▲") : ""}</span>
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={rowKey(r)}>
                {columns.map((c) => {
                  const content = c.render ? c.render(r) : c.value(r);
                  return c.rowHeader ? (
                    <th key={c.key} scope="row">
                      {content}
                    </th>
                  ) : (
                    <td key={c.key} className={c.numeric ? "num" : undefined}>
                      {content}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {shown.length < sorted.length && (
        <button type="button" onClick={() => setAll(true)}>
          See all {sorted.length}
        </button>
      )}
    </div>
  );
}
