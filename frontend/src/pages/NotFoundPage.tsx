import { Link } from "react-router";
import { PageHeader } from "../components/ui/PageHeader";

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" subtitle="Nothing lives at this address." />
      <p>
        Go to <Link to="/runs">runs</Link> or <Link to="/datasets">datasets</Link>.
      </p>
    </>
  );
}
