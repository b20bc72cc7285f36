/** Sign in with an API token (`dm token create --role reader` makes one). */
import { type FormEvent, useId, useState } from "react";
import { ApiError, api, type Session } from "../api";

export function SignIn({ onSignedIn, notice }: { onSignedIn(token: string, session: Session): void; notice?: string }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const id = useId();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const value = token.trim();
    if (!value) {
      setError("Paste a token first.");
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const session = await api<Session>("/api/v1/session", { token: value });
      onSignedIn(value, session);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        setError(`That token was not accepted (${e.message}). Check that you copied all of it, or ask an admin for a new one: dm token create --name YOU --role reader`);
      } else {
        setError(e instanceof Error ? e.message : String(e));
      }
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" className="signin">
      <h1>dm dashboard</h1>
      <p>Deferred maintenance: what is open, what is overdue, who is on call.</p>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={submit}>
        <label htmlFor={id}>API token</label>
        <input
          id={id}
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={token}
          onChange={(e) => setToken(e.target.value)}
          aria-describedby={error ? `${id}-error` : `${id}-hint`}
          aria-invalid={error ? true : undefined}
        />
        <p id={`${id}-hint`} className="muted">
          A reader token is enough: <code>dm token create --name YOU --role reader</code>. It is kept in this tab only (sessionStorage).
        </p>
        {error && (
          <p id={`${id}-error`} className="error" role="alert" data-testid="signin-error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
