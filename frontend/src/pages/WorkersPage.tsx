import { PageHeader } from "../components/ui/PageHeader";
import { WorkersAndQueue } from "../features/runs/components/WorkersAndQueue";

/** /workers: the live workers, what each is on, and the training queue. */
export function WorkersPage() {
  return (
    <>
      <PageHeader
        title="Workers"
        subtitle="Each training worker takes one run or evaluation at a time, first come first served; light workers count tokens and call judges."
      />
      <WorkersAndQueue />
    </>
  );
}
