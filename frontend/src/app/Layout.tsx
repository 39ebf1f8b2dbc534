import { NavLink, Outlet } from "react-router";
import { SystemStatus } from "../features/system/components/SystemStatus";

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
  presets: "M4 7h10M18 7h2M4 17h4M12 17h8M14 5v4M8 15v4",
};

export function Layout() {
  return (
    <div className="app">
      <aside className="sidebar">
        <div className="sidebar-inner">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            <svg viewBox="0 0 32 32">
              <path
                d="M8 22 L14 14 L18 18 L24 9"
                stroke="#fff"
                strokeWidth="3"
                fill="none"
                strokeLinecap="round"
                strokeLinejoin="round"
              />
            </svg>
          </span>
          <span className="brand-name">Fine-tuning Studio</span>
        </div>
        <nav className="nav" aria-label="Main">
          <NavLink to="/datasets" className="nav-link" data-testid="nav-datasets">
            <Icon d={ICONS.datasets} />
            Datasets
          </NavLink>
          <NavLink to="/runs" end className="nav-link" data-testid="nav-runs">
            <Icon d={ICONS.runs} />
            Runs
          </NavLink>
          <NavLink to="/runs/new" className="nav-link" data-testid="nav-new-run">
            <Icon d={ICONS.newRun} />
            New run
          </NavLink>
          <NavLink to="/presets" className="nav-link" data-testid="nav-presets">
            <Icon d={ICONS.presets} />
            Presets
          </NavLink>
        </nav>
        <div className="sidebar-footer">
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
