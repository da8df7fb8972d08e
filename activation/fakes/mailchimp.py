"""Fake Mailchimp Marketing API 3.0: batch subscribe, member tags, ping.

Contract: HTTP Basic with the API key as password; `POST /3.0/lists/{id}` takes at most 500
members and reports per-member failures inside a 200 (`errors[]`); errors are RFC 7807
problem+json; more than 10 simultaneous connections, or too many requests, get a 429.
Batch subscribe or unsubscribe: `status` / `status_if_new` must be one of Mailchimp's statuses
(else the whole request is a 400 Invalid Resource); an explicit `status` (e.g. "unsubscribed")
changes an existing member only with `update_existing: true` (else `ERROR_CONTACT_EXISTS`), while
`status_if_new` never changes an existing member's status, so an unsubscribed member stays
unsubscribed when batch subscribe sends them again.
`POST …/members/{md5}/actions/delete-permanent` erases a member (204; 404 when not on the list);
afterwards `GET …/members/{md5}` is a 404 and batch subscribe refuses the address for good, as
the real API does (only the person signing up again through a form brings them back).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from activation.fakes.server import FakeApi, FakeRequest, FakeResponse

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MEMBERS = re.compile(r"^/3\.0/lists/([^/]+)$")
_TAGS = re.compile(r"^/3\.0/lists/([^/]+)/members/([0-9a-f]{32})/tags$")
_MEMBER = re.compile(r"^/3\.0/lists/([^/]+)/members/([0-9a-f]{32})$")
_DELETE_PERMANENT = re.compile(
    r"^/3\.0/lists/([^/]+)/members/([0-9a-f]{32})/actions/delete-permanent$"
)
MAX_MEMBERS = 500
STATUSES = {"subscribed", "unsubscribed", "cleaned", "pending", "transactional"}


def problem(status: int, title: str, detail: str) -> FakeResponse:
    body = {
        "type": "https://mailchimp.com/developer/marketing/docs/errors/",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": "fake",
    }
    return FakeResponse(status, body, content_type="application/problem+json")


class FakeMailchimp(FakeApi):
    max_concurrency = 10

    def __init__(
        self,
        api_key: str,
        list_id: str,
        rate_limit: float | None = None,
        reject_emails: set[str] = frozenset(),
    ) -> None:
        super().__init__(rate_limit)
        self.api_key = api_key
        self.list_id = list_id
        self.reject_emails = set(reject_emails)
        self.members: dict[str, dict[str, Any]] = {}
        self.by_hash: dict[str, str] = {}
        self.permanently_deleted: set[str] = set()
        """Subscriber hashes (MD5 of the lowercase email) erased for good."""

    def throttle_response(self, reason: str) -> FakeResponse:
        if reason == "concurrency":
            return problem(
                429,
                "Too Many Requests",
                "You have exceeded the limit of 10 simultaneous connections.",
            )
        return problem(429, "Too Many Requests", "You have made too many requests recently.")

    def _authorized(self, request: FakeRequest) -> bool:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        _, _, password = base64.b64decode(value).decode("utf-8").partition(":")
        return password == self.api_key

    def handle(self, request: FakeRequest) -> FakeResponse:
        if not self._authorized(request):
            return problem(401, "API Key Invalid", "Your API key may be invalid.")
        if request.method == "GET" and request.path == "/3.0/ping":
            return FakeResponse(200, {"health_status": "Everything's Chimpy!"})
        if (match := _MEMBERS.match(request.path)) and request.method == "POST":
            return self._batch(match.group(1), request.json())
        if (match := _TAGS.match(request.path)) and request.method == "POST":
            return self._tags(match.group(1), match.group(2), request.json())
        if (match := _DELETE_PERMANENT.match(request.path)) and request.method == "POST":
            return self._delete_permanent(match.group(1), match.group(2))
        if (match := _MEMBER.match(request.path)) and request.method == "GET":
            return self._member(match.group(1), match.group(2))
        return problem(404, "Resource Not Found", f"{request.method} {request.path}")

    def _batch(self, list_id: str, body: dict[str, Any]) -> FakeResponse:
        if list_id != self.list_id:
            return problem(404, "Resource Not Found", "The requested resource could not be found.")
        members = body.get("members") or []
        if len(members) > MAX_MEMBERS:
            return problem(
                400, "Invalid Resource", f"members: maximum {MAX_MEMBERS} items, got {len(members)}"
            )
        for index, member in enumerate(members):
            for field in ("status", "status_if_new"):
                if field in member and member[field] not in STATUSES:
                    return problem(
                        400,
                        "Invalid Resource",
                        f"members item {index}: {field} {member[field]!r} is not one of"
                        f" {sorted(STATUSES)}",
                    )
        created, updated, errors = [], [], []
        with self.lock:
            for member in members:
                email = str(member.get("email_address", ""))
                key = email.lower()
                if not _EMAIL.match(email) or key in self.reject_emails:
                    errors.append(
                        {
                            "email_address": email,
                            "error": f"{email} looks fake or invalid",
                            "error_code": "ERROR_GENERIC",
                            "field": "email_address",
                            "field_message": "Invalid email address",
                        }
                    )
                    continue
                if hashlib.md5(key.encode()).hexdigest() in self.permanently_deleted:
                    errors.append(
                        {
                            "email_address": email,
                            "error": f"{email} was permanently deleted and cannot be re-imported."
                            " The contact must re-subscribe to get back on the list.",
                            "error_code": "ERROR_GENERIC",
                        }
                    )
                    continue
                existing = key in self.members
                if existing and not body.get("update_existing"):
                    errors.append(
                        {
                            "email_address": email,
                            "error": f"{email} is already a member",
                            "error_code": "ERROR_CONTACT_EXISTS",
                        }
                    )
                    continue
                if not existing and not (member.get("status") or member.get("status_if_new")):
                    errors.append(
                        {
                            "email_address": email,
                            "error": "status_if_new required",
                            "error_code": "ERROR_GENERIC",
                            "field": "status",
                        }
                    )
                    continue
                stored = self.members.setdefault(key, {"tags": set(), "merge_fields": {}})
                self.by_hash[hashlib.md5(key.encode()).hexdigest()] = key
                stored["status"] = (
                    member.get("status") or stored.get("status") or member.get("status_if_new")
                )
                stored["merge_fields"].update(member.get("merge_fields") or {})
                stored["tags"].update(member.get("tags") or [])
                (updated if existing else created).append({"email_address": email})
        self.accepted_data()
        return FakeResponse(
            200,
            {
                "new_members": created,
                "updated_members": updated,
                "errors": errors,
                "total_created": len(created),
                "total_updated": len(updated),
                "error_count": len(errors),
            },
        )

    def _tags(self, list_id: str, subscriber_hash: str, body: dict[str, Any]) -> FakeResponse:
        with self.lock:
            email = self.by_hash.get(subscriber_hash)
            if list_id != self.list_id or email is None:
                return problem(
                    404, "Resource Not Found", "The requested resource could not be found."
                )
            for tag in body.get("tags") or []:
                if tag.get("status") == "inactive":
                    self.members[email]["tags"].discard(tag["name"])
                else:
                    self.members[email]["tags"].add(tag["name"])
        self.accepted_data()
        return FakeResponse(204)

    def _member(self, list_id: str, subscriber_hash: str) -> FakeResponse:
        with self.lock:
            email = self.by_hash.get(subscriber_hash)
            if list_id != self.list_id or email is None:
                return problem(
                    404, "Resource Not Found", "The requested resource could not be found."
                )
            member = self.members[email]
            body = {
                "id": subscriber_hash,
                "email_address": email,
                "status": member["status"],
                "merge_fields": dict(member["merge_fields"]),
                "tags": [{"name": tag} for tag in sorted(member["tags"])],
            }
        return FakeResponse(200, body)

    def _delete_permanent(self, list_id: str, subscriber_hash: str) -> FakeResponse:
        with self.lock:
            email = self.by_hash.pop(subscriber_hash, None)
            if list_id != self.list_id or email is None:
                return problem(
                    404, "Resource Not Found", "The requested resource could not be found."
                )
            del self.members[email]
            self.permanently_deleted.add(subscriber_hash)
        return FakeResponse(204)

    def tagged(self, tag: str) -> set[str]:
        with self.lock:
            return {email for email, m in self.members.items() if tag in m["tags"]}
