/** The shell: sign-in gate, navigation, and the page for the current path. */
import { useEffect, useState } from "react";
import { type ApiError, api, forgetToken, type Oncall, type Session, setUnauthorizedHandler, storeToken, storedToken } from "./api";
import { AssetPage } from "./pages/asset";
import { CampaignPage } from "./pages/campaign";
import { OncallPage } from "./pages/oncall";
import { OverviewPage } from "./pages/overview";
import { QueryPage } from "./pages/query";
import { SignIn } from "./pages/signin";
import { Link, useLocation } from "./router";

function Page({ path }: { path: string }) {
  let m = /^\/campaigns\/([^/]+)\/?$/.exec(path);
  if (m) return <CampaignPage key={m[1]} id={decodeURIComponent(m[1]!)} />;
  m = /^\/assets\/([^/]+)\/?$/.exec(path);
  if (m) return <AssetPage key={m[1]} id={decodeURIComponent(m[1]!)} />;
  if (path === "/query") return <QueryPage />;
  if (path === "/oncall") return <OncallPage />;
  if (path === "/" || path === "") return <OverviewPage />;
  return (
    <div>
      <h1>Not found</h1>
      <p>
        No page at {path}. <Link to="/">Back to the overview</Link>
      </p>
    </div>
  );
}

export function App() {
  const { path } = useLocation();
  const [session, setSession] = useState<Session | undefined>();
  const [checking, setChecking] = useState(storedToken() !== null);
  const [notice, setNotice] = useState<string | undefined>();
  const [oncall, setOncall] = useState(false);

  useEffect(() => {
    setUnauthorizedHandler((error: ApiError) => {
      forgetToken();
      setSession(undefined);
      setNotice(`Signed out: the server no longer accepts the token (${error.message}).`);
    });
    if (storedToken() === null) return;
    api<Session>("/api/v1/session").then(
      (s) => {
        setSession(s);
        setChecking(false);
      },
      () => setChecking(false),
    );
  }, []);

  useEffect(() => {
    if (!session) return;
    api<Oncall>("/api/v1/oncall").then(
      (o) => setOncall(o.configured),
      () => setOncall(false),
    );
  }, [session]);

  if (checking) return <p role="status">Checking your token…</p>;
  if (!session) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(token, s) => {
          storeToken(token);
          setNotice(undefined);
          setSession(s);
        }}
      />
    );
  }
  const signOut = () => {
    forgetToken();
    setSession(undefined);
    setNotice("Signed out.");
  };
  const nav = [
    { to: "/", label: "Overview", current: path === "/" || path.startsWith("/campaigns/") },
    { to: "/query", label: "Query", current: path === "/query" },
    ...(oncall ? [{ to: "/oncall", label: "On-call", current: path === "/oncall" }] : []),
  ];
  return (
    <>
      <a href="#main" className="skip">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">dm</span>
        <nav aria-label="Pages">
          {nav.map((n) => (
            <Link key={n.to} to={n.to} aria-current={n.current ? "page" : undefined}>
              {n.label}
            </Link>
          ))}
        </nav>
        <span className="who" data-testid="signed-in-as">
          {session.name} ({session.role})
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Page path={path} />
      </main>
    </>
  );
}
