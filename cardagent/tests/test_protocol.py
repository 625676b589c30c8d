import base64
import json
import logging

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cardagent.card import MAX_PIN_TRIES, Card
from cardagent.protocol import Agent


def ask(agent, name, _id=1, **args):
    return agent.handle(json.dumps({"_method": f"cus-sec_{name}", "_id": _id, "args": args}))


def test_replies_carry_the_id_the_method_and_status_00(card_file):
    answer = ask(Agent(card_file), "SpcGetCardID", _id=7)
    assert answer == {"_id": 7, "_method": "cus-sec_SpcGetCardID", "_status": "00",
                      "_args": {"Result": True, "Data": ["EP10000000001"], "Error": []}}


@pytest.mark.parametrize("name, expected", [
    ("SpcGetEntID", "91441502MA4W000001"), ("SpcGetEntName", "汕尾市红海湾进出口贸易有限公司"), ("SpcGetUName", "李锐"),
])
def test_it_reads_the_enterprise_and_the_holder_from_the_card(card_file, name, expected):
    assert ask(Agent(card_file), name)["_args"]["Data"] == [expected]


def test_it_signs_data_with_the_card_key_after_the_pin(card_file, pin):
    agent = Agent(card_file)
    assert ask(agent, "SpcVerifyPIN", passwd=pin)["_args"]["Result"] is True
    pem = ask(agent, "SpcGetSignCertAsPEM")["_args"]["Data"][0]
    signature = ask(agent, "SpcSignDataAsPEM", inData="登录挑战", passwd=pin)["_args"]["Data"][0]
    Card(card_file).certificate().public_key().verify(
        base64.b64decode(signature), "登录挑战".encode(), ec.ECDSA(hashes.SHA256()))
    assert pem.startswith("-----BEGIN CERTIFICATE-----")


def test_a_wrong_pin_answers_result_false_with_the_tries_left(card_file):
    answer = ask(Agent(card_file), "SpcSignDataAsPEM", inData="x", passwd="87654321")["_args"]
    assert answer["Result"] is False and answer["Data"] == []
    assert answer["Error"] == [f"卡密码错误，还可尝试 {MAX_PIN_TRIES - 1} 次；连续输错 {MAX_PIN_TRIES} 次卡将被锁定。", "1002"]


def test_after_ten_wrong_pins_the_card_is_locked_and_says_so(card_file, pin):
    agent = Agent(card_file)
    codes = [ask(agent, "SpcVerifyPIN", passwd="87654321")["_args"]["Error"][1] for _ in range(MAX_PIN_TRIES)]
    assert codes == ["1002"] * (MAX_PIN_TRIES - 1) + ["1003"]
    locked = ask(agent, "SpcVerifyPIN", passwd=pin)["_args"]
    assert locked["Result"] is False and "卡已锁定" in locked["Error"][0]


@pytest.mark.parametrize("frame", [
    "", "not json", "[]", "42", "null", '{"_method": 5}', '{"_method": "cus-sec_SpcGetCardID", "args": []}',
    '{"_method": "cus-sec_SpcSignDataAsPEM", "_id": 3, "args": {"inData": 5}}', '{"_id": {"x": 1}}',
])
def test_a_bad_frame_gets_a_refusal_never_an_exception(card_file, frame):
    answer = Agent(card_file).handle(frame)
    assert answer["_status"] == "00" and answer["_args"]["Result"] is False
    assert answer["_args"]["Error"][1] in {"1004", "1005", "1006"}


def test_an_unknown_method_is_refused_by_name(card_file):
    answer = ask(Agent(card_file), "SpcFormatCard")["_args"]
    assert answer["Error"] == ["不支持的方法：cus-sec_SpcFormatCard", "1004"]


def test_without_a_card_it_says_no_card_is_inserted(tmp_path):
    answer = ask(Agent(tmp_path / "missing.card"), "SpcGetCardID")["_args"]
    assert answer["Result"] is False and answer["Error"][1] == "1001"
    assert "未检测到电子口岸卡" in answer["Error"][0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=st.one_of(st.text(max_size=200), st.builds(json.dumps, st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["_method", "_id", "args", "passwd",
                                                                                   "inData", "x"]), inner, max_size=4),
    max_leaves=8))))
def test_no_frame_makes_the_agent_raise(card_file, frame):
    answer = Agent(card_file).handle(frame)
    assert answer["_status"] == "00" and isinstance(answer["_args"]["Result"], bool)


def test_pins_never_reach_the_log(card_file, pin, caplog):
    caplog.set_level(logging.DEBUG)
    agent = Agent(card_file)
    ask(agent, "SpcVerifyPIN", passwd="97531864")
    ask(agent, "SpcSignDataAsPEM", inData="data", passwd=pin)
    assert "97531864" not in caplog.text and pin not in caplog.text and "SpcSignDataAsPEM: ok" in caplog.text
