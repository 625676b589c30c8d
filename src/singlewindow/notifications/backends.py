"""Where outbox messages go. settings.OUTBOX_BACKEND picks one (env OUTBOX_BACKEND):

- ConsoleBackend (default): writes the message to the log, so the demo's worker log shows the codes;
- FileBackend: appends one JSON line per message to settings.OUTBOX_FILE;
- GatewayBackend: the real thing: SMS by HTTP POST to settings.OUTBOX_SMS_URL, email through Django's
  email backend (EMAIL_HOST etc.).

Console and file output mask the recipient (138****0000); only the gateway sees it in full.
"""
import json
import logging
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.module_loading import import_string

from singlewindow.accounts.logmask import mask_recipient

log = logging.getLogger("singlewindow.outbox")


def get_backend():
    return import_string(settings.OUTBOX_BACKEND)()


class ConsoleBackend:
    def send(self, message):
        log.info("[%s → %s] %s", message.get_channel_display(), mask_recipient(message.recipient), message.body)


class FileBackend:
    def send(self, message):
        path = settings.OUTBOX_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        line = {"id": message.pk, "at": timezone.now().isoformat(), "channel": message.channel,
                "to": mask_recipient(message.recipient), "subject": message.subject, "body": message.body}
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")


class GatewayBackend:
    """SMS: POST {"mobile", "content"} as JSON with a bearer token; a 2xx answer means accepted."""

    def send(self, message):
        if message.channel == "email":
            EmailMessage(message.subject or "中国（广东）国际贸易单一窗口", message.body,
                         settings.DEFAULT_FROM_EMAIL, [message.recipient]).send()
            return
        request = urllib.request.Request(
            settings.OUTBOX_SMS_URL, method="POST",
            data=json.dumps({"mobile": message.recipient, "content": message.body}, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8",
                     "Authorization": f"Bearer {settings.OUTBOX_SMS_TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # raises on 4xx/5xx
            if not 200 <= response.status < 300:
                raise RuntimeError(f"SMS gateway answered {response.status}")
