/** The shell: sign-in gate, navigation, and the page for the current path. */
import { useEffect, useState } from "react";
import { type ApiError, api, forgetToken, type Session, setUnauthorizedHandler, storeToken, storedToken } from "./api";
import { AssetPage } from "./pages/asset";
import { CampaignPage } from "./pages/campaign";
import { OncallPage } from "./pages/oncall";
import { OverviewPage } from "./pages/overview";
import { QueryPage } from "./pages/query";
import { TeamPage } from "./pages/team";
import { SearchBox } from "./components/search";
import { SignIn } from "./pages/signin";
import { Link, useLocation } from "./router";
import { SessionContext } from "./session";

function Page({ path }: { path: string }) {
  let m = /^\/campaigns\/([^/]+)\/?$/.exec(path);
  if (m) return <CampaignPage key={m[1]} id={decodeURIComponent(m[1]!)} />;
  m = /^\/assets\/([^/]+)\/?$/.exec(path);
  if (m) return <AssetPage key={m[1]} id={decodeURIComponent(m[1]!)} />;
  m = /^\/teams\/([^/]+)\/?$/.exec(path);
  if (m) return <TeamPage key={m[1]} owner={decodeURIComponent(m[1]!)} />;
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
  // With a token from this tab's earlier sign-in, the page loads at once; a refused token signs out (below).
  const [signedIn, setSignedIn] = useState(storedToken() !== null);
  const [session, setSession] = useState<Session | undefined>();
  const [notice, setNotice] = useState<string | undefined>();

  useEffect(() => {
    setUnauthorizedHandler((error: ApiError) => {
      forgetToken();
      setSignedIn(false);
      setSession(undefined);
      setNotice(`Signed out: the server no longer accepts the token (${error.message}).`);
    });
  }, []);

  useEffect(() => {
    if (!signedIn || session) return;
    api<Session>("/api/v1/session").then(setSession, () => undefined);
  }, [signedIn, session]);

  if (!signedIn) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(token, s) => {
          storeToken(token);
          setNotice(undefined);
          setSession(s);
          setSignedIn(true);
        }}
      />
    );
  }
  const signOut = () => {
    forgetToken();
    setSignedIn(false);
    setSession(undefined);
    setNotice("Signed out.");
  };
  const nav = [
    { to: "/", label: "Overview", current: path === "/" || path.startsWith("/campaigns/") },
    { to: "/query", label: "Query", current: path === "/query" },
    ...(session?.oncall || path === "/oncall" ? [{ to: "/oncall", label: "On-call", current: path === "/oncall" }] : []),
    // a token that stands for a person or team (dm token create --owner): their page is "My items"
    ...(session?.owner ? [{ to: `/teams/${encodeURIComponent(session.owner)}`, label: "My items", current: path === `/teams/${encodeURIComponent(session.owner)}` }] : []),
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
        <SearchBox />
        <span className="who" data-testid="signed-in-as">
          {session ? `${session.name} (${session.role})` : ""}
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <SessionContext.Provider value={session}>
          <Page path={path} />
        </SessionContext.Provider>
      </main>
    </>
  );
}
