import { Link } from "react-router";
import { PageHeader } from "../components/ui/PageHeader";
import { ConvertForm } from "../features/datasets/components/ConvertForm";
import { ReviewerNotice } from "../components/ui/ReviewerNotice";
import { useCanCreate } from "../lib/session";

export function ConvertDatasetPage() {
  const canCreate = useCanCreate();
  return (
    <>
      <PageHeader
        breadcrumb={
          <>
            <Link to="/datasets">Datasets</Link> <span className="muted">/</span> convert
          </>
        }
        title="Convert a labelled table"
        subtitle="Classic classification data (Label, Text) becomes instruction data: every row is wrapped in your task description, with the allowed labels as options."
      />
      {canCreate ? <ConvertForm /> : <ReviewerNotice what="Reviewers do not add datasets" />}
    </>
  );
}
