import { useQuery } from "@tanstack/react-query";
import { Card } from "../components/ui/Card";
import { ErrorNotice } from "../components/ui/ErrorNotice";
import { PageHeader } from "../components/ui/PageHeader";
import { Loading } from "../components/ui/States";
import { userQueries } from "../features/users/api/queries";
import { AddUserForm } from "../features/users/components/AddUserForm";
import { Invitations } from "../features/users/components/Invitations";
import { OpenSignupToggle } from "../features/users/components/OpenSignupToggle";
import { UsersTable } from "../features/users/components/UsersTable";
import { useCurrentUser } from "../lib/session";

/** /users (admins): accounts, roles, invitations and whether sign-up is open. */
export function UsersPage() {
  const me = useCurrentUser();
  const users = useQuery(userQueries.list());
  return (
    <>
      <PageHeader
        title="Users"
        subtitle="Members upload data and launch runs, and see only their own; reviewers read what they are shown and cannot launch; admins also manage this page."
      />
      <Card title="Accounts" testId="users-card" flush>
        {users.isError ? (
          <ErrorNotice error={users.error} title="Could not load users" />
        ) : users.data && me ? (
          <UsersTable users={users.data.items} currentUserId={me.id} />
        ) : (
          <Loading />
        )}
      </Card>
      <Card title="Add user" testId="add-user-card">
        <AddUserForm />
      </Card>
      <Card title="Invitations and sign-up" testId="invitations-card">
        <div className="stack">
          <OpenSignupToggle />
          <Invitations />
        </div>
      </Card>
    </>
  );
}
