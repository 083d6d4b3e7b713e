"""The DynamoDB UserStore: users and API keys, with the semantics of the embedded SqliteUserStore
(docs/data-model.md, its users, emails, api_keys and user_keys tables, has the reasons).

- A user is two items written in one TransactWriteItems: `emails` (the uniqueness item, Put
  with `attribute_not_exists(email)`) and `users` (by id). Two processes registering one address
  at once end with one user and one AlreadyExists, like SQLite's UNIQUE. User ids come from an
  atomic counter (`ADD next_value :1` on the `sequences` item "user_id"), so they start at 1
  (0 is the fee account) and are never reused; a refused registration burns its id.
- An API key is the `api_keys` item (by key: a consistent GetItem, which each edge process
  makes at most every 2 s, so a revocation takes effect within that) plus a `user_keys` pointer item
  (user, key) written in the same transaction, listed with a consistent Query: no index lag.
  A revocation is one conditional update (`user_id = :owner AND revoked = :false`), so only
  the owner can revoke, and only once.

boto3 on a small thread pool, as the DynamoDB ledger (see its docstring for why not aiobotocore).
"""

from __future__ import annotations

import random
import time
from typing import Any

from services.common.adapters.dynamodb.client import DynamoStore
from services.common.adapters.dynamodb.tables import user_tables
from services.common.ports import AlreadyExists, ApiKeyRecord, ListenKeyRecord, Unavailable, UserRecord

_CONFLICT_RETRIES = 20


class DynamoUserStore(DynamoStore):
    def __init__(
        self, endpoint_url: str | None = None, table_prefix: str = "spotex-", region: str = "us-east-1",
        pitr: bool | str = False, pool_size: int | str = 8, create_tables: bool | str = True,
    ) -> None:
        super().__init__(
            endpoint_url, table_prefix, region, pitr, pool_size, user_tables, "dynamo-users", create_tables
        )

    # -- users ------------------------------------------------------------------------------

    async def create_user(self, email: str, password_hash: str, created_ms: int, is_admin: bool = False) -> UserRecord:
        """Raises AlreadyExists if the email is taken."""
        return await self._run(self._create_user, email, password_hash, created_ms, is_admin)

    def _create_user(self, email: str, password_hash: str, created_ms: int, is_admin: bool) -> UserRecord:
        if self._get(self._names.emails, {"email": _s(email)}) is not None:
            raise AlreadyExists(email)  # the common case, without burning a user id
        response = self._client.update_item(
            TableName=self._names.sequences, Key={"name": _s("user_id")}, UpdateExpression="ADD next_value :one",
            ExpressionAttributeValues={":one": _n(1)}, ReturnValues="UPDATED_NEW",
        )
        user = UserRecord(int(response["Attributes"]["next_value"]["N"]), email, password_hash, created_ms, is_admin)
        items = [
            {"Put": {"TableName": self._names.emails, "Item": {"email": _s(email), "user_id": _n(user.user_id)},
                     "ConditionExpression": "attribute_not_exists(email)"}},
            {"Put": {"TableName": self._names.users, "Item": _user_item(user),
                     "ConditionExpression": "attribute_not_exists(user_id)"}},
        ]
        for attempt in range(_CONFLICT_RETRIES):
            try:
                self._client.transact_write_items(TransactItems=items)
                return user
            except self._client.exceptions.TransactionCanceledException as exc:
                reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
                if reasons and reasons[0] == "ConditionalCheckFailed":
                    raise AlreadyExists(email) from None
                if "TransactionConflict" not in reasons:  # a racing registration of the address: ask again
                    raise
            time.sleep(random.uniform(0, min(0.2, 0.002 * 2**attempt)))
        raise Unavailable(f"registration of {email} still conflicting after {_CONFLICT_RETRIES} attempts")

    async def user_by_email(self, email: str) -> UserRecord | None:
        return await self._run(self._user_by_email, email)

    def _user_by_email(self, email: str) -> UserRecord | None:
        pointer = self._get(self._names.emails, {"email": _s(email)})
        return None if pointer is None else self._user_by_id(int(pointer["user_id"]["N"]))

    async def user_by_id(self, user_id: int) -> UserRecord | None:
        return await self._run(self._user_by_id, user_id)

    def _user_by_id(self, user_id: int) -> UserRecord | None:
        item = self._get(self._names.users, {"user_id": _n(user_id)})
        return None if item is None else _user(item)

    # -- API keys ---------------------------------------------------------------------------

    async def add_api_key(self, key: ApiKeyRecord) -> None:
        """Raises AlreadyExists if the key exists (keys are random: a caller bug, never a user's)."""
        await self._run(self._add_api_key, key)

    def _add_api_key(self, key: ApiKeyRecord) -> None:
        try:
            self._client.transact_write_items(TransactItems=[
                {"Put": {"TableName": self._names.api_keys, "Item": _key_item(key),
                         "ConditionExpression": "attribute_not_exists(api_key)"}},
                {"Put": {"TableName": self._names.user_keys,
                         "Item": {"user_id": _n(key.user_id), "api_key": _s(key.api_key)}}},
            ])
        except self._client.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise AlreadyExists(f"API key {key.api_key[:8]}...") from None
            raise

    async def api_key(self, api_key: str) -> ApiKeyRecord | None:
        item = await self._run(self._get, self._names.api_keys, {"api_key": _s(api_key)})
        return None if item is None else _key(item)

    async def api_keys(self, user_id: int) -> list[ApiKeyRecord]:
        """The user's keys (revoked ones too), oldest first."""
        return await self._run(self._api_keys, user_id)

    def _api_keys(self, user_id: int) -> list[ApiKeyRecord]:
        pointers: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "TableName": self._names.user_keys, "ConsistentRead": True,
            "KeyConditionExpression": "user_id = :u", "ExpressionAttributeValues": {":u": _n(user_id)},
        }
        while True:
            response = self._client.query(**request)
            pointers.extend(response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        keys: list[ApiKeyRecord] = []
        for start in range(0, len(pointers), 100):  # BatchGetItem's limit
            pending: dict[str, Any] = {self._names.api_keys: {
                "Keys": [{"api_key": p["api_key"]} for p in pointers[start : start + 100]], "ConsistentRead": True}}
            while pending:
                response = self._client.batch_get_item(RequestItems=pending)
                keys.extend(_key(item) for item in response["Responses"].get(self._names.api_keys, []))
                pending = response.get("UnprocessedKeys") or {}
        return sorted(keys, key=lambda k: (k.created_ms, k.api_key))

    async def revoke_api_key(self, user_id: int, api_key: str) -> bool:
        """True if the key was the user's and live; False otherwise (another user's, unknown,
        or revoked already), so callers can tell "revoked now" from "was not live"."""
        return await self._run(self._revoke_api_key, user_id, api_key)

    def _revoke_api_key(self, user_id: int, api_key: str) -> bool:
        try:
            self._client.update_item(
                TableName=self._names.api_keys, Key={"api_key": _s(api_key)}, UpdateExpression="SET revoked = :true",
                ConditionExpression="user_id = :owner AND revoked = :false",
                ExpressionAttributeValues={":owner": _n(user_id), ":true": {"BOOL": True}, ":false": {"BOOL": False}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False  # also when the key does not exist: the condition fails on a missing item
        return True

    # -- listen keys: attributes of the user's item (no table of their own, no index needed:
    # a key names its user, services/user/listen_keys.py) ----------------------------------

    async def listen_key(self, user_id: int) -> ListenKeyRecord | None:
        item = await self._run(self._get, self._names.users, {"user_id": _n(user_id)})
        if item is None or "listen_key" not in item:
            return None
        return ListenKeyRecord(item["listen_key"]["S"], int(item["listen_key_expires_ms"]["N"]))

    async def swap_listen_key(self, user_id: int, expected: str | None, new: ListenKeyRecord | None) -> bool:
        return await self._run(self._swap_listen_key, user_id, expected, new)

    def _swap_listen_key(self, user_id: int, expected: str | None, new: ListenKeyRecord | None) -> bool:
        values: dict[str, Any] = {}
        if expected is None:
            condition = "attribute_exists(user_id) AND attribute_not_exists(listen_key)"
        else:
            condition, values[":old"] = "listen_key = :old", _s(expected)
        if new is None:
            update = "REMOVE listen_key, listen_key_expires_ms"
        else:
            update = "SET listen_key = :key, listen_key_expires_ms = :expires"
            values.update({":key": _s(new.listen_key), ":expires": _n(new.expires_ms)})
        try:
            self._client.update_item(
                TableName=self._names.users, Key={"user_id": _n(user_id)}, UpdateExpression=update,
                ConditionExpression=condition, **({"ExpressionAttributeValues": values} if values else {}),
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def _get(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self._client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        return item


def _n(value: int) -> dict[str, str]:
    return {"N": str(int(value))}


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _user_item(user: UserRecord) -> dict[str, Any]:
    return {"user_id": _n(user.user_id), "email": _s(user.email), "password_hash": _s(user.password_hash),
            "created_ms": _n(user.created_ms), "is_admin": {"BOOL": user.is_admin}}


def _user(item: dict[str, Any]) -> UserRecord:
    return UserRecord(int(item["user_id"]["N"]), item["email"]["S"], item["password_hash"]["S"],
                      int(item["created_ms"]["N"]), bool(item["is_admin"]["BOOL"]))


def _key_item(key: ApiKeyRecord) -> dict[str, Any]:
    # permissions as a list, not a string set: a set cannot be empty and loses the order
    return {"api_key": _s(key.api_key), "user_id": _n(key.user_id), "secret": {"B": key.secret_ciphertext},
            "label": _s(key.label), "permissions": {"L": [_s(p) for p in key.permissions]},
            "created_ms": _n(key.created_ms), "revoked": {"BOOL": key.revoked}}


def _key(item: dict[str, Any]) -> ApiKeyRecord:
    return ApiKeyRecord(
        api_key=item["api_key"]["S"], user_id=int(item["user_id"]["N"]), secret_ciphertext=bytes(item["secret"]["B"]),
        label=item["label"]["S"], permissions=tuple(p["S"] for p in item["permissions"]["L"]),
        created_ms=int(item["created_ms"]["N"]), revoked=bool(item["revoked"]["BOOL"]),
    )
