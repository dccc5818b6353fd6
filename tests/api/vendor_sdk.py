"""The vendor's own Python SDK (`cas-parser-python` 1.2.1) as a client of our API.

Run by tests/api/vendor_sdk.rs: `python vendor_sdk.py BASE_URL API_KEY CASES_JSON`, where each
case is `{"route", "pdf_url" | "pdf_path", "password", "total", "cas_type"}`. Every call goes
through `CasParser(..., _strict_response_validation=True)`, so a response that does not fit
`UnifiedResponse` field by field raises; the parsed total and kind must be the expected ones.
Prints one line per case and exits non-zero on the first failure.
"""

import base64
import json
import sys
from decimal import Decimal

from cas_parser import CasParser
from cas_parser.types import UnifiedResponse


def main() -> int:
    base_url, api_key, cases_path = sys.argv[1:4]
    client = CasParser(api_key=api_key, base_url=base_url, _strict_response_validation=True,
                       max_retries=0)
    methods = {
        "smart": client.cas_parser.smart_parse,
        "cams_kfintech": client.cas_parser.cams_kfintech,
        "cdsl": client.cas_parser.cdsl,
        "nsdl": client.cas_parser.nsdl,
    }
    with open(cases_path) as fh:
        cases = json.load(fh)
    for case in cases:
        # The SDK types pdf_file as base64 text but sends only bytes or files, as a multipart
        # file part; both forms are tried (base64 text goes through the JSON body).
        if "pdf_url" in case:
            source = {"pdf_url": case["pdf_url"]}
        elif case.get("base64"):
            source = {"extra_body": {"pdf_file": base64.b64encode(open(case["pdf_path"], "rb").read()).decode()}}
        else:
            source = {"pdf_file": open(case["pdf_path"], "rb").read()}
        result = methods[case["route"]](password=case["password"], **source)
        assert isinstance(result, UnifiedResponse), type(result)
        got = Decimal(str(result.summary.total_value))
        want = Decimal(str(case["total"]))
        assert got == want, f"{case}: total {got}, expected {want}"
        assert result.meta.cas_type == case["cas_type"], f"{case}: {result.meta.cas_type}"
        print(f"ok {case['route']} {next(iter(source))} {result.meta.cas_type} {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
