"""Request constraints from botocore's service model, reported the way AWS's front end reports them.

AWS checks a request against the model's min/max/enum/pattern/required traits
before the service sees it and answers ``ValidationException`` with "N
validation error(s) detected: Value 'X' at 'a.b.c' failed to satisfy
constraint: ...".  boto3 already refuses some of these client-side (required
members, numbers below a minimum); a request sent over HTTP, or by an SDK that
does not validate, reaches the server and must get the server's text.  The
walk is ``asl_engine.botocore_validation``'s, with member names lower-cased
as SageMaker shows them.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from asl_engine.botocore_validation import Options, problems, report

# SageMaker's lower-cased paths; the sim's own wording otherwise: a structure's problems in model order,
# values shown whole, types already checked by the SDK (a wrong one fails as it always did)
_OPTIONS = Options(lower_members=True, check_types=False, nulls_first=False, shown_chars=None)


@cache
def _model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def violations(service: str, shape_name: str, value: dict[str, Any], path: str) -> str | None:
    """AWS's message for every constraint ``value`` (of ``shape_name``) breaks, or None when it keeps them."""
    return report(problems(_model(service).shape_for(shape_name), value, path, _OPTIONS))
