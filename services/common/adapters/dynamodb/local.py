"""A local DynamoDB for tests and `make run` with real backends: moto in server mode.

    python -m services.common.adapters.dynamodb.local PORT [--exit-on-stdin-eof]

serves moto's AWS APIs (DynamoDB among them) over HTTP on 127.0.0.1:PORT until killed (or,
with the flag, until its stdin closes: a parent that dies, even by SIGKILL, takes it along).

Two differences from moto's own `moto_server`, both about DynamoDB:

- **One request at a time.** `moto_server` is threaded, and moto's DynamoDB is not thread-safe:
  concurrent TransactWriteItems fail with HTTP 500 ("dictionary changed size during
  iteration") and could interleave their condition checks. Serving requests one by one gives
  each request DynamoDB's atomicity, and costs nothing (moto is GIL-bound anyway). The server
  speaks HTTP/1.0 (a connection per request), so one client's idle keep-alive connection can
  never hold the single thread while others wait.
- **TransactWriteItems rolls back by item, not by table.** moto backs up every table a
  transaction names with `copy.deepcopy` (once per item naming it) so it can restore them if a
  condition fails: a transaction costs time proportional to the size of the tables it writes,
  and a suite that places 1,200 orders spends minutes copying. `_undo_by_item` keeps moto's
  code and semantics but backs up only the items the transaction names and restores those.
  Nothing else in moto is changed; `python -m moto.server` (or `moto_server`, threaded off)
  behaves the same, only slower.

Nothing here is used in production, where the endpoint is AWS's.
"""

from __future__ import annotations

import copy
import os
import socket
import sys
import threading
from typing import Any


def _undo_by_item() -> None:
    """Patch moto's DynamoDB TransactWriteItems to back up and restore single items."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = []
        for entry in transact_items:
            for op_type, op in entry.items():
                table = self.tables.get(op.get("TableName")) if isinstance(op, dict) else None
                key = op.get("Item" if op_type == "Put" else "Key") if table is not None else None
                if table is None or not isinstance(key, dict):
                    continue  # moto itself refuses the request before writing anything
                try:
                    hash_key = DynamoType(key[table.hash_key_attr])
                    range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
                except KeyError:
                    continue  # a key attribute missing: a validation error, nothing written
                saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
        # moto's own backup (`copy.deepcopy(table)`) becomes the table itself, so its rollback
        # (putting the backup back) changes nothing; the items saved above are restored instead.
        Table.__deepcopy__ = lambda table, memo: table  # type: ignore[attr-defined]
        try:
            original(self, transact_items)
        except BaseException:
            for table, hash_key, range_key, item in reversed(saved):
                if range_key is None:
                    if item is None:
                        table.items.pop(hash_key, None)
                    else:
                        table.items[hash_key] = item
                elif item is None:
                    table.items[hash_key].pop(range_key, None)
                else:
                    table.items[hash_key][range_key] = item
            raise
        finally:
            del Table.__deepcopy__  # type: ignore[attr-defined]

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def serve(port: int, host: str = "127.0.0.1") -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import run_simple

    class Handler(MotoRequestHandler):
        def setup(self) -> None:
            super().setup()
            # werkzeug writes a response's headers and body separately: with Nagle's algorithm
            # the body waits for the client's delayed ACK of the headers (up to 40 ms a request)
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass  # a line per request costs more than some requests

    _undo_by_item()
    run_simple(host, port, DomainDispatcherApplication(create_backend_app), threaded=False, request_handler=Handler)


def main(argv: list[str]) -> None:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return
    if "--exit-on-stdin-eof" in argv[1:]:
        threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    serve(int(argv[0]))


if __name__ == "__main__":
    main(sys.argv[1:])
