"""No account data in the logs: mobiles and emails appear only masked (138****0000), usernames not at all."""
import logging

from singlewindow.accounts.logmask import MaskAccountData, mask_text

from .conftest import code_sent_to


def test_the_log_filter_masks_mobiles_and_emails():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "sms to %s, mail to %s, order %s",
                               ("13729230657", "lirui@example.com", "202012345678901"), None)
    MaskAccountData().filter(record)
    assert record.getMessage() == "sms to 137****0657, mail to l***@example.com, order 202012345678901"
    assert mask_text("+8613729230657") == "137****0657"


def test_registration_recovery_and_lockout_log_nothing_unmasked(people, company, client, caplog,
                                                                django_capture_on_commit_callbacks):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/register/", company)
        client.post("/account/register/verify/", {"code": code_sent_to(company["mobile"]), "action": "verify"})
        client.post("/forgot-password/", {"recipient": "boss@example.com"})
        client.post("/forgot-username/", {"recipient": "13729230657"})
        for _ in range(6):
            client.post("/login/", {"username": "boss", "password": "wrong-Pass1"})

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "[短信 → 139****5678] 【广东单一窗口】您正在注册" in logged  # the demo's worker log shows the code
    assert "[电子邮件 → b***@example.com]" in logged and "[短信 → 137****0657]" in logged
    for secret in ("13912345678", "13729230657", "boss@example.com", company["email"], '"boss"', "pinqing"):
        assert secret not in logged
