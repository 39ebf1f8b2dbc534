"""Signing in: the first admin, passwords, sessions, API tokens, invitations and the start-up checks."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from backend.core.db import get_sessionmaker
from backend.models import ApiToken, Role, utcnow
from tests.accounts import ADMIN_EMAIL, PASSWORD, Account, create_account
from tests.conftest import Stack, reset_caches


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> int:
    return client.post("/api/auth/session", json={"email": email, "password": password}).status_code


class TestFirstAdmin:
    def test_the_first_screen_creates_the_admin_and_signs_in(self, anonymous_client: TestClient) -> None:
        response = anonymous_client.post("/api/auth/setup", json={"email": "Ada@Example.com", "password": PASSWORD})
        assert response.status_code == 201, response.text
        assert response.json()["role"] == "admin"
        assert response.json()["email"] == "ada@example.com"
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie
        assert anonymous_client.get("/api/auth/me").json()["email"] == "ada@example.com"
        assert anonymous_client.get("/api/auth/state").json()["needs_admin"] is False

    def test_there_is_only_one_first_admin(self, anonymous_client: TestClient, admin: Account) -> None:
        response = anonymous_client.post("/api/auth/setup", json={"email": "eve@example.com", "password": PASSWORD})
        assert response.status_code == 409
        assert "already has an admin" in response.json()["detail"]

    def test_a_short_password_is_refused_at_its_field(self, anonymous_client: TestClient) -> None:
        response = anonymous_client.post("/api/auth/setup", json={"email": "ada@example.com", "password": "short"})
        assert response.status_code == 422
        assert "password" in response.text

    def test_the_first_admin_owns_what_was_made_before_accounts(self, client: TestClient, admin: Account) -> None:
        # The migration's placeholder owner is user 1; the test admin took it over like the setup screen does.
        assert admin.id == 1


class TestSignIn:
    def test_wrong_password_then_right_one(self, anonymous_client: TestClient, admin: Account) -> None:
        response = anonymous_client.post("/api/auth/session", json={"email": ADMIN_EMAIL, "password": "wrong-guess"})
        assert response.status_code == 401
        assert response.json()["field"] == "password"
        assert response.json()["detail"] == "Wrong email or password."
        assert sign_in(anonymous_client, ADMIN_EMAIL.upper()) == 200
        assert anonymous_client.get("/api/runs").status_code == 200

    def test_an_unknown_email_gets_the_same_answer(self, anonymous_client: TestClient, admin: Account) -> None:
        response = anonymous_client.post("/api/auth/session", json={"email": "nobody@x.org", "password": PASSWORD})
        assert response.status_code == 401
        assert response.json()["detail"] == "Wrong email or password."

    def test_failed_sign_ins_are_limited(self, anonymous_client: TestClient, admin: Account) -> None:
        for _attempt in range(10):
            assert sign_in(anonymous_client, ADMIN_EMAIL, "wrong-guess") == 401
        response = anonymous_client.post("/api/auth/session", json={"email": ADMIN_EMAIL, "password": PASSWORD})
        assert response.status_code == 429
        assert "wait a minute" in response.json()["detail"]

    def test_sign_out_ends_the_session(self, anonymous_client: TestClient, admin: Account) -> None:
        assert sign_in(anonymous_client, ADMIN_EMAIL) == 200
        cookie = anonymous_client.cookies.get("studio_session")
        assert anonymous_client.delete("/api/auth/session").status_code == 204
        response = anonymous_client.get("/api/runs", cookies={"studio_session": cookie or ""})
        assert response.status_code == 401

    def test_an_expired_session_is_refused(self, anonymous_client: TestClient, admin: Account) -> None:
        from backend.models import UserSession

        assert sign_in(anonymous_client, ADMIN_EMAIL) == 200
        with get_sessionmaker().begin() as session:
            session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        assert anonymous_client.get("/api/runs").status_code == 401

    def test_a_deactivated_user_is_signed_out_everywhere(self, client: TestClient) -> None:
        member = create_account("member@studio.test")
        assert client.get("/api/auth/me", headers=member.headers).status_code == 200
        assert client.patch(f"/api/users/{member.id}", json={"active": False}).status_code == 200
        assert client.get("/api/auth/me", headers=member.headers).status_code == 401
        assert client.post("/api/auth/session", json={"email": member.email, "password": PASSWORD}).status_code == 401


class TestPasswordGrant:
    def test_the_oauth2_form_returns_a_bearer_token(self, anonymous_client: TestClient, admin: Account) -> None:
        response = anonymous_client.post("/api/auth/token", data={"username": ADMIN_EMAIL, "password": PASSWORD})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["token_type"] == "bearer"
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        assert anonymous_client.get("/api/auth/me", headers=headers).json()["email"] == ADMIN_EMAIL

    def test_a_wrong_password_gets_401(self, anonymous_client: TestClient, admin: Account) -> None:
        response = anonymous_client.post("/api/auth/token", data={"username": ADMIN_EMAIL, "password": "nope"})
        assert response.status_code == 401


class TestApiTokens:
    def test_shown_once_stored_hashed_and_revocable(self, client: TestClient, anonymous_client: TestClient) -> None:
        member = create_account("member@studio.test")
        created = client.post("/api/tokens", json={"name": "CI", "expires_in_days": 30}, headers=member.headers)
        assert created.status_code == 201
        token = created.json()["token"]
        assert token.startswith("fts_")
        assert created.json()["prefix"] == token[:10]
        listed = client.get("/api/tokens", headers=member.headers).json()["items"]
        assert "token" not in listed[0]
        with get_sessionmaker()() as session:
            stored = session.get_one(ApiToken, created.json()["id"])
            assert token not in (stored.token_hash, stored.prefix)
        headers = {"Authorization": f"Bearer {token}"}
        assert anonymous_client.get("/api/auth/me", headers=headers).json()["email"] == member.email
        used = client.get("/api/tokens", headers=member.headers).json()["items"]
        assert next(item for item in used if item["id"] == created.json()["id"])["last_used_at"] is not None
        assert client.delete(f"/api/tokens/{created.json()['id']}", headers=member.headers).status_code == 200
        assert anonymous_client.get("/api/auth/me", headers=headers).status_code == 401

    def test_an_expired_token_is_refused(self, client: TestClient, anonymous_client: TestClient) -> None:
        created = client.post("/api/tokens", json={"name": "old"}).json()
        with get_sessionmaker().begin() as session:
            session.execute(
                update(ApiToken).where(ApiToken.id == created["id"]).values(expires_at=utcnow() - timedelta(1))
            )
        response = anonymous_client.get("/api/auth/me", headers={"Authorization": f"Bearer {created['token']}"})
        assert response.status_code == 401


class TestSignUp:
    def test_closed_by_default(self, anonymous_client: TestClient, admin: Account) -> None:
        response = anonymous_client.post("/api/auth/signup", json={"email": "new@x.org", "password": PASSWORD})
        assert response.status_code == 403
        assert "by invitation only" in response.json()["detail"]

    def test_an_invitation_gives_its_role_once(self, client: TestClient, anonymous_client: TestClient) -> None:
        invitation = client.post("/api/invitations", json={"email": "rev@x.org", "role": "reviewer"}).json()
        body = {"email": "rev@x.org", "password": PASSWORD, "invitation": invitation["secret"]}
        response = anonymous_client.post("/api/auth/signup", json=body)
        assert response.status_code == 201, response.text
        assert response.json()["role"] == "reviewer"
        assert anonymous_client.get("/api/auth/me").json()["email"] == "rev@x.org"
        again = anonymous_client.post("/api/auth/signup", json={**body, "email": "rev2@x.org"})
        assert again.status_code == 403
        listed = client.get("/api/invitations").json()["items"]
        assert listed[0]["accepted_at"] is not None

    def test_an_invitation_is_for_its_email(self, client: TestClient, anonymous_client: TestClient) -> None:
        invitation = client.post("/api/invitations", json={"email": "a@x.org"}).json()
        body = {"email": "b@x.org", "password": PASSWORD, "invitation": invitation["secret"]}
        response = anonymous_client.post("/api/auth/signup", json=body)
        assert response.status_code == 403
        assert response.json()["detail"] == "This invitation is for a@x.org."

    def test_open_sign_up_makes_members(self, client: TestClient, anonymous_client: TestClient) -> None:
        assert client.put("/api/access-policy", json={"open_signup": True}).json() == {"open_signup": True}
        response = anonymous_client.post("/api/auth/signup", json={"email": "new@x.org", "password": PASSWORD})
        assert response.status_code == 201
        assert response.json()["role"] == "member"
        duplicate = anonymous_client.post("/api/auth/signup", json={"email": "NEW@x.org", "password": PASSWORD})
        assert duplicate.status_code == 409


class TestUsers:
    def test_the_admin_creates_a_user_who_can_sign_in(self, client: TestClient, anonymous_client: TestClient) -> None:
        response = client.post("/api/users", json={"email": "m@x.org", "password": PASSWORD, "role": "member"})
        assert response.status_code == 201
        assert sign_in(anonymous_client, "m@x.org") == 200
        assert [user["email"] for user in client.get("/api/users").json()["items"]] == [ADMIN_EMAIL, "m@x.org"]

    def test_the_last_admin_cannot_be_demoted(self, client: TestClient, admin: Account) -> None:
        response = client.patch(f"/api/users/{admin.id}", json={"role": "member"})
        assert response.status_code == 409
        assert "at least one active admin" in response.json()["detail"]
        other = create_account("second@studio.test", Role.ADMIN)
        assert client.patch(f"/api/users/{admin.id}", json={"role": "member"}).status_code == 200
        assert client.get("/api/users", headers=other.headers).status_code == 200


class TestStartUp:
    def test_the_admin_comes_from_the_environment(self, stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
        from backend.main import create_app

        monkeypatch.setenv("STUDIO_ADMIN_EMAIL", "Ops@Example.com")
        monkeypatch.setenv("STUDIO_ADMIN_PASSWORD", PASSWORD)
        reset_caches()
        with TestClient(create_app()) as api:
            response = api.post("/api/auth/token", data={"username": "ops@example.com", "password": PASSWORD})
            assert response.status_code == 200

    def test_a_network_address_needs_an_admin_and_a_secret_key(
        self, stack: Stack, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from backend.main import UnsafeBinding, create_app

        monkeypatch.setenv("STUDIO_HOST", "0.0.0.0")
        reset_caches()
        with pytest.raises(UnsafeBinding, match=r"STUDIO_ADMIN_EMAIL.*STUDIO_SECRET_KEY"), TestClient(create_app()):
            pass
        monkeypatch.setenv("STUDIO_ADMIN_EMAIL", "ops@example.com")
        monkeypatch.setenv("STUDIO_ADMIN_PASSWORD", PASSWORD)
        reset_caches()
        with pytest.raises(UnsafeBinding, match="STUDIO_SECRET_KEY"), TestClient(create_app()):
            pass
        monkeypatch.setenv("STUDIO_SECRET_KEY", "x" * 40)
        reset_caches()
        with TestClient(create_app()) as api:
            assert api.get("/api/health").status_code == 200
            # No browser setup screen on a network address: the admin comes from the environment.
            assert api.get("/api/auth/state").json()["setup_allowed"] is False
