"""A database constraint refuses: the write raises IntegrityError and its transaction is undone."""

import pytest
from django.db import IntegrityError, transaction


def refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()
