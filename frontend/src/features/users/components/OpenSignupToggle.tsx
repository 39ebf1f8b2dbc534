import { useQuery } from "@tanstack/react-query";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { Toggle } from "../../../components/ui/Toggle";
import { userQueries, useSetAccessPolicy } from "../api/queries";

/** Whether anyone who reaches the studio may create a member account, or only those invited. */
export function OpenSignupToggle() {
  const policy = useQuery(userQueries.policy());
  const set = useSetAccessPolicy();
  if (policy.isError) return <ErrorNotice error={policy.error} title="Could not load the sign-up policy" />;
  if (!policy.data) return null;
  return (
    <div className="open-signup">
      <Toggle checked={policy.data.open_signup} onChange={(open) => set.mutate(open)} testId="open-signup">
        <strong>Open sign-up</strong>
      </Toggle>
      <div className="hint">
        {policy.data.open_signup
          ? "On: anyone who can reach this studio may create a member account at /signup. Turn it off on a shared network."
          : "Off: accounts come from invitations or from this page only."}
      </div>
      {set.isError ? <ErrorNotice error={set.error} title="Not changed" /> : null}
    </div>
  );
}
