"""A real SMTP server on loopback for LKN's tests: aiosmtpd, saving each message it accepts.

Usage: python3 catcher.py FOLDER

Listens on 127.0.0.1 on a free port and prints that port on the first line of stdout. Each accepted message
is saved in FOLDER as NNNNNN.json (to, from, subject, text, html, headers, raw), written atomically, so a test
(Rust or node) reads only whole messages. Recipients whose address contains "refuse" are refused with 550, those
containing "tempfail" with 451 (those containing "tempfail-once" only the first time): the tests of permanent
and passing failures. The first RCPT of an address containing "hold" is held: the catcher writes
FOLDER/holding-ADDRESS and answers only once FOLDER/release-ADDRESS exists (or after a minute) — so a test can
kill a sender at a known point, mid-conversation, before the server has taken the message. The server stops when its stdin
closes, which is when the test process that started it ends.
"""

import asyncio
import email
import email.policy
import itertools
import json
import os
import sys

from aiosmtpd.smtp import SMTP


class Catcher:
    """Saves what it is sent, refusing the recipients the tests name."""

    def __init__(self, folder):
        self.folder = folder
        self.numbers = itertools.count(1)
        self.deferred_once = set()
        self.held_once = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "refuse" in address:
            return "550 5.1.1 No such mailbox here"
        if "tempfail-once" in address and address not in self.deferred_once:
            self.deferred_once.add(address)
            return "451 4.3.0 Try again later"
        if "tempfail" in address and "tempfail-once" not in address:
            return "451 4.3.0 Try again later"
        if "hold" in address and address not in self.held_once:
            self.held_once.add(address)
            with open(os.path.join(self.folder, f"holding-{address}"), "w", encoding="utf-8"):
                pass
            release = os.path.join(self.folder, f"release-{address}")
            for _ in range(1200):
                if os.path.exists(release):
                    break
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        record = {
            "to": list(envelope.rcpt_tos),
            "from": envelope.mail_from,
            "subject": str(message.get("Subject", "")),
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
            "headers": {name: str(value) for name, value in message.items()},
            "raw": raw.decode("utf-8", "replace"),
        }
        number = next(self.numbers)
        final = os.path.join(self.folder, f"{number:06}.json")
        partial = final + ".partial"
        with open(partial, "w", encoding="utf-8") as out:
            json.dump(record, out)
        os.replace(partial, final)
        return "250 Message accepted for delivery"


async def main(folder):
    os.makedirs(folder, exist_ok=True)
    loop = asyncio.get_running_loop()
    handler = Catcher(folder)
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="catcher.test", decode_data=False),
        host="127.0.0.1",
        port=0,
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    stdin_closed = loop.run_in_executor(None, sys.stdin.buffer.read)
    await stdin_closed
    server.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
