"""The organisation code's position in a USCC is one rule, read alike by Python and by SQL."""
import pytest
from django.db import connection

from singlewindow.enterprises.identifiers import (
    ORG_CODE_LENGTH,
    is_valid_organisation_code,
    make_uscc,
    organisation_code,
    organisation_code_sql,
)
from singlewindow.enterprises.models import Enterprise


def test_the_organisation_code_is_characters_9_to_17():
    uscc = make_uscc("91", "441502", "MA5FXXXX")
    assert organisation_code(uscc) == uscc[8:17] and is_valid_organisation_code(organisation_code(uscc))
    assert ORG_CODE_LENGTH == Enterprise._meta.get_field("org_code").max_length == 9


@pytest.mark.django_db
def test_the_sql_expression_reads_the_same_characters_as_python():
    uscc = make_uscc("91", "441521", "70000042")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {organisation_code_sql('%s')}", [uscc])
        assert cursor.fetchone()[0] == organisation_code(uscc)
