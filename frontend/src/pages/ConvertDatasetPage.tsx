import { Link } from "react-router";
import { PageHeader } from "../components/ui/PageHeader";
import { ConvertForm } from "../features/datasets/components/ConvertForm";

export function ConvertDatasetPage() {
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
      <ConvertForm />
    </>
  );
}
