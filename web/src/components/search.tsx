/** The header's search box: repos, hosts, teams, people and campaigns by the start of their name; Enter opens the first. */
import { useEffect, useId, useRef, useState } from "react";
import { api, type SearchResults } from "../api";
import { navigate } from "../router";

const KIND_LABELS: Record<string, string> = { repo: "repo", host: "host", team: "team", person: "person", campaign: "campaign" };

export function SearchBox() {
  const [text, setText] = useState("");
  const [answer, setAnswer] = useState<SearchResults | undefined>();
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const id = useId();
  const box = useRef<HTMLInputElement>(null);
  // closing on blur waits for a click on a result; focusing again cancels it
  const closing = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    const q = text.trim();
    if (q === "") {
      setAnswer(undefined);
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      api<SearchResults>(`/api/v1/search?q=${encodeURIComponent(q)}&limit=10`).then(
        (a) => {
          if (current) {
            setAnswer(a);
            setActive(0);
          }
        },
        () => current && setAnswer(undefined),
      );
    }, 150);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [text]);

  const results = answer && answer.query === text.trim() ? answer.results : [];
  const go = (path: string) => {
    setOpen(false);
    setText("");
    setAnswer(undefined);
    box.current?.blur();
    navigate(path);
  };
  return (
    <div className="search">
      <label htmlFor={id} className="visually-hidden">
        Search
      </label>
      <input
        ref={box}
        id={id}
        type="search"
        placeholder="Search repos, hosts, teams, people, campaigns"
        autoComplete="off"
        role="combobox"
        aria-autocomplete="list"
        aria-controls={`${id}-results`}
        aria-expanded={open && results.length > 0}
        value={text}
        onChange={(e) => {
          clearTimeout(closing.current);
          setText(e.target.value);
          setOpen(true);
        }}
        onFocus={() => {
          clearTimeout(closing.current);
          setOpen(true);
        }}
        onBlur={() => {
          closing.current = setTimeout(() => setOpen(false), 150);
        }}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            e.preventDefault();
            setActive((a) => Math.min(results.length - 1, a + 1));
          } else if (e.key === "ArrowUp") {
            e.preventDefault();
            setActive((a) => Math.max(0, a - 1));
          } else if (e.key === "Enter" && results[active]) {
            e.preventDefault();
            go(results[active]!.path);
          } else if (e.key === "Escape") {
            setOpen(false);
          }
        }}
      />
      {open && text.trim() !== "" && answer && answer.query === text.trim() && (
        <ul className="search-results" id={`${id}-results`} data-testid="search-results">
          {results.length === 0 && <li className="muted">Nothing starts with “{text.trim()}”</li>}
          {results.map((r, i) => (
            <li key={`${r.kind}-${r.path}`} className={i === active ? "active" : undefined}>
              <a
                className="hit"
                href={r.path}
                onMouseDown={(e) => e.preventDefault()}
                onClick={(e) => {
                  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
                  e.preventDefault();
                  go(r.path);
                }}
              >
                <span className="kind">{KIND_LABELS[r.kind] ?? r.kind}</span> {r.name} <span className="muted">{r.detail}</span>
              </a>
            </li>
          ))}
          {answer.truncated && <li className="muted">More match: type more of the name</li>}
        </ul>
      )}
    </div>
  );
}
