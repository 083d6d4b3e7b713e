"""Child processes for the multi-process suites: `python -m tests.contract.child <scenario> ...`.

A child reports on stdout, one line per acknowledged operation (printed only after the port's
call returned), so after a SIGKILL the lines it managed to print are exactly what the store
has promised to keep.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from tests.contract.backends import Opener

REPO_ROOT = Path(__file__).resolve().parents[2]


class Child:
    def __init__(self, process: asyncio.subprocess.Process, scenario: str) -> None:
        self.process = process
        self.scenario = scenario

    @classmethod
    async def start(cls, scenario: str, opener: Opener, *args: object) -> Child:
        path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": path}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.contract.child", scenario, opener.to_json(), *map(str, args),
            cwd=REPO_ROOT, env=env,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        return cls(process, scenario)

    async def line(self, timeout: float = 30) -> str:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if not raw:
            raise AssertionError(f"child {self.scenario} ended early: {await self._stderr()}")
        return raw.decode().rstrip("\n")

    async def send(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text.encode() + b"\n")
        await self.process.stdin.drain()

    async def kill(self, within: float = 0.0) -> list[str]:
        """SIGKILL after a random delay up to `within` seconds (so the kill does not always land
        just after an acknowledgement, between two writes); no cleanup of any kind runs.
        Returns the acknowledgements still in the pipe."""
        await asyncio.sleep(random.uniform(0, within))
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        return await self._rest()

    async def finish(self, timeout: float = 120) -> list[str]:
        """Wait for a normal exit; the lines not read yet."""
        rest = await asyncio.wait_for(self._rest(), timeout)
        code = await self.process.wait()
        if code != 0:
            raise AssertionError(f"child {self.scenario} exited with {code}: {await self._stderr()}")
        return rest

    async def _rest(self) -> list[str]:
        """Whole lines only: a kill can cut the last one short, and that one was never a
        complete acknowledgement ("ack 12" cut from "ack 123" would even lie)."""
        assert self.process.stdout is not None
        text = (await self.process.stdout.read()).decode()
        return text[: text.rfind("\n") + 1].splitlines()

    async def _stderr(self) -> str:
        assert self.process.stderr is not None
        await self.process.wait()
        return (await self.process.stderr.read()).decode()


Spawn = Callable[..., Awaitable[Child]]  # the `spawn` fixture: (scenario, opener, *args) -> a started child
