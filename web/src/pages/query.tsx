/** The query console: J1QL in, a table (or a graph for RETURN TREE) out, mistakes marked where they are. */
import { type FormEvent, type KeyboardEvent, useEffect, useId, useRef, useState } from "react";
import { ApiError, api, type EntityAnswer, type QueryResult, type QuestionList, type TreeEdge, type TreeVertex, useApi } from "../api";
import { type Column, SortableTable } from "../components/table";
import { cellText, DAY_MS, isoDate, isoTime, looksLikeDate } from "../format";
import { Link, navigate, useLocation } from "../router";

const EXAMPLES = [
  "Find CodeRepo with public=true",
  "Find deferred_maintenance with closed=false and dueDate < date.now as m that HAS CodeRepo as r return r.name as repo, m.shortDescription as item, m.dueDate as due ORDER BY m.dueDate ASC LIMIT 20",
  "Find Team as t that OWNS CodeRepo as r return t.name as team, count(r) as repos ORDER BY repos DESC",
  "Find ldap_user that ASSIGNED ldap_group return tree",
];

/** Shown for every listed entity that has them, after the properties the query filtered on (findings: what the item is, whose, its state, when due). */
const COMMON = ["shortDescription", "entityName", "owner", "status", "dueDate"];
/** Property columns shown at most (the asset page shows them all). */
const MAX_COLUMNS = 8;

/** A cell's value for display, sort and CSV: dates (by the property the column came from) as ISO text. */
function cellValue(property: string, value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (looksLikeDate(property, value)) return value % DAY_MS === 0 ? isoDate(value) : isoTime(value);
  if (typeof value === "number") return value;
  return cellText(value);
}

/** The columns of a list: the filtered-on properties, the common ones, then others as they come, up to MAX_COLUMNS. */
export function listColumns(rows: EntityAnswer[], filteredOn: readonly string[]): string[] {
  const present = new Set(rows.flatMap((r) => Object.keys(r.properties)));
  const names: string[] = [];
  const add = (n: string) => {
    if (present.has(n) && !names.includes(n) && n !== "displayName") names.push(n);
  };
  for (const n of filteredOn) add(n);
  for (const n of COMMON) add(n);
  for (const r of rows) for (const n of Object.keys(r.properties)) if (names.length < Math.max(MAX_COLUMNS, filteredOn.length)) add(n);
  return names;
}

function ListTable({ rows, filteredOn, csvName }: { rows: EntityAnswer[]; filteredOn: readonly string[]; csvName: string }) {
  const names = listColumns(rows, filteredOn);
  const columns: Column<EntityAnswer>[] = [
    {
      key: "displayName",
      label: "displayName",
      rowHeader: true,
      value: (r) => r.entity.displayName ?? r.entity._key,
      render: (r) => <Link to={`/assets/${r.id}`}>{r.entity.displayName ?? r.entity._key}</Link>,
    },
    { key: "_type", label: "_type", value: (r) => r.entity._type },
    ...names.map((n) => ({ key: `p:${n}`, label: n, value: (r: EntityAnswer) => cellValue(n, r.properties[n]) })),
  ];
  return <SortableTable columns={columns} rows={rows} rowKey={(r) => r.id} testId="result-table" csvName={csvName} />;
}

type TableRow = { i: number; row: Record<string, unknown> };
/** A table result's column as the API describes it: its label and the property its values come from. */
type ResultColumn = { name: string; property?: string | undefined };

function RowsTable({ rows, columns: described, csvName }: { rows: Record<string, unknown>[]; columns: readonly ResultColumn[]; csvName: string }) {
  // the data's keys in order (a.* spreads into several), each formatted by the property it came from
  const names = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const source = new Map(described.map((c) => [c.name, c.property ?? c.name]));
  const columns: Column<TableRow>[] = names.map((n) => ({ key: n, label: n, value: (r) => cellValue(source.get(n) ?? n, r.row[n]) }));
  return (
    <SortableTable
      columns={columns}
      rows={rows.map((row, i) => ({ i, row }))}
      rowKey={(r) => String(r.i)}
      testId="result-table"
      csvName={csvName}
    />
  );
}

/** Vertices on a circle, edges as lines: enough to see who connects to whom in a small tree. */
function TreeView({ vertices, edges }: { vertices: TreeVertex[]; edges: TreeEdge[] }) {
  const shown = vertices.slice(0, 80);
  const size = 640;
  const r = size / 2 - 90;
  const pos = new Map(shown.map((v, i) => [v.id, { x: size / 2 + r * Math.cos((2 * Math.PI * i) / shown.length), y: size / 2 + r * Math.sin((2 * Math.PI * i) / shown.length) }]));
  const name = (v: TreeVertex) => v.entity.displayName ?? v.entity._key;
  return (
    <div data-testid="result-tree">
      <svg viewBox={`0 0 ${size} ${size}`} className="graph" role="img" aria-label={`Graph of ${vertices.length} entities and ${edges.length} relationships`}>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="16" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" className="arrow" />
          </marker>
        </defs>
        {edges.map((e) => {
          const a = pos.get(e.fromVertexId);
          const b = pos.get(e.toVertexId);
          if (!a || !b) return null;
          return <line key={e.id} x1={a.x} y1={a.y} x2={b.x} y2={b.y} className="edge" markerEnd="url(#arrow)" />;
        })}
        {shown.map((v) => {
          const p = pos.get(v.id)!;
          return (
            <g key={v.id} className="vertex">
              <circle cx={p.x} cy={p.y} r={7} />
              <text x={p.x} y={p.y - 11} textAnchor="middle">
                {name(v).slice(0, 24)}
              </text>
            </g>
          );
        })}
      </svg>
      {vertices.length > shown.length && <p className="muted">The drawing shows the first {shown.length} entities; the list has them all.</p>}
      <h3>Relationships</h3>
      <ul data-testid="tree-edges">
        {edges.map((e) => {
          const from = vertices.find((v) => v.id === e.fromVertexId);
          const to = vertices.find((v) => v.id === e.toVertexId);
          return (
            <li key={e.id}>
              {from ? <Link to={`/assets/${from.id}`}>{name(from)}</Link> : e.fromVertexId} {String(e.relationship._class ?? "")}{" "}
              {to ? <Link to={`/assets/${to.id}`}>{name(to)}</Link> : e.toVertexId}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/** The stored questions (built-in and imported with dm questions import): picking one fills the query box. */
function QuestionPicker({ onPick }: { onPick: (query: string) => void }) {
  const { data } = useApi<QuestionList>("/api/v1/questions");
  const id = useId();
  if (!data || data.questions.length === 0) return null;
  const options = data.questions.flatMap((q) =>
    q.queries.map((x) => ({ key: `${q.id}/${x.name}`, label: q.queries.length > 1 ? `${q.title} (${x.name})` : q.title, query: x.query })),
  );
  return (
    <p className="question-picker">
      <label htmlFor={id}>Or ask a stored question </label>
      <select
        id={id}
        data-testid="question-picker"
        value=""
        onChange={(e) => {
          const picked = options.find((o) => o.key === e.target.value);
          if (picked) onPick(picked.query);
        }}
      >
        <option value="">Choose a question…</option>
        {options.map((o) => (
          <option key={o.key} value={o.key}>
            {o.label}
          </option>
        ))}
      </select>
    </p>
  );
}

/** The query with the mistake marked, like the CLI's caret line. */
function ErrorAt({ query, error }: { query: string; error: ApiError }) {
  const p = error.position;
  return (
    <div className="error" role="alert" data-testid="query-error">
      <p>{error.message}</p>
      {p && (
        <>
          {/* the position once: the message usually says it already */}
          {!error.message.includes(`line ${p.line}, column ${p.column}`) && (
            <p data-testid="query-error-position">
              at line {p.line}, column {p.column}
            </p>
          )}
          <pre className="query-marked">
            {query.slice(0, p.offset)}
            <mark>{query.slice(p.offset, p.offset + Math.max(1, p.length)) || " "}</mark>
            {query.slice(p.offset + Math.max(1, p.length))}
          </pre>
        </>
      )}
      {!p && error.details.length > 0 && <pre>{error.details.join("\n")}</pre>}
    </div>
  );
}

export function QueryPage() {
  const { search } = useLocation();
  const initial = search.get("q") ?? "";
  const [query, setQuery] = useState(initial);
  const [ran, setRan] = useState("");
  const [result, setResult] = useState<QueryResult | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [busy, setBusy] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);
  const boxId = useId();

  const run = async (text: string, cursor?: string) => {
    setBusy(true);
    setError(undefined);
    try {
      const page = await api<QueryResult>("/api/v1/query", { method: "POST", body: { query: text, limit: 250, ...(cursor ? { cursor } : {}) } });
      setRan(text);
      if (cursor && result && result.type === page.type && page.type !== "tree" && result.type !== "tree") {
        setResult({ ...page, data: [...result.data, ...page.data] } as QueryResult);
      } else {
        setResult(page);
      }
    } catch (e) {
      const failure = e instanceof ApiError ? e : new ApiError(0, "client", String(e));
      setError(failure);
      setRan(text);
      setResult(undefined);
      const p = failure.position;
      if (p && box.current) {
        // put the caret on the mistake, as the CLI's ^^^ does
        box.current.focus();
        box.current.setSelectionRange(p.offset, p.offset + Math.max(1, p.length));
      }
    } finally {
      setBusy(false);
    }
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: run once for a ?q= link
  useEffect(() => {
    if (initial) void run(initial);
  }, []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!query.trim()) return;
    navigate(`/query?q=${encodeURIComponent(query)}`);
    void run(query);
  };
  const onKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) submit(event);
  };
  const rows = result ? (result.type === "tree" ? result.data.vertices.length : result.data.length) : 0;

  return (
    <div data-testid="query">
      <h1>Query</h1>
      <form onSubmit={submit} className="query-form">
        <label htmlFor={boxId}>J1QL query</label>
        <textarea
          id={boxId}
          ref={box}
          value={query}
          rows={4}
          spellCheck={false}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={onKey}
          aria-describedby={`${boxId}-hint`}
          aria-invalid={error?.position ? true : undefined}
        />
        <p id={`${boxId}-hint`} className="muted">
          Ctrl+Enter runs it. Examples:{" "}
          {EXAMPLES.map((q) => (
            <button key={q} type="button" className="linkish" onClick={() => setQuery(q)}>
              {q.length > 48 ? `${q.slice(0, 48)}…` : q}
            </button>
          ))}
        </p>
        <QuestionPicker onPick={setQuery} />
        <button type="submit" disabled={busy}>
          {busy ? "Running…" : "Run"}
        </button>
      </form>
      {error && <ErrorAt query={ran} error={error} />}
      {result && (
        <section aria-labelledby="result-h">
          <h2 id="result-h">
            <span data-testid="result-count">{rows}</span> {result.type === "tree" ? "entities" : "rows"}
            {result.type !== "tree" && result.cursor ? " so far" : ""}
          </h2>
          {result.type === "list" && <ListTable rows={result.data} filteredOn={result.filteredOn ?? []} csvName="query.csv" />}
          {result.type === "table" && <RowsTable rows={result.data} columns={result.columns ?? []} csvName="query.csv" />}
          {result.type === "tree" && <TreeView vertices={result.data.vertices} edges={result.data.edges} />}
          {result.type !== "tree" && result.cursor && (
            <button type="button" disabled={busy} onClick={() => void run(ran, result.cursor)}>
              Load more
            </button>
          )}
        </section>
      )}
    </div>
  );
}
