import io
import logging

from codetether.secrets.redaction import MASK, RedactingFilter, Redactor, redact, register_secret


def test_registered_secrets_are_masked_longest_first():
    r = Redactor()
    r.add("abcdefgh-secret")
    r.add("abcdefgh-secret-longer")
    r.add("short")  # too short to register
    assert r.redact("x abcdefgh-secret-longer y abcdefgh-secret short") == f"x {MASK} y {MASK} short"


def test_well_known_token_shapes_are_masked_without_registration():
    text = "Authorization: Bearer abc.def.ghi123 key sk-proj-ABCDEFGHIJKLMNOPQRST vault hvs.CAESIJ0123456789abcdefghij"
    cleaned = Redactor().redact(text)
    assert "abc.def" not in cleaned and "sk-proj" not in cleaned and "hvs." not in cleaned
    assert "AKIA0123456789ABCDEF" not in Redactor().redact("id AKIA0123456789ABCDEF")


def test_logging_filter_masks_formatted_message(caplog):
    register_secret("log-secret-value-42")
    logger = logging.getLogger("codetether.test")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="codetether.test"):
        logger.info("using key %s", "log-secret-value-42")
    assert caplog.records[0].getMessage() == f"using key {MASK}"
    assert redact("log-secret-value-42") == MASK


def test_logging_filter_masks_secrets_in_exc_info_tracebacks():
    secret = "trace-secret-value-7c1e9a"
    register_secret(secret)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("codetether.test.traceback")
    logger.addHandler(handler)
    try:
        try:
            raise OSError(f"the cause quotes {secret}")
        except OSError as cause:
            raise ValueError(f"upstream said: {secret}") from cause
    except ValueError:
        logger.exception("request failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "request failed" in text and "Traceback" in text and "ValueError: upstream said: " in text
    assert secret not in text and text.count(MASK) == 2


def test_token_shapes_inside_a_longer_word_are_not_masked():
    task_id = "no-such-task-bc1be097-f2f0-4e5b-99ce-9585bb99e72e"  # contains "sk-" followed by 16+ id chars
    assert Redactor().redact(f"task '{task_id}' not found") == f"task '{task_id}' not found"
    assert Redactor().redact("key=sk-proj-ABCDEFGHIJKLMNOPQRST") == f"key={MASK}"
