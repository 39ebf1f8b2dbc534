import { NavLink, Outlet } from "react-router";
import { Brand } from "../components/ui/Brand";
import { UserMenu } from "../features/auth/components/UserMenu";
import { SystemStatus } from "../features/system/components/SystemStatus";
import { useCanCreate, useCurrentUser } from "../lib/session";

function Icon({ d }: { d: string }) {
  return (
    <svg className="nav-icon" viewBox="0 0 24 24" aria-hidden="true">
      <path d={d} fill="none" stroke="currentColor" strokeWidth="1.7" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

const ICONS = {
  datasets: "M4 6c0-1.1 3.6-2 8-2s8 .9 8 2-3.6 2-8 2-8-.9-8-2Zm0 0v12c0 1.1 3.6 2 8 2s8-.9 8-2V6M4 12c0 1.1 3.6 2 8 2s8-.9 8-2",
  runs: "M4 19h16M6 16l4-6 4 3 5-8",
  newRun: "M12 5v14M5 12h14",
  benchmarks: "M9 11l2 2 4-4M5 4h14a1 1 0 0 1 1 1v14a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1Z",
  presets: "M4 7h10M18 7h2M4 17h4M12 17h8M14 5v4M8 15v4",
  judges: "M12 4v16M7 20h10M5 8h14M5 8l-2.5 6a2.5 2.5 0 0 0 5 0L5 8Zm14 0-2.5 6a2.5 2.5 0 0 0 5 0L19 8Z",
  users: "M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7Zm-6 9c0-3.3 2.7-6 6-6s6 2.7 6 6M16 4.5a3.5 3.5 0 0 1 0 6.5M18 14c2 .7 3 2.9 3 6",
};

export function Layout() {
  const user = useCurrentUser();
  // Reviewers cannot launch runs (the API says 403): no "New run" entry for them.
  const canCreate = useCanCreate();
  return (
    <div className="app">
      <aside className="sidebar">
        <div className="sidebar-inner">
        <Brand />
        <nav className="nav" aria-label="Main">
          <NavLink to="/datasets" className="nav-link" data-testid="nav-datasets">
            <Icon d={ICONS.datasets} />
            Datasets
          </NavLink>
          <NavLink to="/runs" end className="nav-link" data-testid="nav-runs">
            <Icon d={ICONS.runs} />
            Runs
          </NavLink>
          {canCreate ? (
            <NavLink to="/runs/new" className="nav-link" data-testid="nav-new-run">
              <Icon d={ICONS.newRun} />
              New run
            </NavLink>
          ) : null}
          <NavLink to="/benchmarks" className="nav-link" data-testid="nav-benchmarks">
            <Icon d={ICONS.benchmarks} />
            Benchmarks
          </NavLink>
          <NavLink to="/presets" className="nav-link" data-testid="nav-presets">
            <Icon d={ICONS.presets} />
            Presets
          </NavLink>
          <NavLink to="/judges" className="nav-link" data-testid="nav-judges">
            <Icon d={ICONS.judges} />
            Judges
          </NavLink>
          {user?.role === "admin" ? (
            <NavLink to="/users" className="nav-link" data-testid="nav-users">
              <Icon d={ICONS.users} />
              Users
            </NavLink>
          ) : null}
        </nav>
        <div className="sidebar-footer">
          <UserMenu />
          <SystemStatus />
        </div>
        </div>
      </aside>
      <main className="main">
        <div className="content">
          <Outlet />
        </div>
      </main>
    </div>
  );
}
