"""The executor our `codetether serve` runs in the client tests, picked by the message text.

It behaves like the a2a-sdk reference server's echo agent, so one test body fits both servers:
``slow`` reports working and then waits (until canceled), ``fail`` and ``reject`` end the task so,
``ask`` ends it input-required, anything else is echoed as an artifact and the final status message.
"""

import asyncio

from codetether.a2a.domain.executor import RequestContext, TaskUpdater


class ClientTestExecutor:
    async def execute(self, context: RequestContext, updater: TaskUpdater) -> None:
        text = context.text.strip()
        if text == "slow":
            await updater.working("working slowly...")
            await asyncio.sleep(60)  # the handler cancels this on CancelTask
            await updater.complete("slow: done")
        elif text == "fail":
            await updater.working("trying")
            await updater.fail("it broke on purpose")
        elif text == "reject":
            await updater.reject("not doing that")
        elif text == "ask":
            await updater.input_required("which file?")
        else:
            await updater.working()
            await updater.artifact(f"echo: {text}", name="echo")
            await updater.complete(f"echo: {text}")
